/**
 * BlockManager and its records with a recording backend (pure logic: the
 * namespace tests cover the real firewalls): nesting, expiry semantics per
 * backend, retries with backoff, escalation, caps, refusals logged once,
 * persistence.
 */
import { describe, expect, it } from 'vitest';
import { BlockManager, type BlockManagerOptions } from '../../src/actions/block/manager.js';
import { policyFromConfig } from '../../src/actions/block/policy.js';
import type { BlockBackend, BlockEntry, LiveBlock } from '../../src/actions/block/types.js';
import { cfg, collectLog, openGuard } from './helpers.js';

class Recorder implements BlockBackend {
  readonly name: string;
  readonly needsRemoveBeforeFlush = false;
  calls: string[] = [];
  failNext = 0;
  there = true;
  constructor(name: string, readonly maxKernelTimeoutSec: number) {
    this.name = name;
  }
  #maybeFail(): void {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('tool failed');
    }
  }
  async ensure(): Promise<void> {}
  async add(e: BlockEntry[]): Promise<void> {
    this.#maybeFail();
    this.calls.push(`add ${e.map((x) => `${x.cidr}:${x.timeoutSec}${x.replace ? 'R' : ''}`).join(',')}`);
  }
  async remove(c: string[]): Promise<void> {
    this.#maybeFail();
    this.calls.push(`remove ${c.join(',')}`);
  }
  async list(): Promise<LiveBlock[]> {
    return [];
  }
  async flush(): Promise<void> {
    this.calls.push('flush');
  }
  async present(): Promise<boolean> {
    return this.there;
  }
  async sync(e: BlockEntry[]): Promise<void> {
    this.#maybeFail();
    this.there = true;
    this.calls.push(`sync ${e.map((x) => x.cidr).join(',')}`);
  }
}

function setup(values: Record<string, string> = {}, extra: Partial<BlockManagerOptions> = {}) {
  let now = 1_700_000_000_000;
  const kernel = new Recorder('kernel', 2_147_483);
  const plain = new Recorder('plain', 0);
  const { log, lines } = collectLog();
  const m = new BlockManager({ backends: [kernel, plain], policy: policyFromConfig(cfg(values)), guard: openGuard, log, now: () => now, retry: { initialMs: 1000, maxMs: 4000 }, ...extra });
  return { m, kernel, plain, lines, advance: (ms: number) => (now += ms), now: () => now };
}

