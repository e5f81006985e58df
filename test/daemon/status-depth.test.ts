/**
 * Issue 15, `tsad status` from a running daemon as the admin reads it:
 * psad -S's depth (DST lines per source, protocol counters, total scan
 * destinations), --ip narrowing every section, reverse DNS names with
 * ENABLE_DNS_LOOKUPS (a real DNS server on loopback), truthful JSON
 * (`blocks` recorded by a direct `tsad block` while automatic blocking is
 * off, `savedAt`, the fw-check warnings the daemon logged), and lines
 * replayed from an older file staying until the log's own clock moves
 * SCAN_TIMEOUT past them.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { requireRoot } from '../helpers/run-cli.js';
import { sh } from './helpers/netns.js';
import { runTsad, startDaemon, waitStatus, type DaemonProc } from './helpers/daemon-proc.js';
import { writeTestConfig } from './helpers/config.js';
import { waitFor } from '../helpers/wait.js';
import { startPtrServer, type DnsServer } from '../enrich/helpers/dns-server.js';

const SAMPLE = readFileSync(new URL('../../fixtures/sample/kern.log', import.meta.url), 'utf8').split('\n');
const SYN = '203.0.113.5';
const XMAS = '203.0.113.17';
/** Two scans of the shipped sample, both dated Nov 21 09:18:15: older lines, as when a file is replayed. */
const OLD = SAMPLE.filter((l) => l.includes(`SRC=${SYN} `) || l.includes(`SRC=${XMAS} `)).map((l) => `Nov 21 09:18:15${l.slice(15)}`).join('\n');

let dir = '';
let conf = '';
let socket = '';
let stateDir = '';
let log = '';
let daemon: DaemonProc | null = null;
let dns: DnsServer;

const status = (...args: string[]) => runTsad(['status', '-c', conf, '--socket', socket, ...args]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-status-depth-'));
  dns = await startPtrServer({ [SYN]: 'scanner-5.example.net' });
  log = join(dir, 'kern.log');
  writeFileSync(log, '');
  socket = join(dir, 'run', 'tsad.sock');
  stateDir = join(dir, 'state');
  conf = writeTestConfig(dir, {
    SCAN_TIMEOUT: '4',
    SLOW_SCAN_WINDOW: '0',
    STATUS_DESTINATIONS: '3',
    ENABLE_DNS_LOOKUPS: 'Y',
    DNS_RESOLVERS: dns.address,
    DNS_TIMEOUT: '2',
    BLOCK_BACKEND: 'none',
  });
  daemon = await startDaemon(['-c', conf, '--source', `file:${log}`, '--state-dir', stateDir], socket);
  appendFileSync(log, `${OLD}\n`);
  await waitStatus(daemon, (r) => (r.report as { sources: unknown[] }).sources.length === 2);
});

