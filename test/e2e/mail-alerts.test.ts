/**
 * Issue 8 end to end: the daemon (a separate process, as systemd runs it)
 * follows a kern.log fed with real captured nmap lines (fixtures/captured,
 * time stamps moved to now) and mails through a real SMTP server on
 * loopback. One alert when a source reaches EMAIL_ALERT_DANGER_LEVEL and
 * one when its level rises, never per packet; with the server down, alerts
 * wait in the on-disk queue across a daemon restart and each arrives
 * exactly once when the server is back. `tsad report --email` mails the
 * status report, through the running daemon's queue or by itself.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSmtp, type Received } from '../email/helpers.js';
import { findPart, header } from '../email/mime.js';
import { killDaemon, startDaemon, tsad, waitFor, writeConfig, type DaemonProc } from './helpers/daemon.js';

const SCAN = readFileSync(new URL('../../fixtures/captured/ipt/syn.kern.log', import.meta.url), 'utf8').trimEnd().split('\n');
const X = '198.51.100.10';
const Y = '203.0.113.50';
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The captured lines with today's syslog time stamp (UTC, as the tests run) and, optionally, another source address. */
function lines(from: number, to: number, src = X): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
  return SCAN.slice(from, to).map((l) => `${stamp}${l.slice(15).replace(`SRC=${X} `, `SRC=${src} `)}\n`).join('');
}

let dir = '';
let log = '';
let conf = '';
let socket = '';
let stateDir = '';
let daemon: DaemonProc | null = null;
const smtp = new TestSmtp();

const alerts = (): Received[] => smtp.received.filter((r) => r.subject.startsWith('[tsad-alert]'));
const text = (r: Received): string => findPart(r.mail, 'text/plain')?.body ?? '';
const start = (): Promise<DaemonProc> => startDaemon(['-c', conf, '--source', `file:${log}`, '--state-dir', stateDir], socket);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-e2e-mail-'));
  log = join(dir, 'kern.log');
  writeFileSync(log, '');
  socket = join(dir, 'tsad.sock');
  stateDir = join(dir, 'state');
  mkdirSync(join(dir, 'feeds'));
  writeFileSync(join(dir, 'feeds', 'watch.txt'), `${X}\n`);
  await smtp.start();
  conf = writeConfig(dir, {
    EMAIL_ADDRESSES: 'admin@example.org',
    EMAIL_FROM: 'tsad@fw1.example.org',
    EMAIL_TRANSPORT: 'smtp',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    SMTP_SECURE: 'none',
    SMTP_TIMEOUT: '2',
    EMAIL_ALERT_DANGER_LEVEL: '2',
    DANGER_LEVEL3: '50',
    ENABLE_GEOIP: 'Y',
    ENABLE_REPUTATION_FEEDS: 'Y',
    REPUTATION_FEEDS_DIR: join(dir, 'feeds'),
    REPUTATION_FEED: 'name=e2e-watch source=watch.txt dl=1',
    // Blocks recorded but not enforced (no firewall outside a namespace): the alerts say "blocked until".
    ENABLE_AUTO_IDS: 'Y',
    AUTO_IDS_DANGER_LEVEL: '3',
    BLOCK_BACKEND: 'none',
  });
  daemon = await start();
});

