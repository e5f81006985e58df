/** Shared pieces of the email tests: a real SMTP server on loopback, config and report builders. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { buildConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/keys/index.js';
import type { SourceReport } from '../../src/model/report.js';
import type { Mailer } from '../../src/actions/email/mailer.js';
import { header, parseMime, type MimePart } from './mime.js';

export interface Received {
  raw: string;
  mail: MimePart;
  from: string;
  to: string[];
  subject: string;
  /** The session was encrypted (STARTTLS or implicit TLS). */
  secure: boolean;
  /** User name the client authenticated as, if any. */
  user: string | null;
}

/** A real smtp-server on 127.0.0.1 that records every accepted message; can be stopped and started on the same port. */
export class TestSmtp {
  received: Received[] = [];
  /** While true, messages are read but never answered (a server that hangs after DATA). */
  hold = false;
  held: Received[] = [];
  /** Messages for which this returns true are refused with 550. */
  refuse: (r: Received) => boolean = () => false;
  port = 0;
  private server: SMTPServer | null = null;

  constructor(private readonly extra: Partial<SMTPServerOptions> = {}) {}

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      closeTimeout: 200,
      logger: false,
      ...this.extra,
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const mail = parseMime(raw);
          const r: Received = {
            raw,
            mail,
            from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((a) => a.address),
            subject: header(mail, 'subject') ?? '',
            secure: session.secure,
            user: typeof session.user === 'string' ? session.user : null,
          };
          if (this.hold) {
            this.held.push(r);
            return;
          }
          if (this.refuse(r)) {
            cb(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
            return;
          }
          this.received.push(r);
          cb();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    server.on('error', () => undefined);
    const addr = server.server.address();
    if (addr !== null && typeof addr === 'object') this.port = addr.port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/** Config from key/value pairs, through the real loader (validation included). */
export function config(values: Record<string, string | number>): Config {
  return buildConfig(Object.entries(values).map(([key, raw], i) => ({ key, raw: String(raw), line: i + 1 })), 'test.conf');
}

/** Mail settings for a test SMTP server; alerts from level 1 up unless the test says otherwise (the default is 3). */
export function smtpConfig(port: number, values: Record<string, string | number> = {}): Config {
  return config({ EMAIL_ALERT_DANGER_LEVEL: 1, EMAIL_TRANSPORT: 'smtp', SMTP_HOST: '127.0.0.1', SMTP_PORT: port, SMTP_SECURE: 'none', SMTP_TIMEOUT: 2, EMAIL_ADDRESSES: 'admin@example.org', EMAIL_FROM: 'tsad@fw1.example.org', ...values });
}

export function tempDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `tsad-email-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A SYN scan source as the report contract describes it. */
export function source(over: Partial<SourceReport> = {}): SourceReport {
  return {
    src: '203.0.113.5',
    dl: 3,
    packets: 1002,
    destinations: 2,
    direction: 'inbound',
    protocols: {
      tcp: { packets: 1002, portRange: [1000, 1500], ports: 501, flags: { SYN: 1000, 'CWR ECE SYN': 2 } },
      icmp: { packets: 4 },
    },
    scanTypes: ['SYN'],
    tool: 'nmap',
    signatures: [{ msg: 'MISC Microsoft SQL Server communication attempt', sid: 100205, dl: 2, hits: 2 }],
    invalidIcmp: [],
    os: 'Linux:3.11 and newer',
    country: 'CN',
    asn: 4134,
    reputation: [{ feed: 'spamhaus-drop', dl: 5 }],
    firstSeen: '2024-05-01T10:00:00.000Z',
    lastSeen: '2024-05-01T10:05:00.000Z',
    blocked: { until: '2024-05-01T11:05:00.000Z' },
    ...over,
  };
}

/** A movable clock for digest ends, backoff and the hourly limit. */
export function clock(start = Date.parse('2024-05-01T10:05:00Z')): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

/** What each mail test starts with: a running SMTP server, a temp dir, no mailers yet. */
export interface MailEnv {
  smtp: TestSmtp;
  tmp: { dir: string; cleanup: () => void };
  mailers: Mailer[];
  logs: string[];
}

export async function openMailEnv(tag: string): Promise<MailEnv> {
  const smtp = new TestSmtp();
  await smtp.start();
  return { smtp, tmp: tempDir(tag), mailers: [], logs: [] };
}

/** Stops the test's mailers, then the server, and removes the temp dir. */
export async function closeMailEnv(env: Pick<MailEnv, 'smtp' | 'tmp' | 'mailers'>): Promise<void> {
  for (const m of env.mailers) await m.stop();
  await env.smtp.stop();
  env.tmp.cleanup();
}
