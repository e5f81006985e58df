/**
 * nftables backend, for real, in network namespaces: B blocks A and A's
 * connections to B time out while C still connects; IPv6 and /64 prefixes;
 * kernel timeouts; nested prefixes; REJECT; repair after `nft flush ruleset`;
 * the never-block rules; flush; dry-run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDR, netnsAvailable, Topology } from './netns.js';
import { cfg, nsManager } from './helpers.js';
import { NeverBlock } from '../../src/actions/block/never-block.js';
import { waitFor } from '../helpers/wait.js';

const ok = await netnsAvailable();

async function setElements(t: Topology, set: string): Promise<string[]> {
  const doc = JSON.parse(await t.inB('nft', ['-j', 'list', 'set', 'inet', 'tsad', set])) as { nftables: Array<{ set?: { elem?: unknown[] } }> };
  const elems = doc.nftables.find((x) => x.set)?.set?.elem ?? [];
  return elems.map((e) => {
    const v = (e as { elem?: { val: unknown } }).elem?.val ?? e;
    if (typeof v === 'string') return v;
    const p = (v as { prefix: { addr: string; len: number } }).prefix;
    return `${p.addr}/${p.len}`;
  });
}

describe.skipIf(!ok)('nftables backend in namespaces', () => {
  let t: Topology;
  beforeAll(async () => {
    t = await Topology.create('n');
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('blocks A in B (IPv4 and IPv6) while C still reaches B', async () => {
    const { manager } = await nsManager(cfg(), t.runB);
    expect(await manager.reconcile()).toBe(true);
    expect(await t.reach(t.a, ADDR.b4a)).toBe('open');
    const r4 = await manager.block(ADDR.a4, { timeoutSec: 600 });
    const r6 = await manager.block(ADDR.a6, { timeoutSec: 600 });
    expect(r4.ok && r6.ok).toBe(true);
    expect(await setElements(t, 'block_v4')).toEqual([ADDR.a4]);
    expect(await setElements(t, 'block_v6')).toEqual([ADDR.a6]);
    expect(await t.reach(t.a, ADDR.b4a)).toBe('filtered');
    expect(await t.reach(t.a, ADDR.b6a)).toBe('filtered');
    expect(await t.reach(t.c, ADDR.b4c)).toBe('open');
    expect(await t.reach(t.c, ADDR.b6c)).toBe('open');
    await manager.unblock(ADDR.a4);
    await manager.unblock(ADDR.a6);
    expect(await t.reach(t.a, ADDR.b4a)).toBe('open');
    expect(await setElements(t, 'block_v4')).toEqual([]);
  });

  it('blocks an aggregated IPv6 /64 as a /64', async () => {
    const { manager } = await nsManager(cfg(), t.runB);
    await manager.reconcile();
    const r = await manager.block('2001:db8:a::7/64', { timeoutSec: 600, force: false });
    // The /64 holds B's own 2001:db8:a::2: refused.
    expect(r.ok).toBe(false);
    const r2 = await manager.autoBlock([{ src: '2001:db8:a:1::/64', dl: 5 }]);
    expect(r2).toEqual([]); // ENABLE_AUTO_IDS is off by default
    const { manager: auto } = await nsManager(cfg({ ENABLE_AUTO_IDS: 'Y' }), t.runB);
    const r3 = await auto.autoBlock([{ src: '2001:db8:a:1::/64', dl: 5 }]);
    expect(r3[0]).toMatchObject({ ok: true, cidr: '2001:db8:a:1::/64', expiresAt: null });
    expect(await setElements(t, 'block_v6')).toEqual(['2001:db8:a:1::/64']);
    await auto.flush();
  });

  it('lets the kernel expire a timed block', async () => {
    const { manager } = await nsManager(cfg(), t.runB);
    await manager.reconcile();
    // 6 s: the probe (up to 1.5 s of silence for a DROP) must see it on a loaded machine before it expires.
    await manager.block(ADDR.a4, { timeoutSec: 6 });
    expect(await t.reach(t.a, ADDR.b4a)).toBe('filtered');
    await waitFor('the kernel to expire the block', async () => (await setElements(t, 'block_v4')).length === 0, { every: 200 });
    expect(await t.reach(t.a, ADDR.b4a)).toBe('open');
    expect(await manager.expire()).toEqual([ADDR.a4]);
  });

  it('keeps nested blocks out of the interval set and restores them when the outer one goes', async () => {
    const { manager } = await nsManager(cfg(), t.runB);
    await manager.reconcile();
    await manager.block('2001:db8:ffff::5', { timeoutSec: 600 });
    await manager.block('2001:db8:ffff::/48', { timeoutSec: 600 });
    expect(await setElements(t, 'block_v6')).toEqual(['2001:db8:ffff::/48']);
    expect(manager.get('2001:db8:ffff::5')?.coveredBy).toBe('2001:db8:ffff::/48');
    await manager.block('2001:db8:ffff::9', { timeoutSec: 600 }); // inside: recorded, not installed
    expect(await setElements(t, 'block_v6')).toEqual(['2001:db8:ffff::/48']);
    await manager.unblock('2001:db8:ffff::/48');
    expect((await setElements(t, 'block_v6')).sort()).toEqual(['2001:db8:ffff::5', '2001:db8:ffff::9']);
    await manager.flush();
  });

  it('extends a block in the kernel (replace, not a no-op re-add)', async () => {
    const { manager } = await nsManager(cfg(), t.runB);
    await manager.reconcile();
    await manager.block(ADDR.a4, { timeoutSec: 30 });
    await manager.block(ADDR.a4, { timeoutSec: 0 });
    const list = await t.inB('nft', ['list', 'set', 'inet', 'tsad', 'block_v4']);
    expect(list).toContain(ADDR.a4);
    expect(list).not.toContain('timeout 30s');
    await manager.flush();
  });

  it('rejects instead of dropping with BLOCK_TARGET REJECT', async () => {
    const { manager } = await nsManager(cfg({ BLOCK_TARGET: 'REJECT' }), t.runB);
    await manager.reconcile();
    await manager.block(ADDR.a4, { timeoutSec: 60 });
    expect(await t.reach(t.a, ADDR.b4a)).toBe('closed');
    await manager.flush();
    expect(await t.reach(t.a, ADDR.b4a)).toBe('open');
  });

  it('detects `nft flush ruleset` and restores live blocks but not expired ones', async () => {
    let now = Date.now();
    const { manager, lines } = await nsManager(cfg(), t.runB, { now: () => now });
    await manager.reconcile();
    await manager.block(ADDR.a4, { timeoutSec: 600 });
    await manager.block('198.51.100.77', { timeoutSec: 5 });
    await manager.block('2001:db8:a::99', { timeoutSec: 0 });
    await t.inB('nft', ['flush', 'ruleset']);
    expect(await t.reach(t.a, ADDR.b4a)).toBe('open');
    now += 10_000; // 198.51.100.77 has run out meanwhile
    await manager.tick(now + 60_000);
    expect(lines.some((l) => l.level === 'warn' && l.msg.includes('missing'))).toBe(true);
    expect(await setElements(t, 'block_v4')).toEqual([ADDR.a4]);
    expect(await setElements(t, 'block_v6')).toEqual(['2001:db8:a::99']);
    expect(await t.reach(t.a, ADDR.b4a)).toBe('filtered');
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    await manager.flush();
  });

  it('never blocks the gateway, own addresses, loopback, multicast, whitelisted or containing prefixes', async () => {
    const config = cfg({ BLOCK_WHITELIST: '198.51.100.50, 2001:db8:cafe::/48' });
    const { manager, lines, guard } = await nsManager(config, t.runB);
    await manager.reconcile();
    const tries: Array<[string, boolean, RegExp]> = [
      [ADDR.c4, false, /default gateway/],
      [ADDR.c6, false, /default gateway/],
      [ADDR.b4a, true, /own address on vba/],
      [ADDR.b6c, true, /own address on vbc/],
      ['127.0.0.1', true, /loopback/],
      ['::1', true, /loopback/],
      ['0.0.0.0', true, /unspecified/],
      ['224.0.0.1', true, /multicast/],
      ['ff02::1', true, /multicast/],
      ['198.51.100.255', true, /broadcast/],
      ['198.51.100.50', false, /BLOCK_WHITELIST/],
      ['2001:db8:cafe:1::/64', false, /BLOCK_WHITELIST/],
      ['203.0.113.0/31', false, /contains 203\.0\.113\.1 \(default gateway\)/],
      ['203.0.113.0/24', true, /contains/],
      ['198.51.100.0/25', true, /contains 198\.51\.100\.(1|2) /],
      ['0.0.0.0/0', true, /contains/],
      ['::ffff:127.0.0.1', true, /loopback/],
    ];
    for (const [addr, _hard, why] of tries) {
      const r = await manager.block(addr, { timeoutSec: 60 });
      expect(r.ok, addr).toBe(false);
      if (!r.ok) expect(r.reason, addr).toMatch(why);
    }
    // --force lifts the soft rules only.
    for (const [addr, hard] of tries) expect(guard.check(addr, { force: true }) !== null, addr).toBe(hard);
    // A scan spoofed from the gateway does not cut B off.
    const { manager: auto } = await nsManager(cfg({ ENABLE_AUTO_IDS: 'Y' }), t.runB);
    const res = await auto.autoBlock([{ src: ADDR.c4, dl: 5 }]);
    expect(res[0]).toMatchObject({ ok: false, code: 'protected' });
    expect(await t.reach(t.c, ADDR.b4c)).toBe('open');
    expect(await setElements(t, 'block_v4')).toEqual([]);
    // Each refusal is logged once.
    await manager.block(ADDR.c4, { timeoutSec: 60 });
    expect(lines.filter((l) => l.msg.startsWith(`not blocking ${ADDR.c4}:`))).toHaveLength(1);
  });

  it('protects the peer of an established SSH session into B', async () => {
    await t.holdSsh(t.c, ADDR.b4c);
    const nb = await NeverBlock.discover(cfg({ BLOCK_PROTECT_GATEWAYS: 'N' }), { run: t.runB, resolvConf: '/dev/null' });
    expect(nb.check(ADDR.c4)).toMatch(/SSH session/);
    // Without ss, the same from /proc/net/tcp as seen inside B.
    const noSs: typeof t.runB = (cmd, args, input) => (cmd === 'ss' ? Promise.reject(new Error('no ss')) : t.runB(cmd, args, input));
    const viaProc = await NeverBlock.discover(cfg({ BLOCK_PROTECT_GATEWAYS: 'N' }), { run: noSs, resolvConf: '/dev/null' });
    expect(viaProc.check(ADDR.c4)).toMatch(/SSH session/);
    const off = await NeverBlock.discover(cfg({ BLOCK_PROTECT_GATEWAYS: 'N', BLOCK_PROTECT_SSH_PEERS: 'N' }), { run: t.runB, resolvConf: '/dev/null' });
    expect(off.check(ADDR.c4)).toBeNull();
  });

  it('follows address and route changes in B as they happen (ip monitor), not only when re-read', async () => {
    const nb = await NeverBlock.discover(cfg(), { run: t.runB, resolvConf: '/dev/null', ipCommand: ['ip', '-n', t.b] });
    nb.watch();
    try {
      expect(nb.check(ADDR.a4)).toBeNull();
      expect(nb.check('192.0.2.255', { force: true })).toBeNull();
      // A new default gateway (A's address) and an address without brd, whose broadcast only the local table knows.
      await t.inB('ip', ['route', 'replace', 'default', 'via', ADDR.a4]);
      await t.inB('ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'vbc']);
      await waitFor('ip monitor to report the new gateway and broadcast', () => nb.check(ADDR.a4) !== null && nb.check('192.0.2.255', { force: true }) !== null);
      expect(nb.check(ADDR.a4)).toBe(`default gateway (${ADDR.a4})`);
      expect(nb.check('192.0.2.255', { force: true })).toBe('broadcast (192.0.2.255)');
      expect(nb.check('192.0.2.1', { force: true })).toMatch(/^own address on vbc/);
    } finally {
      nb.close();
      await t.inB('ip', ['addr', 'del', '192.0.2.1/24', 'dev', 'vbc']);
      await t.inB('ip', ['route', 'replace', 'default', 'via', ADDR.c4]);
    }
  });

  it('flush removes the table; dry-run prints the script and changes nothing', async () => {
    const { manager } = await nsManager(cfg(), t.runB);
    await manager.reconcile();
    await manager.block(ADDR.a4, { timeoutSec: 60 });
    expect(await manager.flush()).toBe(1);
    await expect(t.inB('nft', ['list', 'table', 'inet', 'tsad'])).rejects.toThrow();
    expect(await t.reach(t.a, ADDR.b4a)).toBe('open');
    const dry = await nsManager(cfg(), t.runB, { dryRun: true });
    await dry.manager.reconcile();
    await dry.manager.block(ADDR.a4, { timeoutSec: 60 });
    const printed = dry.out.join('');
    expect(printed).toContain('nft -f -');
    expect(printed).toContain('table inet tsad');
    expect(printed).toContain(`${ADDR.a4} timeout 60s`);
    await expect(t.inB('nft', ['list', 'table', 'inet', 'tsad'])).rejects.toThrow();
  });
});