afterAll(async () => {
  await killDaemon(daemon);
  await smtp.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('alert mails from the daemon through a real SMTP server', () => {
  it('mails once when a source reaches EMAIL_ALERT_DANGER_LEVEL and once when its level rises', async () => {
    const t0 = Date.now();
    appendFileSync(log, lines(0, 20));
    await waitFor('the first alert', () => alerts().length === 1, { every: 5, watch: daemon });
    const latency = [Date.now() - t0];
    const t1 = Date.now();
    appendFileSync(log, lines(20, 100));
    await waitFor('the second alert', () => alerts().length === 2, { every: 5, watch: daemon });
    latency.push(Date.now() - t1);
    await new Promise((r) => setTimeout(r, 1500));
    const got = alerts();
    expect(got.map((r) => r.subject)).toEqual([expect.stringMatching(new RegExp(`^\\[tsad-alert\\] DL2 ${X.replace(/\./g, '\\.')} `)), expect.stringMatching(new RegExp(`^\\[tsad-alert\\] DL3 ${X.replace(/\./g, '\\.')} `))]);
    const [first, second] = got as [Received, Received];
    expect(header(first.mail, 'x-tsad-source')).toBe(X);
    expect(text(first)).toMatch(/Previous level:? +\[\d\]/);
    expect(text(second)).toMatch(/Previous level:? +\[2\]/);
    expect(text(second)).toContain("'e2e-watch' (DL 1)");
    expect(text(first)).toContain('[not blocked]');
    expect(text(second)).toMatch(/Blocked until:? +20\d\d-\d\d-\d\dT/);
    expect(text(second)).toMatch(new RegExp(`DROP IN=eth0 .*SRC=${X.replace(/\./g, '\\.')} `)); // a raw log line
    expect(findPart(second.mail, 'text/html')?.body).toContain(X);
    const queued = [...(daemon?.log() ?? '').matchAll(/^(\S+) tsad: 198\.51\.100\.10: DL[23] alert queued (\d+) ms after the line/gm)];
    const read = [Date.parse(queued[0]?.[1] ?? '') - t0, Date.parse(queued[1]?.[1] ?? '') - t1];
    console.log(`mail: lines appended -> alert accepted by the SMTP server: ${latency.join(' ms, ')} ms (first on a new SMTP connection); of which appended -> alert queued (log time stamps): ${read.join(' ms, ')} ms; line handled -> queued (the daemon's own measure): ${queued.map((m) => m[2]).join(' ms, ')} ms`);
  });

  it('keeps alerts in the queue while the server is down, across a restart, and sends each exactly once', async () => {
    await smtp.stop();
    appendFileSync(log, lines(0, 20, Y));
    await waitFor('the DL2 alert queued', () => daemon?.log().includes(`${Y}: DL2 alert queued`), { watch: daemon });
    appendFileSync(log, lines(20, 100, Y));
    await waitFor('the DL3 alert queued', () => daemon?.log().includes(`${Y}: DL3 alert queued`), { watch: daemon });
    const st = (await daemon?.request('status')) as { daemon: { notes: string[] } };
    expect(st.daemon.notes.join('\n')).toMatch(/Mail: 4 alert\(s\) since start, 2 mail\(s\) sent, 2 waiting in the queue; last error: .*ECONNREFUSED/);

    expect(await daemon?.stop()).toBe(0);
    daemon = await start();
    await new Promise((r) => setTimeout(r, 500)); // its first attempt fails: the server is still down
    await smtp.start(); // same port
    // The failed attempt backs off 30 s before the next.
    await waitFor('the queued alerts', () => alerts().length === 4, { every: 50, watch: daemon });
    await new Promise((r) => setTimeout(r, 2000));
    const got = alerts();
    expect(got.map((r) => r.subject.split(' ').slice(0, 3).join(' '))).toEqual([`[tsad-alert] DL2 ${X}`, `[tsad-alert] DL3 ${X}`, `[tsad-alert] DL2 ${Y}`, `[tsad-alert] DL3 ${Y}`]);
    expect(new Set(got.map((r) => header(r.mail, 'message-id'))).size).toBe(4);
  }, 120_000);

  it('tsad report --email mails the status report, through the daemon\'s queue or by itself', async () => {
    const args = ['-c', conf, '--socket', socket, '--state-dir', stateDir];
    const shown = await tsad(['report', ...args]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^\[\+\] tsad \S+ daemon running/);
    expect(shown.stdout).toContain(`SRC:  ${Y}, DL: 3`);
    expect(shown.stdout).toMatch(new RegExp(`^ {6}${X.replace(/\./g, '\\.')} \\(\\d+ seconds remaining\\) \\[DL 3\\]$`, 'm'));
    const json = JSON.parse((await tsad(['report', '--json', ...args])).stdout) as { sources: Array<{ src: string; reputation: Array<{ feed: string }> }> };
    expect(json.sources.find((s) => s.src === X)?.reputation).toEqual([{ feed: 'e2e-watch', dl: 1 }]);

    const reports = (): Received[] => smtp.received.filter((r) => r.subject.startsWith('[tsad-status]'));
    const r1 = await tsad(['report', '--email', ...args]);
    expect(r1).toMatchObject({ code: 0, stdout: '' });
    await waitFor('the report mailed by the daemon', () => reports().length === 1, { every: 50, watch: daemon });
    const mail = reports()[0] as Received;
    expect(mail.subject).toMatch(/^\[tsad-status\] status report on \S+: 2 sources, max DL3$/);
    expect(text(mail)).toContain('[+] IP Status Detail:');
    expect(text(mail)).toContain(`SRC:  ${X}, DL: 3`);
    expect(findPart(mail.mail, 'application/json')?.body).toContain('"version": 1');

    expect(await daemon?.stop()).toBe(0);
    daemon = null;
    const r2 = await tsad(['report', '--email', ...args]);
    expect(r2).toMatchObject({ code: 0, stdout: '' });
    expect(reports()).toHaveLength(2);
    expect(text(reports()[1] as Received)).toMatch(/^\[-\] tsad daemon is not running/);
    expect(alerts()).toHaveLength(4);
  });
});
