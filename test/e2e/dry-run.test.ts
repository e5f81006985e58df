/**
 * `tsad daemon --dry-run` decides blocks and prints the firewall commands it
 * would run, but runs none: in a namespace of its own, fed with real
 * captured scan lines, the daemon logs the nft script with the scanner in
 * it, `tsad blocks` shows the decision, and the namespace's ruleset stays
 * empty. Nothing is saved as a real block either.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, killDaemon, need, startDaemon, tool, tsad, waitFor, writeConfig, type DaemonProc } from './helpers/daemon.js';
import { sh } from './helpers/topology.js';

const ok = need('root', isRoot) && need('nftables', tool('nft'));
const SCAN = readFileSync(new URL('../../fixtures/captured/nft/syn.kern.log', import.meta.url), 'utf8');
const ns = `e2e-${randomBytes(3).toString('hex')}-dry`;
let dir = '';
let daemon: DaemonProc | null = null;

beforeAll(() => {
  if (!ok) return;
  dir = mkdtempSync(join(tmpdir(), 'tsad-e2e-dry-'));
  sh('ip', ['netns', 'add', ns]);
  sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
});

afterAll(async () => {
  await killDaemon(daemon);
  if (ok) sh('ip', ['netns', 'del', ns]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!ok)('tsad daemon --dry-run', () => {
  it('prints the nft script for a block and runs nothing', async () => {
    const log = join(dir, 'kern.log');
    writeFileSync(log, '');
    const conf = writeConfig(dir, { ENABLE_AUTO_IDS: 'Y', AUTO_IDS_DANGER_LEVEL: '2'});
    const socket = join(dir, 'tsad.sock');
    const state = join(dir, 'state');
    daemon = await startDaemon(['-c', conf, '--source', `file:${log}`, '--state-dir', state, '--dry-run'], socket, ns);
    writeFileSync(log, SCAN);
    const src = /SRC=(\S+)/.exec(SCAN)?.[1] as string;
    const esc = src.replace(/\./g, '\\.');
    await waitFor('the dry-run script', () => new RegExp(`dry run: nft -f - <<'EOF'\\n.*dry run: table inet tsad \\{\\n.*dry run: +set block_v4 \\{ .*elements = \\{ ${esc} timeout 3600s \\}`).test(daemon?.log() ?? ''), { watch: daemon });
    // Logged once the (dry-run) apply has resolved, which can come after the script's lines: wait for it rather than race it.
    const applied = new RegExp(`${esc}: in the firewall \\d+ ms after the line that raised it to DL[23] \\(dry run\\)`);
    await waitFor('the dry-run block reported', () => applied.test(daemon?.log() ?? ''), { watch: daemon });
    expect(daemon.log()).toMatch(applied);
    const blocks = await tsad(['blocks', '--json', '-c', conf, '--socket', socket, '--state-dir', state], ns);
    expect((JSON.parse(blocks.stdout) as Array<{ cidr: string }>).map((b) => b.cidr)).toContain(src);
    expect(sh('ip', ['netns', 'exec', ns, 'nft', 'list', 'ruleset'])).toBe('');
    expect(await daemon.stop()).toBe(0);
    daemon = null;
    // Decisions of a dry run are not real blocks: neither blocks.json nor the saved state records them.
    expect(existsSync(join(state, 'blocks.json'))).toBe(false);
    const saved = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as { extensions: Record<string, unknown> };
    expect(saved.extensions.blocking).toBeUndefined();
  });
});
