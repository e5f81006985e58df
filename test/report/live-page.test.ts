/**
 * The daemon's live report page (METRICS_REPORT_PAGE on METRICS_LISTEN),
 * opened in headless Chromium while the daemon follows a log file, and the
 * status report drawn from the same daemon: `tsad report --html`, and
 * `tsad report --email` received by a real SMTP server, its charts as PNG
 * attachments shown by cid. A daemon reading a file touches no kernel state.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTestConfig } from '../daemon/helpers/config.js';
import { runTsad, startDaemon, summaryOf, waitStatus, type DaemonProc } from '../daemon/helpers/daemon-proc.js';
import { TestSmtp } from '../email/helpers.js';
import { findPart, header, leafParts } from '../email/mime.js';
import { artifactPath, haveChromium, launchChromium, type TestBrowser } from '../helpers/browser.js';
import { ROOT } from '../helpers/run-cli.js';
import { expectFitsPhone, expectSampleReport, SAMPLE } from './page-checks.js';
import { waitFor } from '../helpers/wait.js';

const LOG = readFileSync(`${ROOT}fixtures/sample/kern.log`, 'utf8');
const PORT = 20000 + Math.floor(Math.random() * 20000);
const run = haveChromium();

let dir: string;
let conf: string;
let socket: string;
let stateDir: string;
let daemon: DaemonProc | null = null;
let smtp: TestSmtp;
let b: TestBrowser;

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

beforeAll(async () => {
  if (!run) return;
  smtp = new TestSmtp();
  await smtp.start();
  dir = mkdtempSync(join(tmpdir(), 'tsad-live-page-'));
  conf = writeTestConfig(dir, {
    METRICS_LISTEN: `127.0.0.1:${PORT}`, METRICS_REPORT_PAGE: 'Y',
    // Raw lines are kept (and shown as log samples) for sources at or above this level.
    EMAIL_ALERT_DANGER_LEVEL: '3', EMAIL_LOG_SAMPLES: '5', ALERTING_METHODS: 'noemail',
    EMAIL_ADDRESSES: 'admin@example.org', EMAIL_TRANSPORT: 'smtp', SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), SMTP_SECURE: 'none',
  });
  socket = join(dir, 'run', 'tsad.sock');
  stateDir = join(dir, 'state');
  writeFileSync(join(dir, 'kern.log'), '');
  daemon = await startDaemon(['-c', conf, '--source', `file:${join(dir, 'kern.log')}`, '--state-dir', stateDir], socket);
  appendFileSync(join(dir, 'kern.log'), LOG);
  const lines = LOG.trimEnd().split('\n').length;
  await waitStatus(daemon, (r) => summaryOf(r).lines === lines);
  b = await launchChromium();
});
afterAll(async () => {
  await b?.close();
  if (daemon) await daemon.stop().catch(() => undefined);
  await smtp?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!run)('live report page and status report', () => {
  it('serves the current state at / next to /metrics, readable in Chromium', async () => {
    const { page, errors } = await b.open();
    const res = await page.goto(`http://127.0.0.1:${PORT}/`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
    await expectSampleReport(page, errors);
    // Log samples of the sources at EMAIL_ALERT_DANGER_LEVEL or above.
    // The first is 203.0.113.150, raised by its sshd failures: its samples are sshd's lines.
    expect(await page.locator('#detail-list > details').first().innerText()).toMatch(/Service log evidence[\s\S]*sshd[\s\S]*Log samples[\s\S]*from 203\.0\.113\.150 port/);
    expect(await page.locator('#detail-list > details').nth(1).textContent()).toMatch(/Log samples[\s\S]*SRC=/); // closed: its text, not what shows
    expect(await page.locator('meta[http-equiv="refresh"]').count()).toBe(1);
    await page.screenshot({ path: artifactPath('report-live.png'), fullPage: true });
    await expectFitsPhone(page);
    expect(errors).toEqual([]);
    const metrics = await fetch(`http://127.0.0.1:${PORT}/metrics`);
    expect(await metrics.text()).toMatch(/^tsad_lines_total \d+/m);
    expect((await fetch(`http://127.0.0.1:${PORT}/`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${PORT}/other`)).status).toBe(404);
  });

  it('tsad report --html writes the same report from the running daemon', async () => {
    const out = join(dir, 'status.html');
    const r = await runTsad(['report', '-c', conf, '--socket', socket, '--state-dir', stateDir, '--html', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    const html = readFileSync(out, 'utf8');
    for (const [id, n] of Object.entries(SAMPLE.marks)) expect(html).toContain(`data-chart="${id}" data-marks="${n}"`);
    expect(html).toContain('daemon running');
  });

  it('tsad report --email: the HTML part shows the charts as PNG attachments by cid; text and JSON kept', async () => {
    const r = await runTsad(['report', '-c', conf, '--socket', socket, '--state-dir', stateDir, '--email']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // The running daemon owns the mail queue: it sends the report.
    await waitFor('the report mail at the SMTP server', () => smtp.received.length > 0);
    const m = smtp.received.find((x) => /status report/.test(x.subject));
    expect(m).toBeDefined();
    const mail = (m as NonNullable<typeof m>).mail;
    expect(findPart(mail, 'text/plain')?.body).toContain('Top 25 attackers');
    expect(leafParts(mail).some((p) => /application\/json/.test(header(p, 'content-type') ?? ''))).toBe(true);
    const html = findPart(mail, 'text/html')?.body ?? '';
    expect(html).not.toMatch(/<svg/);
    const images = leafParts(mail).filter((p) => /^image\/png/.test(header(p, 'content-type') ?? ''));
    expect(images.map((p) => header(p, 'content-id')).sort()).toEqual(Object.keys(SAMPLE.marks).map((id) => `<chart-${id}@tsad>`).sort());
    for (const img of images) {
      const cid = (header(img, 'content-id') as string).slice(1, -1);
      const tag = new RegExp(`<img src="cid:${cid.replace(/[.@-]/g, '\\$&')}" width="(\\d+)" height="(\\d+)"`).exec(html);
      expect(tag, cid).not.toBeNull();
      expect(pngSize(img.bytes)).toEqual({ width: Number(tag?.[1]), height: Number(tag?.[2]) });
    }
    writeFileSync(artifactPath('report-mail-levels.png'), images[0]?.bytes ?? Buffer.alloc(0));
  });
});
