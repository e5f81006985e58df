/** `tsad analyze --email` mails the analysis to a real SMTP server on loopback. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findPart } from '../email/mime.js';
import { TestSmtp } from '../email/helpers.js';
import { ROOT, runCli } from '../helpers/run-cli.js';

let smtp: TestSmtp;
beforeEach(async () => {
  smtp = new TestSmtp();
  await smtp.start();
});
afterEach(async () => {
  await smtp.stop();
});

function conf(dir: string, port: number): string {
  const path = join(dir, 'tsad.conf');
  writeFileSync(path, [
    'EMAIL_TRANSPORT smtp;', 'SMTP_HOST 127.0.0.1;', `SMTP_PORT ${port};`, 'SMTP_SECURE none;',
    'EMAIL_ADDRESSES admin@example.org;', 'EMAIL_FROM tsad@fw1.example.org;', `STATE_DIR ${dir};`, '',
  ].join('\n'));
  return path;
}

describe('tsad analyze --email', () => {
  it('prints the report and mails it with the JSON attached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsad-amail-'));
    const r = await runCli(['analyze', '--email', '-c', conf(dir, smtp.port), `${ROOT}fixtures/sample/kern.log`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('IP Status Detail');
    expect(smtp.received).toHaveLength(1);
    const m = smtp.received[0] as (typeof smtp.received)[number];
    expect(m.to).toEqual(['admin@example.org']);
    expect(m.subject).toMatch(/^\[tsad-status\] .*analysis of .*kern\.log/);
    const text = findPart(m.mail, 'text/plain');
    expect(text?.body).toContain('Top 25 attackers');
    expect(m.raw).toMatch(/application\/json/);
  });

  it('keeps the mail queued and exits 1 when the server is down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsad-amail-'));
    const port = smtp.port;
    await smtp.stop();
    const r = await runCli(['analyze', '--email', '-c', conf(dir, port), `${ROOT}fixtures/sample/kern.log`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/queued/);
    await smtp.start();
  });
});
