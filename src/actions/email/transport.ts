/**
 * The only module that imports nodemailer. Hands one composed mail to the
 * local sendmail binary or to an SMTP server over a pooled connection and
 * reports whether a failure is worth retrying.
 */
import { isIP } from 'node:net';
import nodemailer from 'nodemailer';
import type { Config } from '../../config/keys/index.js';
import type { MailAttachment } from './queue-store.js';

export interface OutgoingMail {
  /** Message-ID without angle brackets; stable across retries so receivers can drop duplicates. */
  messageId: string;
  date: Date;
  subject: string;
  text: string;
  html?: string;
  headers: Record<string, string>;
  attachments?: MailAttachment[];
}

export interface MailTransport {
  readonly name: string;
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** A send that failed. `permanent`: the server refused this message itself (5xx), so other mails may still go. */
export class SendError extends Error {
  constructor(message: string, readonly permanent: boolean) {
    super(message);
    this.name = 'SendError';
  }
}

interface NodemailerErrorLike {
  message?: string;
  code?: string;
  responseCode?: number;
  permanent?: boolean;
}

function toSendError(err: unknown): SendError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as NodemailerErrorLike;
  const code = e.responseCode !== undefined ? ` (${e.responseCode})` : e.code !== undefined ? ` (${e.code})` : '';
  return new SendError(`${e.message ?? String(err)}${code}`, e.permanent === true);
}

function smtpOptions(cfg: Config, host: string) {
  const timeout = cfg.SMTP_TIMEOUT * 1000;
  return {
    pool: true as const,
    // One connection: mails go out in queue order and a slow server gets no extra load.
    maxConnections: 1,
    maxMessages: 100,
    // tsad's queue does the retrying; the pool must not resend on its own.
    maxRequeues: 0,
    idleTimeout: 60_000,
    host: cfg.SMTP_HOST,
    port: cfg.SMTP_PORT,
    secure: cfg.SMTP_SECURE === 'tls',
    requireTLS: cfg.SMTP_SECURE === 'starttls',
    ignoreTLS: cfg.SMTP_SECURE === 'none',
    // SNI takes names only (RFC 6066); an address is verified against the certificate's IP entries.
    tls: isIP(cfg.SMTP_HOST) === 0 ? { rejectUnauthorized: cfg.SMTP_TLS_VERIFY, servername: cfg.SMTP_HOST } : { rejectUnauthorized: cfg.SMTP_TLS_VERIFY },
    auth: cfg.SMTP_USER === '' ? undefined : { user: cfg.SMTP_USER, pass: cfg.SMTP_PASS },
    name: host,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

function createMailer(cfg: Config, host: string) {
  if (cfg.EMAIL_TRANSPORT === 'smtp') return nodemailer.createTransport(smtpOptions(cfg, host));
  return nodemailer.createTransport({
    sendmail: true as const,
    path: cfg.SENDMAIL_PATH,
    newline: 'unix',
    disableFileAccess: true,
    disableUrlAccess: true,
  });
}

/** A transport for the configured EMAIL_TRANSPORT. `host` is the EHLO name. */
export function createTransport(cfg: Config, host: string): MailTransport {
  const mailer = createMailer(cfg, host);
  const from = cfg.EMAIL_FROM;
  const to = [...cfg.EMAIL_ADDRESSES];
  return {
    name: cfg.EMAIL_TRANSPORT === 'smtp' ? `smtp://${cfg.SMTP_HOST}:${cfg.SMTP_PORT}` : cfg.SENDMAIL_PATH,
    async send(mail) {
      try {
        await mailer.sendMail({
          from,
          to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          date: mail.date,
          messageId: `<${mail.messageId}>`,
          headers: mail.headers,
          attachments: mail.attachments,
          disableFileAccess: true,
          disableUrlAccess: true,
        });
      } catch (err) {
        throw toSendError(err);
      }
    },
    close() {
      mailer.close();
    },
  };
}
