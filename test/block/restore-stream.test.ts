/**
 * A restart (BlockManager.restore) streams blocks.json to nft as it reads
 * it: what is streamed must be exactly what the records say the firewall
 * carries, with the same timeouts, for nested prefixes, both families,
 * never-block rules (hard and soft, manual blocks), expired and damaged
 * rows, a file that leaves the saver's order midway and a cidr saved twice,
 * in one load (no second, whole one); a tool that fails at the commit is
 * reported and the retry loads every block. Against a fake streaming
 * backend (no root), then into the real nftables sets of a namespace this
 * test creates.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NftablesBackend } from '../../src/actions/block/backends/nftables.js';
import { canonicalCidr } from '../../src/actions/block/cidr.js';
import { readSavedBlocks } from '../../src/actions/block/direct.js';
import { BlockManager } from '../../src/actions/block/manager.js';
import { policyFromConfig } from '../../src/actions/block/policy.js';
import type { BlockRecord } from '../../src/actions/block/records.js';
import { backendContext, netnsRunner } from '../../src/actions/block/runner.js';
import { blockLinesText } from '../../src/actions/block/saved-lines.js';
import type { BlockBackend, BlockEntry, EntryStream, Family, Runner } from '../../src/actions/block/types.js';
import { defaultConfig } from '../../src/config/load.js';
import { netnsAvailable } from './netns.js';

const exec = promisify(execFile);
const now = Date.parse('2026-12-06T12:00:00Z');
const policy = policyFromConfig(defaultConfig());

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-restore-stream-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A backend that records what it is given: streamed loads (each commit's elements), whole loads, and how often each was used. */
class FakeStreaming implements BlockBackend {
  readonly name = 'fake';
  readonly maxKernelTimeoutSec = 86_400_000;
  readonly needsRemoveBeforeFlush = false;
  streams = 0;
  syncs: BlockEntry[][] = [];
  /** The last committed streamed load: cidr -> timeout. */
  streamed: Map<string, number> | null = null;
  failCommit = false;
  async ensure(): Promise<void> {}
  async add(): Promise<void> {}
  async remove(): Promise<void> {}
  async list(): Promise<[]> {
    return [];
  }
  async flush(): Promise<void> {}
  async present(): Promise<boolean> {
    return true;
  }
  async sync(entries: BlockEntry[]): Promise<void> {
    this.syncs.push(entries);
  }
  syncStream(): EntryStream {
    this.streams++;
    const got = new Map<string, number>();
    let aborted: Error | null = null;
    return {
      add: (cidr: string, _family: Family, timeoutSec: number) => {
        // A cidr streamed twice would be an error in an nft load.
        if (got.has(cidr)) throw new Error(`${cidr} streamed twice`);
        got.set(cidr, timeoutSec);
      },
      ready: () => new Promise((resolve) => setImmediate(resolve)),
      end: async () => {
        if (aborted !== null) throw aborted;
        if (this.failCommit) throw new Error('nft: commit refused');
        this.streamed = got;
      },
      abort: (why: Error) => {
        aborted = why;
      },
    };
  }
}

/** What the records say the firewall carries: cidr -> timeout at `now`. */
function carried(m: BlockManager): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of m.records()) if (r.coveredBy === null) out.set(r.cidr, r.expiresAt === null ? 0 : Math.ceil((r.expiresAt - now) / 1000));
  return out;
}

const view = (m: BlockManager) => m.records().map((r) => [r.cidr, r.createdAt, r.expiresAt, r.reason, r.dl, r.manual, r.coveredBy]);

/** Pseudo-random blocks: IPv4 addresses and prefixes (/22 to /30) that nest, IPv6 addresses and prefixes, manual and permanent ones. */
function randomRecords(n: number, seed: number): BlockRecord[] {
  const rnd = (k: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff) >>> 8) % k;
  const out = new Map<string, BlockRecord>();
  for (let i = 0; i < n; i++) {
    let text: string;
    if (rnd(5) === 0) {
      const len = [48, 56, 64, 128][rnd(4)] as number;
      text = `2001:db8:${rnd(4).toString(16)}:${rnd(4).toString(16)}::${rnd(8).toString(16)}/${len}`;
    } else {
      // A small address space (10.0-15.x.y), so prefixes hold addresses and each other.
      const len = rnd(20) === 0 ? 22 + rnd(9) : 32;
      text = `10.${rnd(16)}.${rnd(64)}.${rnd(256)}/${len}`;
    }
    const c = canonicalCidr(text);
    if (c === null) throw new Error(text);
    const expiresAt = rnd(10) === 0 ? null : now + (1 + rnd(100_000)) * 1000;
    out.set(c.text, { cidr: c.text, family: c.cidr.family, createdAt: now - 1000, expiresAt, reason: `danger level ${1 + rnd(5)}`, dl: 3, manual: rnd(4) === 0, coveredBy: null });
  }
  return [...out.values()];
}

