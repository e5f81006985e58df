/**
 * Issue 15, mail: one fast scan climbing several levels within a second is
 * one alert (EMAIL_ALERT_SETTLE), with the level it reached; the subject
 * names the host; a 1-packet source raised by auto_dl says "Scanned
 * destinations: 1"; no log sample is later than "Last seen"; a later rise
 * mails again. The daemon is a separate process following a kern.log, the
 * mail goes through a real SMTP server on loopback. At start the daemon says
 * where alerts go, and under --dry-run that the dry run covers the firewall only.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSmtp, type Received } from '../email/helpers.js';
import { findPart } from '../email/mime.js';
import { startDaemon, type DaemonProc } from '../daemon/helpers/daemon-proc.js';
import { killDaemon, waitFor, writeConfig } from './helpers/daemon.js';

const SCAN = readFileSync(new URL('../../fixtures/captured/ipt/syn.kern.log', import.meta.url), 'utf8').trimEnd().split('\n');
const X = '198.51.100.10';
const ONE = '203.0.113.77';
/** Sources auto_dl puts at level 3 with their first packet: a line from one, mailed, shows that every alert of lines read before it has settled and gone out. */
const MARKS = ['203.0.113.78', '203.0.113.79'];
/** The log's time base: lines are stamped around the moment the test starts, so the daemon reads them as live (read once; no assertion depends on time passing). */
const START = Date.now();
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A syslog time stamp (UTC: the daemon runs with TZ=UTC). */
function stamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** Captured lines [from, to) with time stamps one second apart from `t0`, from `src`. */
function lines(from: number, to: number, t0: number, src = X): string {
  return SCAN.slice(from, to).map((l, i) => `${stamp(new Date(t0 + i * 1000))}${l.slice(15).replace(`SRC=${X} `, `SRC=${src} `)}\n`).join('');
}

const smtp = new TestSmtp();
let dir = '';
let log = '';
let daemon: DaemonProc | null = null;

const alerts = (): Received[] => smtp.received.filter((r) => r.subject.startsWith('[tsad-alert]'));

/**
 * Appends one line from a marker source and waits for its alert. Alerts
 * settle for the same EMAIL_ALERT_SETTLE in the order their levels rose, so
 * once the marker's is in, any alert caused by earlier lines is too: "nothing
 * more came" is then a fact, not a guess after a sleep.
 */
async function settledThrough(mark: string, at: number): Promise<void> {
  appendFileSync(log, lines(0, 1, at, mark));
  await waitFor(`the alert about marker ${mark}`, () => alerts().some((a) => a.subject.includes(` ${mark} `)), { every: 20, watch: daemon });
}
const text = (r: Received): string => findPart(r.mail, 'text/plain')?.body ?? '';
/** The value of a "Label: value" row of the alert's text part. */
const row = (body: string, label: string): string => new RegExp(`^ *${label}:? +(.*)$`, 'm').exec(body)?.[1]?.trim() ?? '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-e2e-incident-'));
  log = join(dir, 'kern.log');
  writeFileSync(log, '');
  writeFileSync(join(dir, 'auto_dl'), [ONE, ...MARKS].map((a) => `${a} 3;\n`).join(''));
  await smtp.start();
  const conf = writeConfig(dir, {
    EMAIL_ADDRESSES: 'admin@example.org',
    EMAIL_TRANSPORT: 'smtp',
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(smtp.port),
    SMTP_SECURE: 'none',
    SMTP_TIMEOUT: '2',
    EMAIL_ALERT_DANGER_LEVEL: '2',
    EMAIL_ALERT_SETTLE: '2',
    EMAIL_LOG_SAMPLES: '5',
    DANGER_LEVEL3: '50',
    DANGER_LEVEL4: '150',
  });
  daemon = await startDaemon(['-c', conf, '--source', `file:${log}`, '--state-dir', join(dir, 'state'), '--dry-run'], join(dir, 'tsad.sock'), { env: { TZ: 'UTC' } });
});

afterAll(async () => {
  await killDaemon(daemon);
  await smtp.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('alert mails for one incident', () => {
  it('says at start where alerts go and that --dry-run covers the firewall only', () => {
    expect(daemon?.log()).toMatch(new RegExp(`mail: alerts from danger level 2 go to admin@example\\.org through SMTP 127\\.0\\.0\\.1:${smtp.port}; --dry-run covers the firewall only: these mails are sent`));
  });

  it('mails a scan that climbs DL1, DL2, DL3 at once one time, at the level it reached, naming the host', async () => {
    const t0 = START - 200_000;
    appendFileSync(log, lines(0, 100, t0));
    await waitFor('the alert', () => alerts().length === 1, { every: 20, watch: daemon });
    await settledThrough(MARKS[0] as string, START);
    const about = alerts().filter((a) => a.subject.includes(` ${X} `));
    expect(about).toHaveLength(1);
    const [mail] = about as [Received];
    expect(mail.subject).toMatch(new RegExp(`^\\[tsad-alert\\] DL3 ${X.replace(/\./g, '\\.')} .* on ${hostname().replace(/\./g, '\\.')}$`));
    const body = text(mail);
    expect(row(body, 'Danger level')).toMatch(/^\[3\]/);
    expect(row(body, 'Previous level')).toBe('[1]');
    expect(row(body, 'Scanned destinations')).toBe('1');
    expect(row(body, 'Total packets')).toBe('100');
    // The samples are the source's last lines, none later than its "Last seen".
    const lastSeen = Date.parse(row(body, 'Last seen'));
    const samples = body.slice(body.indexOf('Log samples')).split('\n').filter((l) => l.includes(`SRC=${X} `));
    expect(samples).toHaveLength(5);
    // Exactly the last five lines written (stamped t0 + 95 s .. t0 + 99 s), in order.
    expect(samples.map((l) => /([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d)/.exec(l)?.[1])).toEqual([95, 96, 97, 98, 99].map((i) => stamp(new Date(t0 + i * 1000))));
    expect(lastSeen).toBe(Math.floor((t0 + 99_000) / 1000) * 1000);
  });

  it('says "Scanned destinations: 1" for a 1-packet source that auto_dl puts at level 3', async () => {
    appendFileSync(log, lines(0, 1, START + 1000, ONE));
    await waitFor('the alert about the 1-packet source', () => alerts().find((a) => a.subject.includes(` ${ONE} `)), { every: 20, watch: daemon });
    const mail = alerts().find((a) => a.subject.includes(` ${ONE} `)) as Received;
    expect(mail.subject).toMatch(/^\[tsad-alert\] DL3 203\.0\.113\.77 /);
    expect(row(text(mail), 'Scanned destinations')).toBe('1');
    expect(row(text(mail), 'Total packets')).toBe('1');
  });

  it('mails again on a later rise, after the settle time', async () => {
    // 100 more probes of the same host (200 packets >= DANGER_LEVEL4 150): level 4.
    appendFileSync(log, lines(0, 100, START - 100_000));
    await waitFor('the DL4 alert', () => alerts().find((a) => a.subject.startsWith(`[tsad-alert] DL4 ${X} `)), { every: 20, watch: daemon });
    await settledThrough(MARKS[1] as string, START + 2000);
    const about = alerts().filter((a) => a.subject.includes(` ${X} `));
    expect(about.map((a) => a.subject.slice(0, 16))).toEqual(['[tsad-alert] DL3', '[tsad-alert] DL4']);
    expect(row(text(about[1] as Received), 'Previous level')).toBe('[3]');
    expect(row(text(about[1] as Received), 'Total packets')).toBe('200');
  });
});
