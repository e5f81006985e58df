/**
 * The transports for real: a sendmail-compatible executable, SMTP with
 * STARTTLS, implicit TLS and AUTH against smtp-server; status reports and
 * error mails; the validation of the email keys.
 */
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mailer } from '../../src/actions/email/mailer.js';
import { ConfigError } from '../../src/config/errors.js';
import type { Report } from '../../src/model/report.js';
import { findPart, header, parseMime } from './mime.js';
import { clock, config, smtpConfig, source, tempDir, TestSmtp } from './helpers.js';

let tmp: { dir: string; cleanup: () => void };
let mailers: Mailer[];
let servers: TestSmtp[];
let logs: string[];

beforeEach(() => {
  tmp = tempDir('transport');
  mailers = [];
  servers = [];
  logs = [];
});

afterEach(async () => {
  for (const m of mailers) await m.stop();
  for (const s of servers) await s.stop();
  tmp.cleanup();
});

async function server(opts: ConstructorParameters<typeof TestSmtp>[0] = {}): Promise<TestSmtp> {
  const s = new TestSmtp(opts);
  await s.start();
  servers.push(s);
  return s;
}

function mailer(cfg: ReturnType<typeof config>, dir = 'q'): Mailer {
  const m = Mailer.create(cfg, { queueDir: join(tmp.dir, dir), now: clock().now, host: 'fw1.example.org', log: (s) => logs.push(s) });
  mailers.push(m);
  return m;
}

