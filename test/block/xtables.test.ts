/**
 * The ipset+iptables and the iptables chain backends, for real, in network
 * namespaces: IPv4 and IPv6 blocks drop A's traffic into B while C still
 * connects; blocks expire (kernel timeout for ipset, tsad for iptables);
 * `nft flush ruleset` (which also wipes iptables-nft rules) is repaired;
 * the gateway stays reachable; flush removes every chain and set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDR, netnsAvailable, Topology } from './netns.js';
import { cfg, nsManager } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

const ok = await netnsAvailable();

async function chainRules(t: Topology, tool: 'iptables' | 'ip6tables', chain: string): Promise<string[]> {
  return (await t.inB(tool, ['-S', chain])).split('\n').filter((l) => l.startsWith('-A '));
}

async function inIpset(t: Topology, set: string, addr: string): Promise<boolean> {
  return t.inB('ipset', ['test', set, addr]).then(() => true, () => false);
}

describe.skipIf(!ok).each(['ipset', 'iptables'] as const)('%s backend in namespaces', (backend) => {
  let t: Topology;
  beforeAll(async () => {
    t = await Topology.create(backend === 'ipset' ? 's' : 'i');
  });
  afterAll(async () => {
    await t?.destroy();
  });
  const config = cfg({ BLOCK_BACKEND: backend });

  it('drops A (IPv4 and IPv6) in B while C still reaches B', async () => {
    const { manager } = await nsManager(config, t.runB);
    expect(await manager.reconcile()).toBe(true);
    await manager.block(ADDR.a4, { timeoutSec: 600 });
    await manager.block(ADDR.a6, { timeoutSec: 600 });
    if (backend === 'ipset') {
      expect(await inIpset(t, 'tsad-block-v4', ADDR.a4)).toBe(true);
      expect(await inIpset(t, 'tsad-block-v6', ADDR.a6)).toBe(true);
      expect(await chainRules(t, 'iptables', 'TSAD_BLOCK_INPUT')).toEqual(['-A TSAD_BLOCK_INPUT -m set --match-set tsad-block-v4 src -j DROP']);
    } else {
      expect(await chainRules(t, 'iptables', 'TSAD_BLOCK_INPUT')).toEqual([`-A TSAD_BLOCK_INPUT -s ${ADDR.a4}/32 -j DROP`]);
      expect(await chainRules(t, 'iptables', 'TSAD_BLOCK_FORWARD')).toHaveLength(2);
      expect(await chainRules(t, 'ip6tables', 'TSAD_BLOCK_OUTPUT')).toEqual([`-A TSAD_BLOCK_OUTPUT -d ${ADDR.a6}/128 -j DROP`]);
    }
    expect((await t.inB('iptables', ['-S', 'INPUT'])).split('\n')).toContain('-A INPUT -j TSAD_BLOCK_INPUT');
    expect(await t.reach(t.a, ADDR.b4a)).toBe('filtered');
    expect(await t.reach(t.a, ADDR.b6a)).toBe('filtered');
    expect(await t.reach(t.c, ADDR.b4c)).toBe('open');
    expect(await t.reach(t.c, ADDR.b6c)).toBe('open');
    expect((await manager.records()).map((r) => r.cidr).sort()).toEqual([ADDR.a6, ADDR.a4].sort());
    await manager.unblock(ADDR.a4);
    await manager.unblock(ADDR.a6);
    expect(await t.reach(t.a, ADDR.b4a)).toBe('open');
    expect(await t.reach(t.a, ADDR.b6a)).toBe('open');
  });

  it('ends a timed block on time', async () => {
    const { manager } = await nsManager(config, t.runB);
    await manager.reconcile();
    // 6 s: the probe (up to 1.5 s of silence for a DROP) must see it on a loaded machine before it expires.
    await manager.block(ADDR.a4, { timeoutSec: 6 });
    expect(await t.reach(t.a, ADDR.b4a)).toBe('filtered');
    // ipset expires it in the kernel; the iptables backend needs tsad's tick once the time is up.
    if (backend === 'ipset') await waitFor('ipset to expire the block', async () => !(await inIpset(t, 'tsad-block-v4', ADDR.a4)), { every: 200 });
    else await new Promise((r) => setTimeout(r, 6300));
    await manager.tick();
    expect(await t.reach(t.a, ADDR.b4a)).toBe('open');
    expect(manager.size).toBe(0);
  });

  it('repairs `nft flush ruleset` with the live blocks', async () => {
    const { manager } = await nsManager(config, t.runB);
    await manager.reconcile();
    await manager.block(ADDR.a4, { timeoutSec: 600 });
    await manager.block('2001:db8:a:5::/64', { timeoutSec: 600 });
    await t.inB('nft', ['flush', 'ruleset']);
    expect(await t.reach(t.a, ADDR.b4a)).toBe('open');
    expect(await manager.checkPresent()).toEqual([backend]);
    expect(await t.reach(t.a, ADDR.b4a)).toBe('filtered');
    expect(await t.reach(t.c, ADDR.b4c)).toBe('open');
    const v6 = (await chainRules(t, 'ip6tables', 'TSAD_BLOCK_INPUT')).join('\n');
    if (backend === 'iptables') expect(v6).toContain('2001:db8:a:5::/64');
    else expect(await inIpset(t, 'tsad-block-v6', '2001:db8:a:5::1')).toBe(true);
    await manager.flush();
  });

  it('rejects with BLOCK_TARGET REJECT; TARPIT falls back to DROP where the kernel lacks it', async () => {
    const rej = await nsManager(cfg({ BLOCK_BACKEND: backend, BLOCK_TARGET: 'REJECT' }), t.runB);
    await rej.manager.reconcile();
    await rej.manager.block(ADDR.a4, { timeoutSec: 600 });
    await rej.manager.block(ADDR.a6, { timeoutSec: 600 });
    expect(await t.reach(t.a, ADDR.b4a)).toBe('closed');
    expect(await t.reach(t.a, ADDR.b6a)).toBe('closed');
    // Idempotent: re-applying adds no duplicate rules.
    await rej.manager.reconcile();
    await rej.manager.block(ADDR.a4, { timeoutSec: 900 });
    expect(await chainRules(t, 'iptables', 'TSAD_BLOCK_OUTPUT')).toHaveLength(1);
    await rej.manager.flush();
    const hasTarpit = (await t.inB('iptables', ['-j', 'TARPIT', '-h'])).includes('TARPIT');
    const tar = await nsManager(cfg({ BLOCK_BACKEND: backend, BLOCK_TARGET: 'TARPIT' }), t.runB);
    await tar.manager.reconcile();
    await tar.manager.block(ADDR.a4, { timeoutSec: 600 });
    if (!hasTarpit) {
      expect(tar.lines.some((l) => l.level === 'warn' && l.msg.includes('TARPIT'))).toBe(true);
      expect(await t.reach(t.a, ADDR.b4a)).toBe('filtered');
    }
    await tar.manager.flush();
  });

  it('refuses the gateway (a spoofed scan cannot cut B off) and flush removes everything', async () => {
    const { manager } = await nsManager(cfg({ BLOCK_BACKEND: backend, ENABLE_AUTO_IDS: 'Y' }), t.runB);
    await manager.reconcile();
    const res = await manager.autoBlock([{ src: ADDR.c4, dl: 5 }, { src: ADDR.a4, dl: 5 }]);
    expect(res.map((r) => r.ok)).toEqual([false, true]);
    expect(await t.reach(t.c, ADDR.b4c)).toBe('open');
    expect(await t.reach(t.a, ADDR.b4a)).toBe('filtered');
    expect(await manager.flush()).toBe(1);
    for (const tool of ['iptables', 'ip6tables'] as const) {
      await expect(t.inB(tool, ['-S', 'TSAD_BLOCK_INPUT'])).rejects.toThrow();
      expect(await t.inB(tool, ['-S', 'INPUT'])).not.toContain('TSAD');
    }
    if (backend === 'ipset') expect((await t.inB('ipset', ['list', '-n'])).trim()).toBe('');
    expect(await t.reach(t.a, ADDR.b4a)).toBe('open');
  });
});