describe('BlockManager', () => {
  it('installs only the outer block of a nest and brings inner ones back when it goes', async () => {
    const { m, kernel } = setup();
    await m.block('198.51.100.7', { timeoutSec: 100 });
    await m.block('198.51.100.0/24', { timeoutSec: 50 });
    expect(kernel.calls).toEqual(['add 198.51.100.7:100', 'remove 198.51.100.7', 'add 198.51.100.0/24:50']);
    const r = await m.block('198.51.100.9', { timeoutSec: 10 });
    expect(r).toMatchObject({ ok: true, coveredBy: '198.51.100.0/24' });
    expect(kernel.calls).toHaveLength(3);
    await m.unblock('198.51.100.0/24');
    expect(kernel.calls.slice(3)).toEqual(['remove 198.51.100.0/24', 'add 198.51.100.7:100,198.51.100.9:10']);
    expect(m.records().map((x) => [x.cidr, x.coveredBy])).toEqual([['198.51.100.7', null], ['198.51.100.9', null]]);
  });

  it('resurfaces nested blocks in order when several levels go at once', async () => {
    const { m, kernel, advance } = setup();
    await m.block('2001:db8::1', { timeoutSec: 300 });
    await m.block('2001:db8::/64', { timeoutSec: 200 });
    await m.block('2001:db8::/48', { timeoutSec: 10 });
    await m.block('2001:db8:0:1::5', { timeoutSec: 300 });
    expect(m.get('2001:db8:0:1::5')?.coveredBy).toBe('2001:db8::/48');
    kernel.calls = [];
    advance(11_000);
    expect(await m.expire()).toEqual(['2001:db8::/48']);
    // The container is removed explicitly (nested ones follow), even from a kernel-timeout backend.
    expect(kernel.calls).toEqual(['remove 2001:db8::/48', 'add 2001:db8::/64:189,2001:db8:0:1::5:289']);
    expect(m.get('2001:db8::1')?.coveredBy).toBe('2001:db8::/64');
  });

  it('leaves expiry to backends with kernel timeouts and removes from the others', async () => {
    const { m, kernel, plain, advance } = setup();
    await m.block('198.51.100.7', { timeoutSec: 60 });
    await m.block('198.51.100.8', { timeoutSec: 3_000_000 }); // beyond ipset's kernel maximum
    kernel.calls = [];
    plain.calls = [];
    advance(61_000);
    await m.tick();
    expect(kernel.calls).toEqual([]);
    expect(plain.calls).toEqual(['remove 198.51.100.7']);
    advance(3_000_000_000);
    await m.tick();
    expect(kernel.calls).toEqual(['remove 198.51.100.8']);
  });

  it('retries a failed backend with backoff, without stopping the others', async () => {
    const { m, kernel, plain, lines, advance } = setup();
    plain.failNext = 2;
    const r = await m.block('198.51.100.7', { timeoutSec: 0 });
    expect(r).toMatchObject({ ok: true, applied: false });
    expect(kernel.calls).toEqual(['add 198.51.100.7:0']);
    await m.block('198.51.100.8', { timeoutSec: 0 });
    await m.unblock('198.51.100.7');
    expect(plain.calls).toEqual([]);
    expect(m.failingBackends()).toEqual(['plain']);
    advance(1000);
    await m.tick(); // second failure: next try after 2 s
    expect(m.failingBackends()).toEqual(['plain']);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['plain: tool failed; retrying in 1 s', 'plain: tool failed; retrying in 2 s']);
    advance(1000);
    await m.tick();
    expect(plain.calls).toEqual([]);
    advance(1000);
    await m.tick();
    expect(plain.calls).toEqual(['sync 198.51.100.8', 'remove 198.51.100.7']);
    expect(m.failingBackends()).toEqual([]);
  });

  it('repairs a backend whose objects vanished, at the configured interval', async () => {
    const { m, kernel, advance } = setup({}, { checkIntervalSec: 30 });
    await m.reconcile();
    await m.block('198.51.100.7', { timeoutSec: 600 });
    kernel.there = false;
    advance(10_000);
    await m.tick();
    expect(kernel.calls).toEqual(['sync ', 'add 198.51.100.7:600']);
    advance(25_000);
    await m.tick();
    expect(kernel.calls[2]).toBe('sync 198.51.100.7');
  });

  it('escalates repeat offenders, caps the rate and logs each refusal once', async () => {
    const guard = { check: (c: string) => (c === '198.51.100.1' ? 'default gateway (198.51.100.1)' : null) };
    const { m, kernel, lines, advance, now } = setup({ ENABLE_AUTO_IDS: 'Y', AUTO_IDS_DANGER_LEVEL: '5', AUTO_BLOCK_DL5_TIMEOUT: '60', AUTO_BLOCK_ESCALATION_FACTOR: '2', AUTO_BLOCK_MAX_PER_MINUTE: '2' }, { guard });
    await m.autoBlock([{ src: '198.51.100.7', dl: 5 }]);
    advance(61_000);
    await m.autoBlock([{ src: '198.51.100.7', dl: 5 }]);
    expect(m.get('198.51.100.7')).toMatchObject({ createdAt: now(), expiresAt: now() + 120_000 });
    const res = await m.autoBlock([{ src: '198.51.100.8', dl: 5 }, { src: '198.51.100.9', dl: 5 }, { src: '198.51.100.1', dl: 5 }, { src: '198.51.100.1', dl: 5 }]);
    expect(res.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['rate', 'protected', 'protected', 'ok']);
    expect(kernel.calls.at(-1)).toBe('add 198.51.100.8:60');
    expect(lines.filter((l) => l.msg.startsWith('not blocking 198.51.100.1'))).toHaveLength(1);
    expect((await m.autoBlock([{ src: '198.51.100.10', dl: 4 }]))).toEqual([]);
  });

  it('extends an installed block with a replace entry', async () => {
    const { m, kernel } = setup();
    await m.block('198.51.100.7', { timeoutSec: 60 });
    await m.block('198.51.100.7', { timeoutSec: 0 });
    expect(kernel.calls).toEqual(['add 198.51.100.7:60', 'add 198.51.100.7:0R']);
  });

  it('saves and restores blocks and offenders; expired and malformed entries are dropped', async () => {
    const a = setup({ ENABLE_AUTO_IDS: 'Y', AUTO_IDS_DANGER_LEVEL: '5', AUTO_BLOCK_DL5_TIMEOUT: '60', AUTO_BLOCK_ESCALATION_FACTOR: '2' });
    await a.m.block('198.51.100.7', { timeoutSec: 10 });
    await a.m.block('2001:db8::/64', { timeoutSec: 0, reason: 'feed' });
    await a.m.block('2001:db8::5', { timeoutSec: 100 });
    await a.m.autoBlock([{ src: '203.0.113.9', dl: 5 }]);
    const json = JSON.parse(JSON.stringify(a.m.toJSON())) as { blocks: unknown[] };
    json.blocks.push({ cidr: 'bogus', createdAt: 'x' }, 42);
    a.advance(20_000);
    const { log, lines } = collectLog();
    const kernel = new Recorder('kernel', 1e9);
    const b = BlockManager.fromJSON(json, { backends: [kernel], policy: policyFromConfig(cfg({ ENABLE_AUTO_IDS: 'Y', AUTO_IDS_DANGER_LEVEL: '5', AUTO_BLOCK_DL5_TIMEOUT: '60', AUTO_BLOCK_ESCALATION_FACTOR: '2' })), guard: openGuard, log, now: a.now });
    expect(b.records().map((r) => [r.cidr, r.coveredBy, r.reason])).toEqual([
      ['203.0.113.9', null, 'danger level 5'],
      ['2001:db8::/64', null, 'feed'],
      ['2001:db8::5', '2001:db8::/64', 'danger level 5'],
    ]);
    expect(lines[0]?.msg).toBe('ignored 2 unreadable saved block(s)');
    await b.reconcile();
    expect(kernel.calls).toEqual(['sync 203.0.113.9,2001:db8::/64']);
    // The offender history survives: the next block of 203.0.113.9 after expiry is doubled.
    a.advance(60_000);
    await b.expire();
    await b.autoBlock([{ src: '203.0.113.9', dl: 5 }]);
    expect(b.get('203.0.113.9')!.expiresAt! - a.now()).toBe(120_000);
  });
});

describe('createBlockManager', () => {
  it('wires backends, policy and never-block rules from the configuration', async () => {
    const { createBlockManager } = await import('../../src/actions/block/index.js');
    let changes = 0;
    const m = await createBlockManager(cfg({ BLOCK_BACKEND: 'none', ENABLE_AUTO_IDS: 'Y', AUTO_IDS_DANGER_LEVEL: '4' }), { resolvConf: '/dev/null', onChange: () => changes++ });
    expect(await m.reconcile()).toBe(true);
    const res = await m.autoBlock([{ src: '198.51.100.7', dl: 4 }, { src: '127.0.0.1', dl: 5 }, { src: '198.51.100.8', dl: 3 }]);
    expect(res.map((r) => [r.cidr, r.ok])).toEqual([['127.0.0.1', false], ['198.51.100.7', true]]);
    expect(m.get('198.51.100.7')?.expiresAt).not.toBeNull();
    expect(changes).toBeGreaterThan(0);
  });
});
