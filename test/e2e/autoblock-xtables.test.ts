/**
 * The same automatic-blocking flow as autoblock-nftables.test.ts for the
 * older backends: ipset sets matched from iptables/ip6tables chains, and
 * psad-style iptables chains with one rule per address. The daemon runs in
 * namespace B on /dev/kmsg, nmap scans from A, B then drops A (a second scan
 * sees every port filtered) while C still reaches B, and `tsad flush`
 * removes everything tsad created.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enableNamespaceLogging, isRoot, killDaemon, need, startDaemon, tool, tsad, waitFor, writeConfig, type DaemonProc } from './helpers/daemon.js';
import { Topology } from './helpers/topology.js';

const ok = need('root', isRoot) && need('nmap', tool('nmap')) && need('nftables', tool('nft')) && need('ipset', tool('ipset', ['version'])) && need('iptables', tool('iptables', ['--version']));

let t: Topology | null = null;
let dir = '';
let daemon: DaemonProc | null = null;
let restoreLogging: (() => void) | null = null;

beforeAll(async () => {
  if (!ok) return;
  dir = mkdtempSync(join(tmpdir(), 'tsad-e2e-xt-'));
  restoreLogging = enableNamespaceLogging();
  t = await Topology.create();
});

afterAll(async () => {
  await killDaemon(daemon);
  await t?.destroy();
  restoreLogging?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** What B's firewall holds for tsad, per backend, as text to search. */
function held(backend: 'ipset' | 'iptables', six = false): string {
  const topo = t as Topology;
  try {
    if (backend === 'ipset') return topo.exec(topo.b, 'ipset', ['list', six ? 'tsad-block-v6' : 'tsad-block-v4']);
    return topo.exec(topo.b, six ? 'ip6tables' : 'iptables', ['-S', 'TSAD_BLOCK_INPUT']);
  } catch {
    return '';
  }
}

for (const backend of ['ipset', 'iptables'] as const) {
  describe.skipIf(!ok)(`automatic blocking with the ${backend} backend`, () => {
    let conf = '';
    let socket = '';
    const stateDir = (): string => join(dir, `state-${backend}`);

    it('blocks A after an nmap scan; a second scan sees every port filtered, C still reaches B', async () => {
      const topo = t as Topology;
      conf = writeConfig(dir, {
        ENABLE_AUTO_IDS: 'Y',
        AUTO_IDS_DANGER_LEVEL: '2',
        AUTO_BLOCK_TIMEOUT: '60',
        BLOCK_BACKEND: backend,
        BLOCK_CHECK_INTERVAL: '1',
        FW_SEARCH_ALL: 'N',
        FW_MSG_SEARCH: topo.prefix,
      });
      socket = join(dir, `${backend}.sock`);
      daemon = await startDaemon(['-c', conf, '--source', 'kmsg', '--state-dir', stateDir()], socket, topo.b);
      expect(await topo.reach(topo.a, topo.v4.b)).toBe('open');

      await topo.scan(topo.v4.b, '1000-1100');
      const pattern = backend === 'ipset' ? new RegExp(`^${topo.v4.a.replace(/\./g, '\\.')} timeout \\d+$`, 'm') : new RegExp(`^-A TSAD_BLOCK_INPUT -s ${topo.v4.a.replace(/\./g, '\\.')}/32 -j DROP$`, 'm');
      await waitFor(`A in the ${backend} backend`, () => pattern.test(held(backend)), { watch: daemon });
      expect(await topo.scan(topo.v4.b, '1000-1019,8080')).toEqual({ filtered: 21 });
      expect(await topo.reach(topo.c, topo.v4.bc)).toBe('open');
      const ms = /198\.51\.100\.1: in the firewall (\d+) ms after the line/.exec(daemon.log())?.[1];
      console.log(`${backend}: line handled -> block in the firewall (the daemon's own measure): ${ms} ms`);
      expect(ms).toMatch(/^\d+$/);
    });

    it('IPv6: blocks A\'s /64', async () => {
      const topo = t as Topology;
      await topo.scan(topo.v6.b, '1000-1100');
      const net = topo.v6.aNet;
      await waitFor(`A's /64 in the ${backend} backend`, () => held(backend, true).includes(net.replace('/64', backend === 'ipset' ? '/64 timeout' : '/64 -j DROP')), { watch: daemon });
      expect(await topo.scan(topo.v6.b, '1000-1019,8080')).toEqual({ filtered: 21 });
      expect(await topo.reach(topo.c, topo.v6.bc)).toBe('open');
    });

    it('tsad flush through the daemon removes the blocks; after it stopped, tsad flush removes the chains too', async () => {
      const topo = t as Topology;
      const cli = (args: string[]): ReturnType<typeof tsad> => tsad([...args, '-c', conf, '--socket', socket, '--state-dir', stateDir()], topo.b);
      const r = await cli(['flush']);
      expect(r).toMatchObject({ code: 0 });
      expect(r.stdout).toMatch(/^removed [1-9]\d* block\(s\) and tsad's firewall objects\n$/);
      expect(held(backend)).not.toContain(topo.v4.a);
      expect(await topo.reach(topo.a, topo.v4.b)).toBe('open');
      expect(await (daemon as DaemonProc).stop()).toBe(0);
      daemon = null;
      // The running daemon re-created its (empty) chains to keep blocking; without it, flush leaves nothing.
      expect(await cli(['flush'])).toMatchObject({ code: 0, stdout: "removed 0 block(s) and tsad's firewall objects\n" });
      expect(held(backend)).toBe('');
      expect(held(backend, true)).toBe('');
    });
  });
}
