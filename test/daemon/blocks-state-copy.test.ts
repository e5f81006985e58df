/**
 * state.json keeps a copy of the blocks only up to STATE_COPY_MAX: above
 * that it keeps a note that they are in blocks.json (a million blocks would
 * cost every state save seconds of the event loop and every start a second
 * parse). The note never wins over blocks.json, nor stands in for blocks.
 */
import { describe, expect, it } from 'vitest';
import { BlockManager } from '../../src/actions/block/manager.js';
import { policyFromConfig } from '../../src/actions/block/policy.js';
import { defaultConfig } from '../../src/config/load.js';
import { copyNotKept, newestBlocks, STATE_COPY_MAX, stateCopy } from '../../src/daemon/extensions/blocks-file.js';

const now = Date.parse('2026-12-06T12:00:00Z');
const manager = () => new BlockManager({ backends: [], policy: policyFromConfig(defaultConfig()), guard: { check: () => null }, now: () => now });

describe('the copy of the blocks in state.json', () => {
  it('holds the blocks up to STATE_COPY_MAX and only a note above', async () => {
    const m = manager();
    await m.block('198.51.100.7', { timeoutSec: 600 });
    const small = stateCopy(m, now) as { blocks: Array<{ cidr: string }> };
    expect(small.blocks.map((b) => b.cidr)).toEqual(['198.51.100.7']);
    expect(copyNotKept(small)).toBe(false);

    const big = manager();
    const cidrs = Array.from({ length: STATE_COPY_MAX + 1 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    await big.blockMany(cidrs, { timeoutSec: 600 });
    const note = stateCopy(big, now + 1000);
    expect(note).toMatchObject({ version: 1, blocks: [], onlyInBlocksFile: STATE_COPY_MAX + 1 });
    expect(JSON.stringify(note).length).toBeLessThan(200);
    expect(copyNotKept(note)).toBe(true);

    // The note is newer than blocks.json, yet blocks.json is what a start restores; with no blocks.json there is nothing to restore from state.json.
    const file = { version: 1, savedAt: '2026-12-06T11:00:00.000Z', blocks: [], offenders: [] };
    expect(newestBlocks(note, file)).toBe(file);
    expect(newestBlocks(note, undefined)).toBeUndefined();
    expect(newestBlocks(small, undefined)).toBe(small);
  });
});
