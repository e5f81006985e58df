/**
 * The daemon as users and scripts meet it: several sources at once (a
 * kern.log file and a ulogd2 JSON file), the control socket (modes, the
 * JSON protocol, refused block commands while blocking is not wired),
 * `tsad status` text and JSON from the running daemon and from its saved
 * state, --ip and --min-dl, SIGHUP with a bad and a good configuration,
 * metrics, a second daemon refused, exit codes.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTsad, startDaemon, summaryOf, waitStatus, type DaemonProc } from './helpers/daemon-proc.js';
import { writeTestConfig } from './helpers/config.js';
import { waitFor } from '../helpers/wait.js';

const ULOGD = readFileSync(new URL('./fixtures/ulogd-nflog.json', import.meta.url), 'utf8');
const SCAN = readFileSync(new URL('../../fixtures/captured/ipt/syn.kern.log', import.meta.url), 'utf8');

let dir: string;
let conf: string;
let socket: string;
let stateDir: string;
let daemon: DaemonProc | null = null;
const METRICS_PORT = 20000 + Math.floor(Math.random() * 20000);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-daemon-control-'));
  conf = writeTestConfig(dir, { METRICS_LISTEN: `127.0.0.1:${METRICS_PORT}` });
  socket = join(dir, 'run', 'tsad.sock');
  stateDir = join(dir, 'state');
  writeFileSync(join(dir, 'kern.log'), '');
  writeFileSync(join(dir, 'ulogd.json'), '');
  daemon = await startDaemon(['-c', conf, '--source', `file:${join(dir, 'kern.log')}`, '--source', `ulogd:${join(dir, 'ulogd.json')}`, '--state-dir', stateDir], socket);
  appendFileSync(join(dir, 'kern.log'), SCAN);
  appendFileSync(join(dir, 'ulogd.json'), ULOGD);
});
afterAll(async () => {
  if (daemon) await daemon.kill9().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const scanLines = SCAN.trim().split('\n').length;
const ulogdLines = ULOGD.trim().split('\n').length;

/** Raw protocol: sends `text`, collects `n` response lines. */
function raw(text: string, n: number): Promise<Array<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    const s = connect(socket);
    let buf = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write(text));
    s.on('data', (d: string) => {
      buf += d;
      const lines = buf.split('\n').filter((l) => l !== '');
      if (lines.length >= n) {
        s.end();
        resolve(lines.map((l) => JSON.parse(l) as Record<string, unknown>));
      }
    });
    s.on('error', reject);
  });
}

