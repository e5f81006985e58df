/**
 * blocks.json version 2 (one block per line, src/actions/block/saved-lines.ts):
 * what a manager writes comes back the same after a restart, into the real
 * nftables sets of a namespace this test creates; a blocks.json of version 1
 * still restores; a damaged line, or a number out of range, costs only its
 * block (skipped and counted, never fatal), and a file cut short keeps the
 * blocks before the cut.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NftablesBackend } from '../../src/actions/block/backends/nftables.js';
import { readSavedBlocks } from '../../src/actions/block/direct.js';
import { byAddress, canonicalCidr } from '../../src/actions/block/cidr.js';
import { BlockManager } from '../../src/actions/block/manager.js';
import { policyFromConfig } from '../../src/actions/block/policy.js';
import { backendContext, netnsRunner } from '../../src/actions/block/runner.js';
import { blockLinesText } from '../../src/actions/block/saved-lines.js';
import type { BlockBackend, Runner } from '../../src/actions/block/types.js';
import { defaultConfig } from '../../src/config/load.js';
import { netnsAvailable } from './netns.js';

const exec = promisify(execFile);
const now = Date.parse('2026-12-06T12:00:00Z');
const hour = 3_600_000;
const policy = policyFromConfig(defaultConfig());
const opts = (backends: BlockBackend[] = [], log: (l: string, m: string) => void = () => undefined) => ({ backends, policy, guard: { check: () => null }, now: () => now, log });

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-saved-lines-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A manager holding nested, IPv6, manual and permanent blocks, one with a reason that needs escaping. */
async function sample(): Promise<BlockManager> {
  const m = new BlockManager(opts());
  await m.block('198.51.100.7', { timeoutSec: 3600, dl: 4, reason: 'danger level 4' });
  await m.block('198.51.100.0/24', { timeoutSec: 7200, dl: 5 });
  await m.block('2001:db8:0:1::5', { timeoutSec: 600, dl: 3 });
  await m.block('2001:db8:0:1::/64', { timeoutSec: 0, manual: true, reason: 'tab\there, "quoted", new\nline, é' });
  await m.block('203.0.113.9', { timeoutSec: 60 });
  return m;
}

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const view = (m: BlockManager) => m.records().map((r) => [r.cidr, r.createdAt, r.expiresAt, r.reason, r.dl, r.manual, r.coveredBy]);