const rule = (text: string, reason: string, hard: boolean) => ({ cidr: canonicalCidr(text)!.cidr, text, reason, hard });
/** Rules that hit some of randomRecords' blocks: a hard one, soft ones (manual blocks keep them). */
const guard = { check: () => null, restoreRules: () => [rule('10.1.0.0/16', 'loopback', true), rule('10.2.3.4', 'BLOCK_WHITELIST', false), rule('2001:db8:1::/48', 'BLOCK_WHITELIST', false), rule('10.0.5.0/24', 'gateway', false)] };

async function restoreWith(path: string, backend: BlockBackend, logs: string[] = []): Promise<{ manager: BlockManager; ok: boolean }> {
  return BlockManager.restore(readSavedBlocks(path), { backends: [backend], policy, guard, now: () => now, log: (l, m) => logs.push(`${l}: ${m}`), retry: { initialMs: 0, maxMs: 0 } });
}

describe('a streamed restart (fake backend)', () => {
  it.each([1, 2, 3, 4, 5])('streams exactly what the records carry, in one load and no whole one (seed %i)', async (seed) => {
    const recs = randomRecords(3000, seed);
    const text = blockLinesText(recs, [{ cidr: '10.0.0.1', count: 2, last: now - 5000 }], now);
    const path = write(`ordered-${seed}.json`, text);
    const backend = new FakeStreaming();
    const { manager, ok } = await restoreWith(path, backend);
    expect(ok).toBe(true);
    expect(backend.streams).toBe(1);
    expect(backend.syncs).toEqual([]); // no second load: the streamed one was right
    expect(backend.streamed).toEqual(carried(manager));
    // The same records as a restore without any firewall (fromJSON).
    expect(view(manager)).toEqual(view(BlockManager.fromJSON(readSavedBlocks(path), { backends: [], policy, guard, now: () => now })));
    expect(manager.size).toBeGreaterThan(1000);
  });

  it('skips expired and damaged rows the way the records do', async () => {
    const recs = randomRecords(500, 9);
    const lines = blockLinesText(recs, [], now).split('\n');
    lines[3] = 'garbage';
    lines[7] = (lines[7] as string).replace(/^(\["[^"]+",\d+,)(\d+|null)/, `$1${now - 1}`);
    const path = write('damaged.json', lines.join('\n'));
    const backend = new FakeStreaming();
    const logs: string[] = [];
    const { manager, ok } = await restoreWith(path, backend, logs);
    expect(ok).toBe(true);
    expect(manager.unreadableAtLoad).toBe(1);
    expect(backend.syncs).toEqual([]);
    expect(backend.streamed).toEqual(carried(manager));
    expect(view(manager)).toEqual(view(BlockManager.fromJSON(readSavedBlocks(path), { backends: [], policy, guard, now: () => now })));
    expect(manager.size).toBeLessThan(recs.length - 1);
    expect(logs.join('\n')).toMatch(/ignored 1 unreadable saved block/);
  });

  it('a file that leaves the saver\'s order midway still streams once, the records deciding from there', async () => {
    const recs = randomRecords(3000, 21);
    const lines = blockLinesText(recs, [], now).split('\n');
    // Two IPv4 address rows swapped near the end (addresses: no nesting order broken).
    const at = lines.findIndex((l, i) => i > lines.length * 0.7 && /^\["10\.\d+\.\d+\.\d+",/.test(l));
    expect(at).toBeGreaterThan(0);
    const a = (lines[at] as string).replace(/,$/, '');
    const b = (lines[at + 1] as string).replace(/,$/, '');
    expect(b).toMatch(/^\["10\.\d+\.\d+\.\d+",/);
    lines[at] = `${b},`;
    lines[at + 1] = `${a},`;
    const path = write('disorder.json', lines.join('\n'));
    const backend = new FakeStreaming();
    const { manager, ok } = await restoreWith(path, backend);
    expect(ok).toBe(true);
    expect(backend.streams).toBe(1);
    expect(backend.syncs).toEqual([]);
    expect(backend.streamed).toEqual(carried(manager));
    expect(view(manager)).toEqual(view(BlockManager.fromJSON(readSavedBlocks(path), { backends: [], policy, guard, now: () => now })));
  });

  it('a cidr saved twice (a hand-edited file) is streamed once, the first row counting', async () => {
    const recs = randomRecords(1000, 5);
    const text = blockLinesText(recs, [], now);
    const lines = text.split('\n');
    // An address the firewall carries (not inside a prefix, not protected).
    const carriedBefore = carried(BlockManager.fromJSON(readSavedBlocks(write('once.json', text)), { backends: [], policy, guard, now: () => now }));
    const at = lines.findIndex((l, i) => i > 100 && /^\["10\.\d+\.\d+\.\d+",/.test(l) && carriedBefore.has(l.slice(2, l.indexOf('"', 2))));
    expect(at).toBeGreaterThan(0);
    lines.splice(at + 1, 0, (lines[at] as string).replace(/"danger level \d"/, '"the second copy"'));
    const path = write('twice.json', lines.join('\n'));
    const backend = new FakeStreaming();
    const { manager, ok } = await restoreWith(path, backend);
    expect(ok).toBe(true);
    expect(backend.syncs).toEqual([]);
    expect(backend.streamed).toEqual(carried(manager));
    expect(manager.records().some((r) => r.reason === 'the second copy')).toBe(false);
    expect(view(manager)).toEqual(view(BlockManager.fromJSON(readSavedBlocks(path), { backends: [], policy, guard, now: () => now })));
  });

  it('a tool that fails at the commit is reported with its error, the records are complete, and the retry loads every block', async () => {
    const recs = randomRecords(2000, 33);
    const path = write('fails.json', blockLinesText(recs, [], now));
    const backend = new FakeStreaming();
    backend.failCommit = true;
    const logs: string[] = [];
    const { manager, ok } = await restoreWith(path, backend, logs);
    expect(ok).toBe(false);
    expect(backend.streamed).toBeNull();
    expect(manager.failingBackends()).toEqual(['fake']);
    expect(logs.join('\n')).toMatch(/error: fake: nft: commit refused; retrying/);
    expect(view(manager)).toEqual(view(BlockManager.fromJSON(readSavedBlocks(path), { backends: [], policy, guard, now: () => now })));
    await manager.tick(now);
    expect(manager.failingBackends()).toEqual([]);
    expect(backend.syncs.length).toBe(1);
    expect(new Map((backend.syncs[0] as BlockEntry[]).map((e) => [e.cidr, e.timeoutSec]))).toEqual(carried(manager));
  });
});

const ok = await netnsAvailable();

describe.skipIf(!ok)('a streamed restart into the real nftables sets (namespace)', () => {
  const ns = `tsadrstream${process.pid}`;
  beforeAll(() => exec('ip', ['netns', 'add', ns]).then(() => undefined));
  afterAll(() => exec('ip', ['netns', 'del', ns]).then(() => undefined, () => undefined));

  /** Every element of tsad's sets with the timeout the kernel holds for it (seconds; 0 without one), from one listing of the table. */
  async function kernel(): Promise<Map<string, number>> {
    const { stdout } = await exec('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'table', 'inet', 'tsad']);
    const out = new Map<string, number>();
    for (const item of (JSON.parse(stdout) as { nftables: Array<{ set?: { elem?: unknown[] } }> }).nftables) {
      for (const e of item.set?.elem ?? []) {
        const el = (e as { elem?: { val: unknown; timeout?: number } }).elem;
        const v = el?.val ?? e;
        const p = (v as { prefix?: { addr: string; len: number } }).prefix;
        out.set(typeof v === 'string' ? v : `${p?.addr}/${p?.len}`, el?.timeout ?? 0);
      }
    }
    return out;
  }

  /** A streamed script with a line nft cannot parse after its second piece (nft refuses the whole script). */
  async function* spoiled(input: AsyncIterable<string>): AsyncGenerator<string> {
    let n = 0;
    for await (const text of input) yield n++ === 1 ? `${text}\nthis is not nft syntax\n` : text;
  }
  const garbage = (base: Runner): Runner => (cmd, args, input) => base(cmd, args, input === undefined || typeof input === 'string' ? input : spoiled(input));

  it('loads exactly the carried blocks with their timeouts; a refused script leaves the old contents and the retry loads them all', async () => {
    const recs = randomRecords(6000, 77);
    const path = write('kernel.json', blockLinesText(recs, [], now));
    const good = await restoreWith(path, new NftablesBackend(backendContext({ run: netnsRunner(ns) })));
    expect(good.ok).toBe(true);
    const want = carried(good.manager);
    expect(want.size).toBeGreaterThan(2000);
    expect(await kernel()).toEqual(want);

    // The old contents: one element; the refused streamed load must not touch them.
    await new NftablesBackend(backendContext({ run: netnsRunner(ns) })).sync([{ cidr: '192.0.2.1', family: 4, timeoutSec: 3600 }]);
    const logs: string[] = [];
    const bad = await restoreWith(path, new NftablesBackend(backendContext({ run: garbage(netnsRunner(ns)) })), logs);
    expect(bad.ok).toBe(false);
    expect(bad.manager.failingBackends()).toEqual(['nftables']);
    expect(logs.join('\n')).toMatch(/error: nftables: .*nft -f .* failed \(1\)/);
    expect([...(await kernel()).keys()]).toEqual(['192.0.2.1']);
    await bad.manager.tick(now);
    expect(bad.manager.failingBackends()).toEqual([]);
    expect(await kernel()).toEqual(want);
  });
});