describe('the running daemon', () => {
  it('reads both sources', async () => {
    const st = await waitStatus(daemon as DaemonProc, (r) => summaryOf(r).lines >= scanLines + ulogdLines);
    const s = summaryOf(st);
    expect(s.lines).toBe(scanLines + ulogdLines);
    // Every source of both files, level 0 included: the ulogd file's IPv6 host sent one SYN and two pings.
    const all = await (daemon as DaemonProc).request('status', { minDl: 0 });
    const srcs = (all.report as { sources: Array<{ src: string }> }).sources.map((x) => x.src);
    expect(srcs).toEqual(expect.arrayContaining(['198.51.100.1', '198.51.100.10', '2001:db8:77::/64']));
    const names = (st.daemon as { sources: Array<{ name: string; state: string }> }).sources.map((x) => `${x.name}=${x.state}`);
    expect(names).toEqual([`file:${join(dir, 'kern.log')}=running`, `ulogd:${join(dir, 'ulogd.json')}=running`]);
  });

  it('keeps its socket root-only', () => {
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'run')).mode & 0o777).toBe(0o700);
  });

  it('speaks newline-delimited JSON, one response per request, in order', async () => {
    const r = await raw('{"cmd":"status","args":{"minDl":5}}\nnot json\n{"cmd":"launch"}\n{"cmd":"blocks"}\n{"cmd":"block","args":{"target":"198.51.100.9"}}\n', 5);
    expect(r[0]?.ok).toBe(true);
    expect((r[0]?.report as { sources: unknown[] }).sources).toEqual([]);
    expect(r[1]).toEqual({ ok: false, error: 'request is not valid JSON' });
    expect(r[2]?.ok).toBe(false);
    expect(String(r[2]?.error)).toContain('unknown command "launch"');
    expect(r[3]).toEqual({ ok: false, error: 'blocking is not enabled' });
    expect(r[4]).toEqual({ ok: false, error: 'blocking is not enabled' });
    const bad = await raw('{"cmd":"block","args":{"target":"198.51.100.9; rm -rf /"}}\n', 1);
    expect(bad[0]?.ok).toBe(false);
    expect(String(bad[0]?.error)).toContain('is not an IPv4/IPv6 address');
  });

  it('tsad status: psad sections, IPv6 included, --ip really filters', async () => {
    const all = await runTsad(['status', '-c', conf, '--socket', socket]);
    expect(all.code).toBe(0);
    const lines = all.stdout.split('\n');
    expect(lines[0]).toMatch(/^\[\+\] tsad \S+ daemon running \(pid \d+, up /);
    for (const title of ['[+] Top 50 signature matches:', '[+] Top 25 attackers:', '[+] Top 20 scanned ports:', '[+] iptables log prefix counters:', '[+] Auto-blocked IPs:', '[+] IP Status Detail:']) expect(lines).toContain(title);
    expect(all.stdout).toContain('SRC:  198.51.100.10, DL: ');
    expect(all.stdout).toContain('"DROP": ');
    expect(all.stdout).toContain('"ULOGTEST": 5');

    const one = await runTsad(['status', '-c', conf, '--socket', socket, '--ip', '2001:db8:77::1']);
    expect(one.code).toBe(0);
    const detail = one.stdout.slice(one.stdout.indexOf('[+] IP Status Detail:'));
    expect(detail.match(/^SRC: /gm)?.length ?? 0).toBeLessThanOrEqual(1);
    expect(detail).not.toContain('198.51.100.10');

    const net = await runTsad(['status', '-c', conf, '--socket', socket, '--ip', '198.51.100.0/24', '--json']);
    const srcs = (JSON.parse(net.stdout) as { sources: Array<{ src: string }> }).sources.map((s) => s.src);
    expect(srcs.every((s) => s.startsWith('198.51.100.'))).toBe(true);
    expect(srcs).toContain('198.51.100.10');
    expect((await runTsad(['status', '-c', conf, '--socket', socket, '--ip', 'nonsense'])).code).toBe(2);
  });

  it('tsad status --json follows the report contract', async () => {
    const r = await runTsad(['status', '-c', conf, '--socket', socket, '--json', '--min-dl', '1']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown> & { summary: Record<string, unknown>; sources: Array<Record<string, unknown>> };
    expect(j.version).toBe(1);
    for (const k of ['lines', 'firewallLines', 'skipped', 'sources', 'dangerLevels', 'firstSeen', 'lastSeen']) expect(j.summary).toHaveProperty(k);
    for (const k of ['topPorts', 'topSignatures', 'logPrefixes', 'daemon', 'blocks']) expect(j).toHaveProperty(k);
    expect(j.sources.length).toBeGreaterThan(0);
    for (const s of j.sources) {
      expect(s.dl as number).toBeGreaterThanOrEqual(1);
      for (const k of ['src', 'dl', 'packets', 'destinations', 'direction', 'protocols', 'scanTypes', 'tool', 'signatures', 'country', 'firstSeen', 'lastSeen', 'blocked']) expect(s).toHaveProperty(k);
    }
    const order = j.sources.map((s) => [s.dl, s.packets] as [number, number]);
    expect(order).toEqual([...order].sort((a, b) => b[0] - a[0] || b[1] - a[1]));
  });

  it('serves Prometheus metrics on loopback', async () => {
    const res = await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('# TYPE tsad_lines_total counter');
    expect(text).toMatch(new RegExp(`^tsad_lines_total ${scanLines + ulogdLines}$`, 'm'));
    expect(text).toMatch(/^tsad_sources\{level="2"\} \d+$/m);
    expect(text).toMatch(/^tsad_sources_evicted_total 0$/m);
    expect(text).toMatch(/^tsad_sources_limit 524288$/m);
    expect(text).toContain(`tsad_source_lines_total{source="ulogd:${join(dir, 'ulogd.json')}"} ${ulogdLines}`);
    expect((await fetch(`http://127.0.0.1:${METRICS_PORT}/other`)).status).toBe(404);
  });

  it('refuses a second daemon on the same socket', async () => {
    const r = await runTsad(['daemon', '-c', conf, '--source', 'stdin', '--state-dir', join(dir, 'state2'), '--socket', socket]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('another tsad daemon is running');
  });

  it('SIGHUP: a bad configuration is refused and the old one keeps running; a good one is taken', async () => {
    const d = daemon as DaemonProc;
    writeFileSync(conf, `${readFileSync(conf, 'utf8')}DANGER_LEVEL1 lots;\n`);
    d.proc.kill('SIGHUP');
    const refusedLine = /reload refused, the running configuration stays: .*tsad\.conf.*DANGER_LEVEL1/;
    await waitFor('the refused reload in the daemon log', () => refusedLine.test(d.log()), { watch: d });
    expect(d.log()).toMatch(refusedLine);
    expect((await d.request('status')).ok).toBe(true);
    const refused = await d.request('reload');
    expect(refused.ok).toBe(false);
    writeTestConfig(dir, { METRICS_LISTEN: `127.0.0.1:${METRICS_PORT}`, DANGER_LEVEL1: '3' });
    const ok = await d.request('reload');
    expect(ok).toMatchObject({ ok: true });
    expect(summaryOf((await d.request('status')) as Record<string, unknown>).lines).toBe(scanLines + ulogdLines);
  });

  it('SIGTERM saves and exits 0; status then reads the saved state and says so', async () => {
    const d = daemon as DaemonProc;
    expect(await d.stop()).toBe(0);
    daemon = null;
    expect(existsSync(socket)).toBe(false);
    const r = await runTsad(['status', '-c', conf, '--socket', socket, '--state-dir', stateDir]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^\[-\] tsad daemon is not running; showing the state saved at \S+ in .*state\.json$/);
    const j = JSON.parse((await runTsad(['status', '-c', conf, '--socket', socket, '--state-dir', stateDir, '--json'])).stdout) as { summary: { lines: number }; daemon: { running: boolean } };
    expect(j.summary.lines).toBe(scanLines + ulogdLines);
    expect(j.daemon.running).toBe(false);
    const none = await runTsad(['status', '-c', conf, '--socket', socket, '--state-dir', join(dir, 'empty')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no tsad daemon answers on');
  });

  it('exit codes: a bad --source is a usage error (2), a bad configuration 78', async () => {
    expect((await runTsad(['daemon', '--source', 'file:relative.log', '--socket', join(dir, 'x.sock'), '--state-dir', join(dir, 's3')])).code).toBe(2);
    writeFileSync(join(dir, 'bad.conf'), 'STATE_SAVE_INTERVAL soon;\n');
    const bad = await runTsad(['daemon', '-c', join(dir, 'bad.conf'), '--source', 'stdin', '--socket', join(dir, 'x.sock'), '--state-dir', join(dir, 's3')]);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toContain('STATE_SAVE_INTERVAL');
  });
});
