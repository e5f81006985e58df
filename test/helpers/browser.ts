/**
 * Debian's chromium driven by playwright-core (no browser download): the
 * flags keep it from reaching for the network this machine does not have,
 * and a fresh profile directory per launch keeps runs apart.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './run-cli.js';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots the tests leave for people to look at (gitignored). */
export const ARTIFACTS = join(ROOT, 'test-artifacts');

/** Chromium present? Skips on a laptop without it; under CI=true its absence fails. */
export function haveChromium(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing (apt-get install chromium), and CI=true forbids skipping`);
  return false;
}

export interface TestBrowser {
  context: BrowserContext;
  /** A page that records console errors, failed requests and uncaught exceptions. */
  open(): Promise<{ page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/**
 * Chromium with a fresh profile (playwright passes it as --user-data-dir) and
 * --headless; `httpCredentials` answers HTTP basic authentication.
 */
export async function launchChromium(opts: { width?: number; httpCredentials?: { username: string; password: string } } = {}): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'tsad-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: opts.width ?? 1100, height: 900 },
    httpCredentials: opts.httpCredentials,
    timeout: 0,
  });
  // No clock limits of playwright's own (30 s an action): a slow machine waits, vitest's test timeout ends a hang.
  context.setDefaultTimeout(0);
  return {
    context,
    async open() {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
      page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
      page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()}`));
      return { page, errors };
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