describe('sendmail transport', () => {
  function fakeSendmail(exitCode: number): string {
    const path = join(tmp.dir, 'sendmail');
    // A failing sendmail reads the message and exits non-zero (75 is EX_TEMPFAIL): nothing was queued.
    const body = exitCode === 0
      ? `n=$(date +%s%N)\nprintf '%s\\n' "$@" > "${tmp.dir}/args.$n"\ncat > "${tmp.dir}/msg.$n"\n`
      : 'cat > /dev/null\n';
    writeFileSync(path, `#!/bin/sh\n${body}exit ${exitCode}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  function delivered(): Array<{ args: string[]; raw: string }> {
    return readdirSync(tmp.dir).filter((f) => f.startsWith('msg.')).sort().map((f) => ({
      raw: readFileSync(join(tmp.dir, f), 'utf8'),
      args: readFileSync(join(tmp.dir, f.replace('msg.', 'args.')), 'utf8').trim().split('\n'),
    }));
  }

  it('pipes the message to the binary with the recipients as arguments, no shell', async () => {
    const path = fakeSendmail(0);
    const m = mailer(config({ EMAIL_TRANSPORT: 'sendmail', SENDMAIL_PATH: path, EMAIL_ADDRESSES: 'admin@example.org, second@example.org', EMAIL_FROM: 'tsad <tsad@fw1.example.org>' }));
    m.alert(source(), { host: 'fw1', previousDl: 0 });
    expect(await m.flush()).toMatchObject({ sent: 1, queued: 0 });
    const got = delivered();
    expect(got).toHaveLength(1);
    expect(got[0]!.args).toEqual(['-i', '-f', 'tsad@fw1.example.org', 'admin@example.org', 'second@example.org']);
    const mail = parseMime(got[0]!.raw.replace(/\r?\n/g, '\r\n'));
    expect(header(mail, 'subject')).toBe('[tsad-alert] DL3 203.0.113.5 (CN, AS4134) SYN scan 1000-1500/tcp by nmap on fw1');
    expect(header(mail, 'from')).toBe('tsad <tsad@fw1.example.org>');
    expect(header(mail, 'to')).toBe('admin@example.org, second@example.org');
    expect(findPart(mail, 'text/plain')!.body).toContain('         Danger level: [3] (out of 5)');
  });

  it('keeps the mail queued while the binary fails or is missing', async () => {
    const path = fakeSendmail(75);
    const m = mailer(config({ EMAIL_TRANSPORT: 'sendmail', SENDMAIL_PATH: path }));
    m.report('queued', 'text');
    expect(await m.flush()).toMatchObject({ sent: 0, queued: 1 });
    expect(m.stats.lastError).toMatch(/Sendmail exited with code 75/);
    fakeSendmail(0);
    expect(await m.flush()).toMatchObject({ sent: 1, queued: 0 });
    expect(delivered().filter((d) => d.raw.includes('Subject: [tsad-status] queued'))).toHaveLength(1);

    const missing = mailer(config({ EMAIL_TRANSPORT: 'sendmail', SENDMAIL_PATH: join(tmp.dir, 'no-such-sendmail') }), 'q2');
    missing.report('lost?', 'no');
    expect(await missing.flush()).toMatchObject({ sent: 0, queued: 1 });
    expect(missing.stats.lastError).toMatch(/ENOENT/);
  });
});

describe('SMTP transport', () => {
  it('upgrades with STARTTLS and authenticates', async () => {
    const s = await server({
      disabledCommands: [],
      onAuth: (auth: { username?: string; password?: string }, _session: unknown, cb: (err: Error | null, res?: { user: string }) => void) =>
        auth.username === 'tsad' && auth.password === 's3cret' ? cb(null, { user: 'tsad' }) : cb(Object.assign(new Error('bad credentials'), { responseCode: 535 })),
    });
    const m = mailer(smtpConfig(s.port, { SMTP_SECURE: 'starttls', SMTP_TLS_VERIFY: 'N', SMTP_USER: 'tsad', SMTP_PASS: 's3cret' }));
    m.report('over tls', 'x');
    expect(await m.flush()).toMatchObject({ sent: 1 });
    expect(s.received[0]).toMatchObject({ secure: true, user: 'tsad', subject: '[tsad-status] over tls' });

    const bad = mailer(smtpConfig(s.port, { SMTP_SECURE: 'starttls', SMTP_TLS_VERIFY: 'N', SMTP_USER: 'tsad', SMTP_PASS: 'wrong' }), 'q2');
    bad.report('wrong password', 'x');
    expect(await bad.flush()).toMatchObject({ sent: 0, queued: 1 });
    expect(bad.stats.lastError).toMatch(/535|auth/i);
  });

  it('refuses a certificate it cannot verify, and refuses to send in clear when STARTTLS is required', async () => {
    const tls = await server({ disabledCommands: [] });
    const verify = mailer(smtpConfig(tls.port, { SMTP_SECURE: 'starttls', SMTP_TLS_VERIFY: 'Y' }));
    verify.report('not sent', 'x');
    expect(await verify.flush()).toMatchObject({ sent: 0, queued: 1 });
    expect(verify.stats.lastError).toMatch(/certificate/i);

    const plain = await server();
    const required = mailer(smtpConfig(plain.port, { SMTP_SECURE: 'starttls' }), 'q2');
    required.report('not sent either', 'x');
    expect(await required.flush()).toMatchObject({ sent: 0, queued: 1 });
    expect(plain.received).toHaveLength(0);
    expect(tls.received).toHaveLength(0);

    const auto = mailer(smtpConfig(tls.port, { SMTP_SECURE: 'auto', SMTP_TLS_VERIFY: 'N' }), 'q3');
    auto.report('auto tls', 'x');
    await auto.flush();
    expect(tls.received[0]).toMatchObject({ secure: true, subject: '[tsad-status] auto tls' });
  });

  it('speaks implicit TLS', async () => {
    const s = await server({ secure: true });
    const m = mailer(smtpConfig(s.port, { SMTP_SECURE: 'tls', SMTP_TLS_VERIFY: 'N' }));
    m.error('firewall command failing', 'nft: Operation not permitted');
    await m.flush();
    expect(s.received[0]).toMatchObject({ secure: true, subject: '[tsad-error] firewall command failing' });
    expect(header(s.received[0]!.mail, 'x-tsad-kind')).toBe('error');
  });
});

describe('status reports', () => {
  const report: Report = {
    version: 1,
    summary: { lines: 5000, firewallLines: 4200, skipped: { 'not-firewall': 800 }, sources: 2, dangerLevels: { 1: 1, 2: 0, 3: 1, 4: 0, 5: 0 }, firstSeen: '2024-05-01T00:00:00.000Z', lastSeen: '2024-05-01T23:59:00.000Z' },
    sources: [source(), source({ src: '198.51.100.7', dl: 1, country: null })],
    topPorts: [{ proto: 'tcp', port: 22, packets: 100 }],
    topSignatures: [],
    logPrefixes: { '<script>DROP': 4200 },
  };
  const text = '[+] Top 2 attackers:\n    203.0.113.5  DL: 3\n\n[+] iptables log prefix counters:\n    "<script>DROP": 4200\n';

  it('mails the text rendering, an HTML summary and the JSON report', async () => {
    const s = await server();
    const m = mailer(smtpConfig(s.port));
    m.statusReport(report, text);
    m.statusReport(report, text, { title: 'analysis of /var/log/kern.log', attachJson: false });
    await m.flush();
    const [daily, analysis] = s.received as [typeof s.received[0], typeof s.received[0]];
    expect(daily.subject).toBe('[tsad-status] daily report on fw1.example.org: 2 sources, max DL3');
    expect(header(daily.mail, 'x-tsad-kind')).toBe('status');
    expect(findPart(daily.mail, 'text/plain')!.body).toBe(text);
    const html = findPart(daily.mail, 'text/html')!.body;
    expect(html).toMatch(/<th>Total scan sources<\/th><td>2<\/td>/);
    expect(html).toMatch(/<th>Level 3<\/th><td>1 IP addresses<\/td>/);
    expect(html).toContain('DL3 203.0.113.5 (CN) 1002 packets, 2 destinations');
    expect(html).toContain('&quot;&lt;script&gt;DROP&quot;: 4200');
    expect(html).not.toContain('<script>');
    const json = findPart(daily.mail, 'application/json')!;
    expect(header(json, 'content-disposition')).toContain('tsad-report.json');
    expect(JSON.parse(json.body)).toEqual(report);
    expect(analysis.subject).toBe('[tsad-status] analysis of /var/log/kern.log on fw1.example.org: 2 sources, max DL3');
    expect(findPart(analysis.mail, 'application/json')).toBeUndefined();
  });

  it('sends nothing at all with EMAIL_ADDRESSES NONE', async () => {
    const s = await server();
    const m = mailer(smtpConfig(s.port, { EMAIL_ADDRESSES: 'NONE' }));
    expect(m.alert(source(), { host: 'fw1', previousDl: 0 })).toBe('disabled');
    m.statusReport(report, text);
    expect(await m.flush()).toMatchObject({ sent: 0, queued: 0 });
    expect(s.received).toHaveLength(0);
  });
});

describe('email keys', () => {
  it('reject values that could become sendmail options, headers or nonsense', () => {
    const bad: Array<[string, string]> = [
      ['EMAIL_ADDRESSES', '-oQ/tmp/x@example.org'],
      ['EMAIL_ADDRESSES', 'admin@example.org\r\nBcc: x@example.org'],
      ['EMAIL_ADDRESSES', 'admin'],
      ['EMAIL_FROM', '"x" <a@b>'],
      ['MAIL_ALERT_PREFIX', '[a]\u0001'],
      ['ALERTING_METHODS', 'pager'],
      ['SENDMAIL_PATH', 'sendmail'],
      ['SMTP_SECURE', 'ssl'],
      ['EMAIL_ALERT_DANGER_LEVEL', '6'],
      ['SMTP_HOST', 'mail host'],
    ];
    for (const [key, raw] of bad) expect(() => config({ [key]: raw }), `${key} ${raw}`).toThrow(ConfigError);
    const ok = config({ EMAIL_ADDRESSES: 'a@example.org, b.c+tsad@mail.example.org', EMAIL_FROM: 'tsad on fw1 <tsad@fw1.example.org>', ALERTING_METHODS: 'noemail, nosyslog', SMTP_SECURE: 'STARTTLS' });
    expect(ok.EMAIL_ADDRESSES).toEqual(['a@example.org', 'b.c+tsad@mail.example.org']);
    expect(ok.SMTP_SECURE).toBe('starttls');
    expect(config({}).MAIL_ALERT_PREFIX).toBe('[tsad-alert]');
  });
});
