/**
 * `tsad block|unblock|blocks|flush` in direct mode: records in
 * STATE_DIR/blocks.json, the never-block rules, usage errors; and on the real
 * nftables in a namespace, where a later invocation restores what a ruleset
 * flush removed.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDirect } from '../../src/actions/block/direct.js';
import type { BlockTransport } from '../../src/actions/block/control.js';
import { blockCommand, blocksCommand, flushCommand, registerBlock, unblockCommand } from '../../src/cli/commands/block.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { ADDR, netnsAvailable, Topology } from './netns.js';
import { cfg } from './helpers.js';

const ok = await netnsAvailable();

function capture(): { out: (t: string) => void; text: () => string } {
  let buf = '';
  return { out: (t) => void (buf += t), text: () => buf };
}

describe('block commands, direct mode (backend none)', () => {
  let dir: string;
  let now = Date.parse('2026-01-01T00:00:00Z');
  const open = (): Promise<BlockTransport> => openDirect({ config: cfg({ BLOCK_BACKEND: 'none', BLOCK_WHITELIST: '192.0.2.0/24' }), stateDir: dir, now: () => now });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsad-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('blocks, lists with time left, unblocks and flushes, keeping blocks.json', async () => {
    const c = capture();
    await blockCommand('198.51.100.7', { timeout: '3600' }, await open(), c.out);
    await blockCommand('2001:db8:1:2::99/64', {}, await open(), c.out);
    expect(c.text()).toBe('blocked 198.51.100.7 until 2026-01-01T01:00:00.000Z\nblocked 2001:db8:1:2::/64 until removed\n');
    const saved = JSON.parse(await readFile(join(dir, 'blocks.json'), 'utf8')) as { version: number; blocks: Array<[string]> };
    expect(saved.version).toBe(2);
    expect(saved.blocks.map((b) => b[0])).toEqual(['198.51.100.7', '2001:db8:1:2::/64']);
    now += 600_000;
    const l = capture();
    await blocksCommand({}, await open(), l.out);
    expect(l.text()).toMatch(/^BLOCK +LEFT +EXPIRES +DL +REASON\n198\.51\.100\.7 +50m0s +2026-01-01T01:00:00\.000Z +- +manual\n2001:db8:1:2::\/64 +permanent +- +- +manual\n$/);
    const j = capture();
    await blocksCommand({ json: true }, await open(), j.out);
    expect(JSON.parse(j.text())).toMatchObject([{ cidr: '198.51.100.7', secondsLeft: 3000, expiresAt: '2026-01-01T01:00:00.000Z' }, { cidr: '2001:db8:1:2::/64', secondsLeft: null }]);
    const u = capture();
    await unblockCommand('198.51.100.7', await open(), u.out);
    await unblockCommand('198.51.100.7', await open(), u.out);
    expect(u.text()).toBe('unblocked 198.51.100.7\n198.51.100.7 was not blocked by tsad\n');
    const f = capture();
    await flushCommand(await open(), f.out);
    expect(f.text()).toBe("removed 1 block(s) and tsad's firewall objects\n");
    expect(JSON.parse(await readFile(join(dir, 'blocks.json'), 'utf8'))).toMatchObject({ blocks: [] });
  });

  it('applies the never-block rules; --force lifts the whitelist but never loopback', async () => {
    await expect(blockCommand('192.0.2.9', {}, await open(), () => undefined)).rejects.toThrow(/not blocking 192\.0\.2\.9: BLOCK_WHITELIST \(192\.0\.2\.0\/24\) \(--force overrides/);
    await blockCommand('192.0.2.9', { force: true }, await open(), () => undefined);
    await expect(blockCommand('127.0.0.1', { force: true }, await open(), () => undefined)).rejects.toThrow(/loopback/);
    await expect(blockCommand('10.0.0.0/0', { force: true }, await open(), () => undefined)).rejects.toThrow(/contains 127\.0\.0\.0\/8 \(loopback\)/);
  });

  it('rejects bad arguments as usage errors (exit 2) and a corrupt state file with its name', async () => {
    await expect(blockCommand('198.51.100.300', {}, await open())).rejects.toThrow(UsageError);
    await expect(blockCommand('198.51.100.3', { timeout: '1h' }, await open())).rejects.toThrow(UsageError);
    const program = new Command().exitOverride();
    registerBlock(program, open);
    await expect(program.parseAsync(['node', 'tsad', 'unblock', 'nope'])).rejects.toThrow(UsageError);
    await writeFile(join(dir, 'blocks.json'), '{not json');
    await expect(open()).rejects.toThrow(/blocks\.json: not valid JSON/);
    await rm(join(dir, 'blocks.json'));
  });
});

describe.skipIf(!ok)('block commands, direct mode on nftables in a namespace', () => {
  let t: Topology;
  let dir: string;
  beforeAll(async () => {
    t = await Topology.create('c');
    dir = await mkdtemp(join(tmpdir(), 'tsad-cli-ns-'));
  });
  afterAll(async () => {
    await t?.destroy();
    await rm(dir, { recursive: true, force: true });
  });
  const open = (dryRun = false, out?: (s: string) => void): Promise<BlockTransport> => openDirect({ config: cfg(), stateDir: dir, run: t.runB, resolvConf: '/dev/null', dryRun, out });

  it('blocks A for real; a later command restores blocks lost to `nft flush ruleset`; flush undoes everything', async () => {
    await blockCommand(ADDR.a4, { timeout: '600' }, await open(), () => undefined);
    expect(await t.reach(t.a, ADDR.b4a)).toBe('filtered');
    await expect(blockCommand(ADDR.c4, {}, await open(), () => undefined)).rejects.toThrow(/default gateway/);
    await t.inB('nft', ['flush', 'ruleset']);
    expect(await t.reach(t.a, ADDR.b4a)).toBe('open');
    await blockCommand(ADDR.a6, { timeout: '600' }, await open(), () => undefined);
    expect(await t.reach(t.a, ADDR.b4a)).toBe('filtered');
    expect(await t.reach(t.a, ADDR.b6a)).toBe('filtered');
    expect(await t.reach(t.c, ADDR.b4c)).toBe('open');
    const dry = capture();
    await blockCommand('198.51.100.44', { timeout: '60' }, await open(true, dry.out), () => undefined);
    expect(dry.text()).toContain('198.51.100.44 timeout 60s');
    expect(await t.inB('nft', ['list', 'set', 'inet', 'tsad', 'block_v4'])).not.toContain('198.51.100.44');
    const l = capture();
    await blocksCommand({ json: true }, await open(), l.out);
    expect((JSON.parse(l.text()) as Array<{ cidr: string }>).map((v) => v.cidr)).toEqual([ADDR.a4, ADDR.a6]);
    await flushCommand(await open(), () => undefined);
    await expect(t.inB('nft', ['list', 'table', 'inet', 'tsad'])).rejects.toThrow();
    expect(await t.reach(t.a, ADDR.b4a)).toBe('open');
  });
});