afterAll(async () => {
  if (daemon) await daemon.kill9().catch(() => undefined);
  await dns?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('tsad status with psad -S\'s depth', () => {
  it('shows each source\'s destinations, the protocol counters, the total of destinations and the DNS name', async () => {
    const r = await status();
    expect(r.code).toBe(0);
    const out = r.stdout;
    const syn = out.slice(out.indexOf(`SRC:  ${SYN},`), out.indexOf(`SRC:  ${XMAS},`));
    expect(syn).toMatch(/^ {4}DNS: scanner-5\.example\.net$/m);
    expect(syn).toMatch(/^ {4}DST: 198\.51\.100\.20\n {8}TCP ports 1000-1100, Pkts: 202, Chain: INPUT, Last: 20\d\d-11-21T/m);
    expect(out).toMatch(/^ {4}Total protocol packet counters:\n +tcp: 304 pkts$/m);
    expect(out).toMatch(/^ {4}Total scan sources: 2\n {4}Total scan destinations: 2$/m);
    const json = JSON.parse((await status('--json')).stdout) as { sources: Array<{ src: string; rdns?: string; topDestinations: Array<{ dst: string; packets: number; portRange: number[]; protocols: string[] }> }>; summary: { protocolCounters: Record<string, number> } };
    const s = json.sources.find((x) => x.src === SYN);
    expect(s?.rdns).toBe('scanner-5.example.net');
    expect(s?.topDestinations).toEqual([expect.objectContaining({ dst: '198.51.100.20', packets: 202, portRange: [1000, 1100], protocols: ['tcp'] })]);
    expect(json.summary.protocolCounters).toEqual({ tcp: 304 });
  });

  it('--ip narrows every section to that source', async () => {
    const out = (await status('--ip', XMAS)).stdout;
    expect(out).toContain(`SRC:  ${XMAS},`);
    expect(out).not.toContain(`SRC:  ${SYN},`);
    const sigs = out.slice(out.indexOf('signature matches:'), out.indexOf('attackers:'));
    expect(sigs).toContain('"SCAN nmap XMAS"');
    expect(sigs).not.toContain('1024-byte window');
    const ports = out.slice(out.indexOf('scanned ports:'), out.indexOf('log prefix counters:'));
    expect(ports).toMatch(new RegExp(`^ {6}${XMAS.replace(/\./g, '\\.')} tcp 1000-1050 \\(51 ports, 102 packets\\)$`, 'm'));
    expect(ports).toContain('packets per port are counted for all sources only');
    expect(out).toMatch(/^ {4}Total protocol packet counters:\n +tcp: 102 pkts$/m);
    expect(out).toMatch(/^ {4}Total scan sources: 1\n {4}Total scan destinations: 1$/m);
    const json = JSON.parse((await status('--json', '--ip', XMAS)).stdout) as { scope: { ip: string }; topSignatures: Array<{ sid: number }>; summary: { dangerLevels: Record<string, number> } };
    expect(json.scope.ip).toBe(XMAS);
    expect(json.topSignatures.map((t) => t.sid)).not.toContain(120002);
    expect(Object.values(json.summary.dangerLevels).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('fills blocks and savedAt truthfully', async () => {
    // Automatic blocking is off: `tsad block` goes direct, recording the block in blocks.json.
    type Json = { blocks: Array<{ cidr: string }> | null; daemon: { savedAt: string | null; scanStateSaved: boolean } };
    const read = async (): Promise<Json> => JSON.parse((await status('--json')).stdout) as Json;
    const before = (await read()).daemon.savedAt;
    const b = await runTsad(['block', '198.51.100.99', '--timeout', '3600', '-c', conf, '--socket', socket, '--state-dir', stateDir]);
    expect(b).toMatchObject({ code: 0 });
    expect(b.stdout).toMatch(/^blocked 198\.51\.100\.99 until 20/);
    // STATE_SAVE_INTERVAL 1: saves keep coming. The first new savedAt may be of a save begun before the
    // block; the one after it began later. No clock is read: only the daemon's own times are compared.
    const newer = (than: string | null) => async (): Promise<Json | null> => {
      const j = await read();
      return j.daemon.savedAt !== null && (than === null || j.daemon.savedAt > than) ? j : null;
    };
    const first = await waitFor('a state save after the block command', newer(before), { every: 100, watch: daemon as DaemonProc });
    const json = await waitFor('a second state save after the block command', newer(first.daemon.savedAt), { every: 100, watch: daemon as DaemonProc });
    expect(json.blocks?.map((x) => x.cidr)).toEqual(['198.51.100.99']);
    expect(json.daemon.scanStateSaved).toBe(true);
    // A real ISO time (the report prints it as such).
    expect(new Date(Date.parse(json.daemon.savedAt ?? '')).toISOString()).toBe(json.daemon.savedAt);
    const text = (await status()).stdout;
    expect(text).toMatch(/^ {4}State: saved at 20\d\d-\d\d-\d\dT.* in .*state\.json$/m);
    expect(text).toMatch(/^ {6}198\.51\.100\.99 \(\d+ seconds remaining\) \[manual\]$/m);
  });

  it('keeps replayed older lines until the log\'s own clock moves SCAN_TIMEOUT past them', async () => {
    // The expiry check runs every second here (SCAN_TIMEOUT 4); by the wall clock the Nov 21 lines are days old.
    await new Promise((r) => setTimeout(r, 3000));
    let out = (await status()).stdout;
    expect(out).toContain(`SRC:  ${SYN},`);
    expect(out).toContain(`SRC:  ${XMAS},`);
    expect(daemon?.log()).not.toMatch(/forgot \d+ sources/);
    // A line of today moves the log's clock: the old sources are forgotten.
    const now = new Date();
    const mon = now.toLocaleString('en-US', { month: 'short' });
    const two = (n: number): string => String(n).padStart(2, '0');
    const stamp = `${mon} ${String(now.getDate()).padStart(2, ' ')} ${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
    appendFileSync(log, `${stamp} fw1 kernel: [ 9999.000001] DROP IN=eth0 OUT= MAC=52:54:00:7c:a0:14:52:54:00:7c:a0:0a:08:00 SRC=203.0.113.44 DST=198.51.100.20 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0 \n`);
    await waitStatus(daemon as DaemonProc, () => /forgot 2 sources silent for SCAN_TIMEOUT of log time/.test(daemon?.log() ?? ''));
    out = (await status('--min-dl', '0')).stdout;
    expect(out).not.toContain(`SRC:  ${SYN},`);
    expect(out).toContain('SRC:  203.0.113.44,');
  });
});

describe.skipIf(!requireRoot('a daemon in a network namespace'))('the fw-check warnings the daemon logged', () => {
  const ns = `stdepth-${randomBytes(3).toString('hex')}`;
  let d: DaemonProc | null = null;
  let nsDir = '';

  beforeAll(async () => {
    nsDir = mkdtempSync(join(tmpdir(), 'tsad-status-fw-'));
    sh('ip', ['netns', 'add', ns]);
    const c = writeTestConfig(nsDir, { ENABLE_FW_LOGGING_CHECK: 'Y' });
    writeFileSync(join(nsDir, 'kern.log'), '');
    // A fresh namespace has an empty ruleset: nothing logs, and the start-up check says so.
    d = await startDaemon(['-c', c, '--source', `file:${join(nsDir, 'kern.log')}`, '--state-dir', join(nsDir, 'state')], join(nsDir, 'tsad.sock'), { ns });
  });

  afterAll(async () => {
    if (d) await d.kill9().catch(() => undefined);
    try {
      sh('ip', ['netns', 'del', ns]);
    } catch {
      // not created
    }
    if (nsDir) rmSync(nsDir, { recursive: true, force: true });
  });

  it('are in status --json warnings and in the status text', async () => {
    await waitStatus(d as DaemonProc, (r) => ((r.daemon as { warnings: string[] }).warnings.length > 0));
    const json = JSON.parse((await runTsad(['status', '--json', '--socket', join(nsDir, 'tsad.sock')])).stdout) as { daemon: { warnings: string[] } };
    expect(json.daemon.warnings).toContain('fw-check: IPv4 input: no log rule is reachable from an input hook (add one before the final drop, e.g. nft add rule inet filter input log prefix "DROP ")');
    for (const w of json.daemon.warnings) expect(d?.log()).toContain(w);
    const text = (await runTsad(['status', '--socket', join(nsDir, 'tsad.sock')])).stdout;
    expect(text).toMatch(/^ {4}Warning: fw-check: IPv4 input: no log rule is reachable/m);
  });
});
