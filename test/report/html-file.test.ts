/**
 * `tsad analyze --html FILE` opened in headless Chromium (Debian's package,
 * driven by playwright-core): no console errors, the expected bars per chart
 * and rows for the sample fixture, details that open, a phone-width layout,
 * and a hostile log prefix (markup, quotes, ESC) shown as text. Screenshots
 * go to test-artifacts/.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath, haveChromium, launchChromium, type TestBrowser } from '../helpers/browser.js';
import { ROOT, runCli } from '../helpers/run-cli.js';
import { expectFitsPhone, expectSampleReport } from './page-checks.js';

const SAMPLE = `${ROOT}fixtures/sample/kern.log`;
const HOSTILE_PREFIX = '<script>alert("x")</script>\'\x1b[31m"<img src=x onerror=alert(1)>';

/** A scan line of the sample with the hostile prefix and another source address. */
function hostileLine(): string {
  const line = readFileSync(SAMPLE, 'utf8').split('\n').find((l) => l.includes('SRC=203.0.113.5 ')) as string;
  const k = line.indexOf('kernel:') + 'kernel:'.length;
  return `${line.slice(0, k)} [123.456] ${HOSTILE_PREFIX} ${line.slice(line.indexOf('IN=')).replace('SRC=203.0.113.5', 'SRC=198.51.100.66')}`;
}

const run = haveChromium();
let dir: string;
let b: TestBrowser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-html-'));
  if (run) b = await launchChromium();
});
afterAll(async () => {
  await b?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!run)('tsad analyze --html in Chromium', () => {
  it('shows the sample analysis: charts, attackers and their detail, no errors, fits a phone', async () => {
    const out = join(dir, 'sample.html');
    const r = await runCli(['analyze', '--html', out, SAMPLE]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(statSync(out).mode & 0o777).toBe(0o644);
    const html = readFileSync(out, 'utf8');
    // Self-contained: nothing is fetched at view time.
    expect(html).not.toMatch(/\s(?:src|href)="(?:https?:)?\/\//);
    const { page, errors } = await b.open();
    await page.goto(pathToFileURL(out).href);
    await page.screenshot({ path: artifactPath('report-file.png'), fullPage: true });
    await expectSampleReport(page, errors);
    await expectFitsPhone(page);
    await page.screenshot({ path: artifactPath('report-file-phone.png'), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: artifactPath('report-file-print.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('shows a hostile log prefix as text: no markup, no script, ESC made visible', async () => {
    const log = join(dir, 'hostile.log');
    writeFileSync(log, `${hostileLine()}\n`);
    const out = join(dir, 'hostile.html');
    const r = await runCli(['analyze', '--html', out, '--min-dl', '0', log]);
    expect(r.code).toBe(0);
    const { page, errors } = await b.open();
    let dialogs = 0;
    page.on('dialog', (d) => { dialogs++; void d.dismiss(); });
    await page.goto(pathToFileURL(out).href);
    const cell = page.locator('#prefix-table tbody tr td').first();
    expect(await cell.innerText()).toBe(HOSTILE_PREFIX.replace('\x1b', '\\x1b'));
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toBe(0);
    expect(errors).toEqual([]);
    await page.screenshot({ path: artifactPath('report-hostile.png'), fullPage: true });
  });

  it('refuses --csv with --html, and --json with --html to standard output', async () => {
    expect((await runCli(['analyze', '--csv', '--html', join(dir, 'x.html'), SAMPLE])).code).toBe(2);
    expect((await runCli(['analyze', '--json', '--html', '-', SAMPLE])).code).toBe(2);
  });
});
