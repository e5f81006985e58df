/**
 * The never-block rules follow the host as it is, end to end: tsad's daemon
 * runs in namespace B on /dev/kmsg with nftables blocking, nmap scans from A.
 * (1) B has an address added without `brd`: `ip addr` lists no broadcast
 * for it, but the kernel treats the subnet broadcast as local (the local
 * routing table). A scan spoofed "from" that broadcast address must not get
 * it blocked. (2) While the daemon runs, B's default route is moved to A: a
 * scan from A right after must not get B's new gateway blocked (the change
 * is seen through `ip monitor`, not at the next periodic re-read).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enableNamespaceLogging, isRoot, killDaemon, need, startDaemon, tool, waitFor, writeConfig, type DaemonProc } from './helpers/daemon.js';
import { Topology } from './helpers/topology.js';

const ok = need('root', isRoot) && need('nmap', tool('nmap')) && need('nftables', tool('nft')) && need('iproute2', tool('ip', ['-V']));

const B_NOBRD = '10.99.0.2';
const BROADCAST = '10.99.0.255';

let t: Topology | null = null;
let dir = '';
let daemon: DaemonProc | null = null;
let restoreLogging: (() => void) | null = null;

function inSet(addr: string): boolean {
  const topo = t as Topology;
  try {
    return topo.exec(topo.b, 'nft', ['list', 'set', 'inet', 'tsad', 'block_v4']).includes(addr);
  } catch {
    return false;
  }
}

beforeAll(async () => {
  if (!ok) return;
  dir = mkdtempSync(join(tmpdir(), 'tsad-e2e-neverblock-'));
  restoreLogging = enableNamespaceLogging();
  t = await Topology.create();
  t.exec(t.b, 'ip', ['addr', 'add', `${B_NOBRD}/24`, 'dev', 'vba']); // no brd
  t.exec(t.a, 'ip', ['addr', 'add', '10.99.0.1/24', 'dev', 'va']);
  writeFileSync(join(dir, 'auto_dl'), '');
  const conf = writeConfig(dir, {
    ENABLE_AUTO_IDS: 'Y',
    AUTO_IDS_DANGER_LEVEL: '2',
    AUTO_BLOCK_TIMEOUT: '60',
    BLOCK_CHECK_INTERVAL: '1',
    FW_SEARCH_ALL: 'N',
    FW_MSG_SEARCH: t.prefix,
  });
  daemon = await startDaemon(['-c', conf, '--source', 'kmsg', '--state-dir', join(dir, 'state')], join(dir, 'tsad.sock'), t.b);
});

afterAll(async () => {
  await killDaemon(daemon);
  await t?.destroy();
  restoreLogging?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!ok)('never-block rules that follow the host', () => {
  it('a scan spoofed from the subnet broadcast of an address without brd is logged, scored, and not blocked', async () => {
    const topo = t as Topology;
    // The premise: ip addr knows no broadcast for this address.
    expect(topo.exec(topo.b, 'ip', ['-j', 'addr', 'show', 'dev', 'vba'])).not.toContain(`"broadcast":"${BROADCAST}"`);
    expect(topo.exec(topo.b, 'ip', ['route', 'show', 'table', 'local'])).toContain(`broadcast ${BROADCAST} `);
    // nmap -S needs a route from the spoofed address: A holds it on lo.
    topo.exec(topo.a, 'ip', ['addr', 'add', `${BROADCAST}/32`, 'dev', 'lo']);
    await topo.scan(B_NOBRD, '3000-3100', ['-e', 'va', '-S', BROADCAST]);
    await waitFor('the refusal in the daemon log', () => daemon?.log().includes(`not blocking ${BROADCAST}: broadcast (${BROADCAST})`), { watch: daemon });
    const st = await daemon?.request('status', { minDl: 0 });
    const src = ((st?.ok ? st.report : { sources: [] }) as { sources: Array<{ src: string; dl: number }> }).sources.find((s) => s.src === BROADCAST);
    expect(src?.dl).toBeGreaterThanOrEqual(2);
    expect(inSet(BROADCAST)).toBe(false);
  });

  it('a default gateway added while the daemon runs is protected at once', async () => {
    const topo = t as Topology;
    topo.exec(topo.b, 'ip', ['route', 'replace', 'default', 'via', topo.v4.a]);
    await topo.scan(topo.v4.b, '4000-4100');
    await waitFor('the refusal in the daemon log', () => daemon?.log().includes(`not blocking ${topo.v4.a}: default gateway (${topo.v4.a})`), { watch: daemon });
    expect(inSet(topo.v4.a)).toBe(false);
    expect(await topo.reach(topo.a, topo.v4.b)).toBe('open');
    expect(daemon?.log()).not.toMatch(/cannot follow address and route changes/);
  });
});