describe('blocks.json version 2 (one block per line)', () => {
  it('is one JSON document, outer prefixes first, and restores the same records and offenders', async () => {
    const m = await sample();
    const text = blockLinesText(m.records(), [{ cidr: '198.51.100.7', count: 2, last: now - 1000 }], now);
    const doc = JSON.parse(text) as { version: number; blocks: unknown[][]; offenders: unknown[][] };
    expect(doc.version).toBe(2);
    expect(doc.blocks.map((b) => b[0])).toEqual(['198.51.100.0/24', '198.51.100.7', '203.0.113.9', '2001:db8:0:1::/64', '2001:db8:0:1::5']);
    expect(text.split('\n').length).toBe(1 + 5 + 1 + 1 + 2); // head, a line per block, offenders, one offender, close and the final newline
    const back = BlockManager.fromJSON(readSavedBlocks(write('v2.json', text)), opts());
    expect(view(back)).toEqual(view(m));
    expect(back.unreadableAtLoad).toBe(0);
    expect(JSON.parse(blockLinesText(back.records(), [], now)).blocks).toEqual(doc.blocks);
  });

  it('writes each prefix length in address order (nft loads a set given in order faster), whatever order the blocks came in', async () => {
    const m = new BlockManager(opts());
    for (const a of ['203.0.113.9', '10.0.0.1', '198.51.100.0/24', '9.9.9.9', '2001:db8::/64', '2001:db8::2:1', '100.64.0.0/24', '2001:db8::1:1', '2001:db8:0:1::5', '::5']) await m.block(a, { timeoutSec: 3600 });
    const rows = JSON.parse(blockLinesText(m.records(), [], now)).blocks as string[][];
    expect(rows.map((b) => b[0])).toEqual(['100.64.0.0/24', '198.51.100.0/24', '9.9.9.9', '10.0.0.1', '203.0.113.9', '2001:db8::/64', '::5', '2001:db8::1:1', '2001:db8::2:1', '2001:db8:0:1::5']);
  });

  it('skips and counts a damaged line or a number out of range; a file cut short keeps the blocks before the cut', async () => {
    const m = await sample();
    const lines = blockLinesText(m.records(), [], now).split('\n');
    // Line 0 is the head: damage the /24's line, put an out-of-range dl on 198.51.100.7's, a negative time on the IPv6 /64's.
    lines[1] = '["198.51.100.0/24",17650';
    lines[2] = (lines[2] as string).replace(/,\d,false,/, ',9,false,');
    lines[4] = (lines[4] as string).replace(/^\["2001:db8:0:1::\/64",\d+,/, '["2001:db8:0:1::/64",-5,');
    const logs: string[] = [];
    const back = BlockManager.fromJSON(readSavedBlocks(write('bad.json', lines.join('\n'))), opts([], (_l, msg) => logs.push(msg)));
    expect(back.unreadableAtLoad).toBe(3);
    expect(logs.join('\n')).toMatch(/ignored 3 unreadable saved block\(s\)/);
    // The /64 is gone, so the address inside it is installed on its own.
    expect(back.records().map((r) => [r.cidr, r.coveredBy])).toEqual([
      ['203.0.113.9', null],
      ['2001:db8:0:1::5', null],
    ]);

    const whole = blockLinesText(m.records(), [], now);
    const cut = whole.slice(0, whole.indexOf('\n', whole.indexOf('203.0.113.9')) + 1);
    const short: string[] = [];
    const kept = BlockManager.fromJSON(readSavedBlocks(write('cut.json', cut)), opts([], (_l, msg) => short.push(msg)));
    expect(kept.records().map((r) => r.cidr)).toEqual(['198.51.100.0/24', '198.51.100.7', '203.0.113.9']);
    expect(short.join('\n')).toMatch(/cut short/);
  });

  it('holds restored blocks to the never-block rules: hard ones always, soft ones but for manual blocks', () => {
    const rule = (text: string, reason: string, hard: boolean) => ({ cidr: canonicalCidr(text)!.cidr, text, reason, hard });
    const guard = { check: () => null, restoreRules: () => [rule('127.0.0.0/8', 'loopback', true), rule('10.1.2.3', 'BLOCK_WHITELIST', false), rule('192.0.2.0/24', 'BLOCK_WHITELIST', false)] };
    const row = (cidr: string, manual = false) => `["${cidr}",${now - hour},${now + hour},5,${manual},"r"]`;
    const text = ['{"format":"tsad-blocks","version":2,"savedAt":"2026-12-06T11:59:00.000Z","columns":[],"blocks":[', [row('10.0.0.0/8'), row('127.0.0.5', true), row('10.9.9.9'), row('192.0.2.9', true), row('192.0.2.10'), row('198.51.100.1')].join(',\n'), '],"offenders":[', ']}', ''].join('\n');
    const logs: string[] = [];
    const m = BlockManager.fromJSON(readSavedBlocks(write('protected.json', text)), { ...opts([], (_l, msg) => logs.push(msg)), guard });
    // The /8 held 10.9.9.9, which is installed on its own once the /8 goes.
    expect(m.records().map((r) => [r.cidr, r.coveredBy])).toEqual([
      ['10.9.9.9', null],
      ['192.0.2.9', null],
      ['198.51.100.1', null],
    ]);
    expect(logs.filter((l) => l.startsWith('not restoring')).sort()).toEqual([
      'not restoring the block against 10.0.0.0/8: BLOCK_WHITELIST (10.1.2.3)',
      'not restoring the block against 127.0.0.5: loopback (127.0.0.0/8)',
      'not restoring the block against 192.0.2.10: BLOCK_WHITELIST (192.0.2.0/24)',
    ]);
  });

  it('stores a line out of order (a hand-edited file) nested correctly', () => {
    const text = [
      '{"format":"tsad-blocks","version":2,"savedAt":"2026-12-06T11:59:00.000Z","columns":[],"blocks":[',
      `["198.51.100.7",${now - hour},${now + hour},3,false,"inside"],`,
      `["198.51.100.0/24",${now - hour},${now + hour},3,false,"outer"]`,
      '],"offenders":[',
      ']}',
      '',
    ].join('\n');
    const m = BlockManager.fromJSON(readSavedBlocks(write('order.json', text)), opts());
    expect(m.records().map((r) => [r.cidr, r.coveredBy])).toEqual([
      ['198.51.100.0/24', null],
      ['198.51.100.7', '198.51.100.0/24'],
    ]);
  });
});

const ok = await netnsAvailable();

describe.skipIf(!ok)('a restart restores blocks.json into the real nftables sets (namespace)', () => {
  const ns = `tsadlines${process.pid}`;
  beforeAll(async () => {
    await exec('ip', ['netns', 'add', ns]);
  });
  afterAll(async () => {
    await exec('ip', ['netns', 'del', ns]).catch(() => undefined);
  });

  async function setElements(set: string): Promise<string[]> {
    const { stdout } = await exec('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'set', 'inet', 'tsad', set]);
    const doc = JSON.parse(stdout) as { nftables: Array<{ set?: { elem?: unknown[] } }> };
    const elems = doc.nftables.find((x) => x.set)?.set?.elem ?? [];
    return elems
      .map((e) => {
        const v = (e as { elem?: { val: unknown } }).elem?.val ?? e;
        return typeof v === 'string' ? v : `${(v as { prefix: { addr: string; len: number } }).prefix.addr}/${(v as { prefix: { len: number } }).prefix.len}`;
      })
      .sort();
  }

  /** The daemon's restart: BlockManager.restore() (version 2 streamed into nft as it is read, version 1 loaded after). */
  const restart = async (path: string, logs: string[] = []): Promise<BlockManager> => {
    const { manager, ok: loaded } = await BlockManager.restore(readSavedBlocks(path), opts([new NftablesBackend(backendContext({ run: netnsRunner(ns) }))], (_l, msg) => logs.push(msg)));
    expect(loaded).toBe(true);
    return manager;
  };

  /** A blocks.json of `n` IPv4 addresses from 100.64.0.0 and every tenth an IPv6 /64 (enough for several pieces of a streamed script). */
  function many(n: number): { path: string; v4: string[]; v6: string[] } {
    const v4: string[] = [];
    const v6: string[] = [];
    const rows: string[] = [];
    for (let i = 0; i < n; i++) {
      const cidr = i % 10 === 9 ? `2001:db8:${(i >> 8).toString(16)}:${(i & 255).toString(16)}::/64` : `100.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
      (cidr.includes(':') ? v6 : v4).push(cidr);
      rows.push(`["${cidr}",${now - hour},${now + hour},3,false,"danger level 3"]`);
    }
    const text = ['{"format":"tsad-blocks","version":2,"savedAt":"2026-12-06T11:59:00.000Z","columns":[],"blocks":[', rows.join(',\n'), '],"offenders":[', ']}', ''].join('\n');
    return { path: write(`many-${n}.json`, text), v4: v4.sort(), v6: v6.sort() };
  }

  /** `base`, with a streamed script broken after its `after`-th piece: tsad stops (`abort`) or nft gets a bad line (`garbage`). */
  const breaking =
    (base: Runner, how: 'abort' | 'garbage', after: number): Runner =>
    (cmd, args, input) => {
      if (input === undefined || typeof input === 'string') return base(cmd, args, input);
      async function* cut(): AsyncGenerator<string> {
        let n = 0;
        for await (const text of input as AsyncIterable<string>) {
          yield text;
          if (++n !== after) continue;
          if (how === 'abort') throw new Error('reading blocks.json stopped');
          yield '\nthis is not nft syntax\n';
        }
      }
      return base(cmd, args, cut());
    };

  it.each(['abort', 'garbage'] as const)('a streamed load that fails midway (%s) leaves the old set contents, is reported, and the retry loads every block', async (how) => {
    const before = new NftablesBackend(backendContext({ run: netnsRunner(ns) }));
    await before.sync([{ cidr: '192.0.2.1', family: 4, timeoutSec: 3600 }]);
    const { path, v4, v6 } = many(5000);
    const logs: string[] = [];
    const backend = new NftablesBackend(backendContext({ run: breaking(netnsRunner(ns), how, how === 'abort' ? 1 : 2) }));
    const { manager, ok: loaded } = await BlockManager.restore(readSavedBlocks(path), { ...opts([backend], (l, msg) => logs.push(`${l}: ${msg}`)), retry: { initialMs: 0, maxMs: 0 } });
    expect(loaded).toBe(false);
    expect(manager.size).toBe(5000);
    expect(manager.failingBackends()).toEqual(['nftables']);
    expect(logs.join('\n')).toMatch(how === 'abort' ? /error: nftables: reading blocks\.json stopped; retrying/ : /error: nftables: .*nft -f .* failed \(1\)/);
    // One transaction: nothing of the cut script reached the kernel.
    expect(await setElements('block_v4')).toEqual(['192.0.2.1']);
    expect(await setElements('block_v6')).toEqual([]);
    await manager.tick();
    expect(manager.failingBackends()).toEqual([]);
    expect(await setElements('block_v4')).toEqual(v4);
    expect(await setElements('block_v6')).toEqual(v6);
  });

  it('streams blocks of both families in any order, holds them to the never-block rules, and reloads whole when a block comes after blocks inside it', async () => {
    const rule = (text: string, reason: string, hard: boolean) => ({ cidr: canonicalCidr(text)!.cidr, text, reason, hard });
    const guard = { check: () => null, restoreRules: () => [rule('127.0.0.0/8', 'loopback', true), rule('10.1.2.3', 'BLOCK_WHITELIST', false)] };
    const row = (cidr: string, manual = false) => `["${cidr}",${now - hour},${now + hour},5,${manual},"r"]`;
    const file = (rows: string[]) => ['{"format":"tsad-blocks","version":2,"savedAt":"2026-12-06T11:59:00.000Z","columns":[],"blocks":[', rows.join(',\n'), '],"offenders":[', ']}', ''].join('\n');
    const load = async (name: string, rows: string[]) => {
      const backend = new NftablesBackend(backendContext({ run: netnsRunner(ns) }));
      const r = await BlockManager.restore(readSavedBlocks(write(name, file(rows))), { ...opts([backend]), guard });
      expect(r.ok).toBe(true);
      return r.manager;
    };
    // IPv6 first, IPv4 after, IPv6 again; a /8 that holds a whitelisted address is left out and the address inside it installed on its own.
    const m = await load('families.json', [row('2001:db8::/48'), row('10.0.0.0/8'), row('127.0.0.9'), row('10.9.9.9'), row('198.51.100.0/24'), row('198.51.100.7'), row('2001:db8:1::5')]);
    expect(m.records().map((r) => [r.cidr, r.coveredBy])).toEqual([
      ['198.51.100.0/24', null],
      ['10.9.9.9', null],
      ['198.51.100.7', '198.51.100.0/24'],
      ['2001:db8::/48', null],
      ['2001:db8:1::5', null],
    ]);
    expect(await setElements('block_v4')).toEqual(['10.9.9.9', '198.51.100.0/24']);
    expect(await setElements('block_v6')).toEqual(['2001:db8:1::5', '2001:db8::/48']);
    // The /24 after the address inside it (a hand-edited file): the address was streamed already, so the load is done again whole.
    const late = await load('late-outer.json', [row('198.51.100.7'), row('198.51.100.0/24')]);
    expect(late.records().map((r) => [r.cidr, r.coveredBy])).toEqual([
      ['198.51.100.0/24', null],
      ['198.51.100.7', '198.51.100.0/24'],
    ]);
    expect(await setElements('block_v4')).toEqual(['198.51.100.0/24']);
    expect(await setElements('block_v6')).toEqual([]);
  });

  /** Each element of `set` with the timeout the kernel holds for it (seconds; null without one). */
  async function setTimeouts(set: string): Promise<Record<string, number | null>> {
    const { stdout } = await exec('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'set', 'inet', 'tsad', set]);
    const doc = JSON.parse(stdout) as { nftables: Array<{ set?: { elem?: unknown[] } }> };
    const out: Record<string, number | null> = {};
    for (const e of doc.nftables.find((x) => x.set)?.set?.elem ?? []) {
      const el = (e as { elem?: { val: unknown; timeout?: number } }).elem;
      const v = el?.val ?? e;
      out[typeof v === 'string' ? v : `${(v as { prefix: { addr: string } }).prefix.addr}/${(v as { prefix: { len: number } }).prefix.len}`] = el?.timeout ?? null;
    }
    return out;
  }

  it('blocks made in random address order are saved in address order and loaded (streamed or whole) with exactly their own timeouts', async () => {
    const m = new BlockManager(opts());
    const want: Record<number, Record<string, number | null>> = { 4: {}, 6: {} };
    let seed = 11;
    const rnd = (k: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 8) % k;
    for (let i = 0; i < 3000; i++) {
      const v6 = i % 7 === 3;
      const a = v6 ? `2001:db8:${rnd(65536).toString(16)}:${rnd(65536).toString(16)}::${i.toString(16)}` : `${1 + rnd(223)}.${rnd(256)}.${rnd(256)}.${rnd(256)}`;
      const cidr = i % 50 === 7 ? (v6 ? `${a.split('::')[0]}::/64` : `${a.split('.').slice(0, 3).join('.')}.0/24`) : a;
      const timeoutSec = i % 100 === 0 ? 0 : 60 + rnd(100_000);
      const r = await m.block(cidr, { timeoutSec });
      expect(r.ok).toBe(true);
    }
    for (const r of m.records()) if (r.coveredBy === null) want[r.cidr.includes(':') ? 6 : 4]![r.cidr] = r.expiresAt === null ? null : (r.expiresAt - now) / 1000;
    // As the daemon saves: the records in the order they were made.
    const next = m.toLines();
    let text = '';
    for (let piece = next(); piece !== null; piece = next()) text += piece;
    const rows = (JSON.parse(text) as { blocks: string[][] }).blocks.map((b) => b[0] as string);
    expect(rows).toEqual(byAddress(rows, (c) => c).sort((a, b) => (canonicalCidr(a)!.cidr.family - canonicalCidr(b)!.cidr.family) || (canonicalCidr(a)!.cidr.len - canonicalCidr(b)!.cidr.len)));
    const back = await restart(write('random-order.json', text));
    expect(view(back)).toEqual(view(m));
    expect(await setTimeouts('block_v4')).toEqual(want[4]);
    expect(await setTimeouts('block_v6')).toEqual(want[6]);
    // The whole-load path (reconcile(), a retry) sorts too: flushed first, so nothing is left from the streamed load.
    const backend = new NftablesBackend(backendContext({ run: netnsRunner(ns) }));
    await backend.flush();
    const whole = BlockManager.fromJSON(m.toJSON(), opts([backend]));
    expect(await whole.reconcile()).toBe(true);
    expect(await setTimeouts('block_v4')).toEqual(want[4]);
    expect(await setTimeouts('block_v6')).toEqual(want[6]);
  });

  it('from version 2 with a damaged line: the other blocks are in the kernel, the damaged one counted', async () => {
    const m = await sample();
    const lines = blockLinesText(m.records(), [], now).split('\n');
    lines[2] = 'garbage'; // 198.51.100.7, inside the /24
    const path = write('restart-v2.json', lines.join('\n'));
    const logs: string[] = [];
    const back = await restart(path, logs);
    expect(back.unreadableAtLoad).toBe(1);
    expect(await setElements('block_v4')).toEqual(['198.51.100.0/24', '203.0.113.9']);
    expect(await setElements('block_v6')).toEqual(['2001:db8:0:1::/64']);
    expect(back.records().map((r) => r.cidr)).toEqual(['198.51.100.0/24', '203.0.113.9', '2001:db8:0:1::/64', '2001:db8:0:1::5']);
    expect(logs.join('\n')).toMatch(/ignored 1 unreadable saved block/);
  });

  it('from version 1 (the objects an earlier tsad wrote)', async () => {
    const m = await sample();
    const path = write('restart-v1.json', `${JSON.stringify(m.toJSON(), null, 1)}\n`);
    expect(JSON.parse(readFileSync(path, 'utf8')).version).toBe(1);
    const back = await restart(path);
    expect(view(back)).toEqual(view(m));
    expect(await setElements('block_v4')).toEqual(['198.51.100.0/24', '203.0.113.9']);
    expect(await setElements('block_v6')).toEqual(['2001:db8:0:1::/64']);
  });
});
