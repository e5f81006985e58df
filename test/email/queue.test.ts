/**
 * Faults: the mail server down, hanging or refusing; tsad restarted or
 * killed with mails in the queue. Mails must wait on disk, go out when the
 * server is back, and arrive exactly once.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mailer } from '../../src/actions/email/mailer.js';
import { header } from './mime.js';
import { clock, smtpConfig, source, tempDir, TestSmtp, openMailEnv, closeMailEnv } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

let smtp: TestSmtp;
let tmp: { dir: string; cleanup: () => void };
let mailers: Mailer[];
let logs: string[];

beforeEach(async () => {
  ({ smtp, tmp, mailers, logs } = await openMailEnv('queue'));
});

afterEach(() => closeMailEnv({ smtp, tmp, mailers }));

function mailer(values: Record<string, string | number> = {}, now?: () => number, extra: { tickMs?: number; stopTimeoutMs?: number } = {}): Mailer {
  const m = Mailer.create(smtpConfig(smtp.port, { EMAIL_RATE_LIMIT: 0, ...values }), { queueDir: join(tmp.dir, 'q'), now, host: 'fw1.example.org', log: (s) => logs.push(s), ...extra });
  mailers.push(m);
  return m;
}

function queueFiles(): string[] {
  return readdirSync(join(tmp.dir, 'q')).filter((f) => f.endsWith('.json') && !f.startsWith('.'));
}

const SOURCES = ['203.0.113.1', '203.0.113.2', '203.0.113.3'];

function alertAll(m: Mailer): void {
  for (const src of SOURCES) expect(m.alert(source({ src }), { host: 'fw1', previousDl: 0 })).toBe('queued');
}

function messageIds(): string[] {
  return smtp.received.map((r) => header(r.mail, 'message-id') ?? '').sort();
}

describe('mail server outage', () => {
  it('keeps mails on disk and sends each once when the server is back', async () => {
    const c = clock();
    await smtp.stop();
    const m = mailer({}, c.now, { tickMs: 20 });
    m.start();
    alertAll(m);
    m.report('daily report', 'nothing happened');
    await waitFor('a failed attempt', () => m.stats.failedAttempts >= 1);
    expect(queueFiles()).toHaveLength(4);
    expect(m.stats.retryAt).toBe(c.now() + 30_000);
    expect(logs.some((l) => /cannot send mail through smtp:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED.*4 mail\(s\) queued, next try in 30 s/.test(l))).toBe(true);

    await smtp.start();
    // Still backing off: nothing is tried before retryAt.
    await new Promise((r) => setTimeout(r, 150));
    expect(smtp.received).toHaveLength(0);
    c.advance(30_000);
    await waitFor('4 mails received', () => smtp.received.length === 4);
    await new Promise((r) => setTimeout(r, 200));
    c.advance(3_600_000);
    await new Promise((r) => setTimeout(r, 100));
    await m.flush();
    expect(smtp.received).toHaveLength(4);
    expect(new Set(messageIds()).size).toBe(4);
    expect(queueFiles()).toHaveLength(0);
    expect(m.stats).toMatchObject({ queued: 0, sent: 4, retryAt: 0 });
  });

  it('backs off exponentially while the server stays down', async () => {
    const c = clock();
    await smtp.stop();
    const m = mailer({}, c.now);
    m.report('r', 'x');
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      await m.flush();
      waits.push(m.stats.retryAt - c.now());
    }
    expect(waits).toEqual([30_000, 60_000, 120_000, 240_000]);
    const file = JSON.parse(readFileSync(join(tmp.dir, 'q', queueFiles()[0]!), 'utf8')) as { attempts: number; lastError: string };
    expect(file.attempts).toBe(4);
    expect(file.lastError).toMatch(/ECONNREFUSED/);
  });

  it('retries a refused mail later without holding up the others', async () => {
    smtp.refuse = (r) => r.subject.includes('REFUSE');
    const c = clock();
    const m = mailer({}, c.now);
    m.report('one', '1');
    m.report('REFUSE me', '2');
    m.report('three', '3');
    await m.flush();
    expect(smtp.received.map((r) => r.subject)).toEqual(['[tsad-status] one', '[tsad-status] three']);
    expect(m.stats.queued).toBe(1);
    expect(logs.some((l) => l.includes('refused by smtp://') && l.includes('550'))).toBe(true);
    smtp.refuse = () => false;
    await m.flush();
    expect(smtp.received.map((r) => r.subject)).toEqual(['[tsad-status] one', '[tsad-status] three', '[tsad-status] REFUSE me']);
  });

  it('never blocks the caller on a server that accepts connections and then hangs', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    try {
      const m = Mailer.create(smtpConfig(port, { SMTP_TIMEOUT: 1, EMAIL_RATE_LIMIT: 0 }), { queueDir: join(tmp.dir, 'q'), host: 'fw1', log: (s) => logs.push(s), tickMs: 20, stopTimeoutMs: 300 });
      m.start();
      // alert() is synchronous: each one is queued before it returns, whatever the server does.
      const outcomes = Array.from({ length: 50 }, (_, i) => m.alert(source({ src: `198.51.100.${i + 1}` }), { host: 'fw1', previousDl: 0 }));
      expect(new Set(outcomes)).toEqual(new Set(['queued']));
      await waitFor('a connection to the silent server', () => sockets.length > 0);
      // stop() gives up on the hanging send after stopTimeoutMs instead of waiting for the server.
      await m.stop();
      expect(sockets.some((s) => !s.destroyed)).toBe(true);
      expect(queueFiles()).toHaveLength(50);
      // The send still hanging when stop() gave up must not touch the queue afterwards.
      const before = readdirSync(join(tmp.dir, 'q')).map((f) => `${f}:${statSync(join(tmp.dir, 'q', f)).mtimeMs}`).sort();
      await new Promise((r) => setTimeout(r, 1500));
      expect(readdirSync(join(tmp.dir, 'q')).map((f) => `${f}:${statSync(join(tmp.dir, 'q', f)).mtimeMs}`).sort()).toEqual(before);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(() => r(undefined)));
    }
  });
});

describe('restart', () => {
  it('a new Mailer on the same queue sends what the old one left, exactly once', async () => {
    const c = clock();
    await smtp.stop();
    const a = mailer({}, c.now);
    alertAll(a);
    a.report('daily report', 'text');
    await a.flush();
    await a.stop();
    const ids = queueFiles().map((f) => f.replace(/^\d+-/, '').replace(/\.json$/, ''));
    expect(ids).toHaveLength(4);

    await smtp.start();
    const b = mailer({}, c.now);
    await b.flush();
    expect(smtp.received).toHaveLength(4);
    // The Message-ID chosen when the mail was queued survives the restart.
    expect(messageIds()).toEqual(ids.map((id) => `<${id}@fw1.example.org>`).sort());
    await b.flush();
    await b.stop();
    const c2 = mailer({}, c.now);
    await c2.flush();
    expect(smtp.received).toHaveLength(4);
    // Counters survive too: the same rise is not mailed again after the restart.
    expect(c2.alert(source({ src: SOURCES[0] }), { host: 'fw1', previousDl: 2 })).toBe('unchanged');
  });

  it('a second process only hands mails to the owner of the queue', async () => {
    const owner = mailer();
    const guest = mailer();
    expect(owner.stats.owner).toBe(true);
    expect(guest.stats.owner).toBe(false);
    guest.report('from the cli', 'report text');
    const g = await guest.flush();
    expect(g).toMatchObject({ sent: 0, queued: 1, handedOff: true });
    expect(smtp.received).toHaveLength(0);
    await owner.flush();
    expect(smtp.received.map((r) => r.subject)).toEqual(['[tsad-status] from the cli']);
    await owner.stop();
    // With the owner gone the guest takes over, and does not send the mail again.
    const g2 = await guest.flush();
    expect(g2.handedOff).toBe(false);
    expect(guest.stats.owner).toBe(true);
    expect(smtp.received).toHaveLength(1);
  });

  it('renames a damaged queue file aside and sends the rest', async () => {
    const dir = join(tmp.dir, 'q');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '000000000000001-0000aaaa-0000-0000-0000-000000000000.json'), '{"v":1,"id":');
    writeFileSync(join(dir, '.000000000000002-x.json.1234.5678.tmp'), 'half');
    utimesSync(join(dir, '.000000000000002-x.json.1234.5678.tmp'), new Date(Date.now() - 120_000), new Date(Date.now() - 120_000));
    writeFileSync(join(dir, '.000000000000003-y.json.1234.5679.tmp'), 'being written right now');
    const m = mailer();
    m.report('fine', 'ok');
    await m.flush();
    expect(smtp.received.map((r) => r.subject)).toEqual(['[tsad-status] fine']);
    expect(readdirSync(dir).sort()).toEqual(['.000000000000003-y.json.1234.5679.tmp', '.lock', '000000000000001-0000aaaa-0000-0000-0000-000000000000.json.bad']);
    expect(logs.some((l) => l.includes('renamed to 000000000000001-0000aaaa-0000-0000-0000-000000000000.json.bad'))).toBe(true);
  });

  it('drops new mails when EMAIL_QUEUE_MAX is reached, and says so', async () => {
    await smtp.stop();
    const m = mailer({ EMAIL_QUEUE_MAX: 10 });
    for (let i = 0; i < 12; i++) m.report(`r${i}`, 'x');
    await m.flush();
    expect(m.stats).toMatchObject({ queued: 10, dropped: 2 });
    expect(logs.filter((l) => l.includes('is full (EMAIL_QUEUE_MAX 10)'))).toHaveLength(2);
  });
});

describe('crash', () => {
  it('mails of a killed process go out exactly once from the next one', async () => {
    // Build the stage to plain JS so a real child process can run it and be killed.
    const build = join(tmp.dir, 'build');
    const root = resolve(import.meta.dirname, '../..');
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--ignoreConfig', '--outDir', build, '--rootDir', join(root, 'src'),
      '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--verbatimModuleSyntax', '--types', 'node',
      join(root, 'src/actions/email/mailer.ts'), join(root, 'src/config/load.ts')], { stdio: 'ignore' });
    expect(existsSync(join(build, 'actions/email/mailer.js'))).toBe(true);
    symlinkSync(join(root, 'node_modules'), join(tmp.dir, 'node_modules'));
    const script = join(tmp.dir, 'child.mjs');
    writeFileSync(script, `
      import { Mailer } from './build/actions/email/mailer.js';
      import { buildConfig } from './build/config/load.js';
      const [port, dir, srcJson] = process.argv.slice(2);
      const values = { EMAIL_TRANSPORT: 'smtp', SMTP_HOST: '127.0.0.1', SMTP_PORT: port, SMTP_SECURE: 'none', SMTP_TIMEOUT: '30', EMAIL_ADDRESSES: 'admin@example.org', EMAIL_RATE_LIMIT: '0' };
      const cfg = buildConfig(Object.entries(values).map(([key, raw], i) => ({ key, raw, line: i + 1 })), 'child');
      const m = Mailer.create(cfg, { queueDir: dir, host: 'fw1.example.org', tickMs: 20 });
      for (const src of ${JSON.stringify(SOURCES)}) m.alert({ ...JSON.parse(srcJson), src }, { host: 'fw1', previousDl: 0 });
      m.start();
      setInterval(() => {}, 1000);
    `);
    smtp.hold = true;
    const child = spawn(process.execPath, [script, String(smtp.port), join(tmp.dir, 'q'), JSON.stringify(source())], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise((r) => child.once('exit', r));
    try {
      // The first mail is on the wire, the server has not answered: kill the process now.
      await waitFor('the first mail held on the wire', () => smtp.held.length === 1, { watch: { exited, log: () => stderr } });
      expect(queueFiles()).toHaveLength(3);
      child.kill('SIGKILL');
      await exited;
    } finally {
      child.kill('SIGKILL');
    }
    smtp.hold = false;
    const next = mailer();
    expect(next.stats.owner).toBe(true); // the dead owner's lock is stale
    await next.flush();
    expect(smtp.received).toHaveLength(3);
    expect(new Set(smtp.received.map((r) => r.subject.split(' ')[2])).size).toBe(3);
    // The mail that was in flight keeps its Message-ID, so even a server that had kept it could drop the copy.
    expect(messageIds()).toContain(header(smtp.held[0]!.mail, 'message-id'));
    expect(queueFiles()).toHaveLength(0);
  });
});
