/**
 * The email stage's public face. Callers hand over alerts and reports and
 * return at once: every mail is decided, composed and written to the queue
 * directory synchronously in memory, and sent later by the retry loop (or by
 * flush()). A slow or dead mail server therefore never holds up detection or
 * blocking, and a restart neither loses nor repeats a mail.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config/keys/index.js';
import type { Report, SourceReport } from '../../model/report.js';
import { alertMail, digestItemContent } from './alert-mail.js';
import { AlertPolicy, type SuppressReason } from './alert-policy.js';
import { buildAlertView, type AlertExtra } from './alert-view.js';
import { Delivery } from './delivery.js';
import { safeHostName, safeLevel, safeSource } from './fields.js';
import { MailQueue } from './mail-queue.js';
import type { MailContent, MailKind } from './queue-store.js';
import { RateWindow } from './rate-window.js';
import { headerValue } from './sanitize.js';
import { loadMailerState, StateWriter } from './state-file.js';
import { limitNoticeMail, plainMail, statusReportMail, type StatusReportOptions } from './status-mail.js';
import { createTransport } from './transport.js';

export type { AlertExtra } from './alert-view.js';
export type { StatusReportOptions } from './status-mail.js';

export interface MailerOptions {
  /** Queue directory, e.g. `<state dir>/mail-queue`; created with mode 0700. */
  queueDir: string;
  /** Clock (epoch ms); tests move it to reach digest ends and backoff times. */
  now?: () => number;
  log?: (msg: string) => void;
  /** Host name in subjects, Message-IDs and the SMTP greeting; default os.hostname(). */
  host?: string;
  /** Period of the retry timer started by start() (default 1000 ms). */
  tickMs?: number;
  /** How long stop() waits for a mail in flight before closing the connection (default 5000 ms). */
  stopTimeoutMs?: number;
}

/** What alert() did: queued as a mail, added to a digest, or why not. */
export type AlertOutcome = 'queued' | 'digest' | 'queue-full' | SuppressReason;

export interface MailerStats {
  /** Mails waiting, digest items included. */
  queued: number;
  /** Mails the server accepted since start (a digest counts once). */
  sent: number;
  failedAttempts: number;
  /** Mails dropped: queue full or older than EMAIL_QUEUE_MAX_AGE. */
  dropped: number;
  /** Alerts not mailed, by reason. */
  suppressed: Record<SuppressReason, number>;
  lastError: string | null;
  /** Epoch ms of the next attempt after a failure; 0 when not backing off. */
  retryAt: number;
  /** False while another process owns the queue directory (mails are handed to it). */
  owner: boolean;
}

export interface FlushResult {
  sent: number;
  /** Mails still waiting (server down, digest not due, or handed to the owning process). */
  queued: number;
  handedOff: boolean;
  lastError: string | null;
}

const MAX_SOURCES = 10_000;
const SCAN_INTERVAL_MS = 5_000;

export class Mailer {
  private readonly queue: MailQueue;
  private readonly delivery: Delivery;
  private readonly policy: AlertPolicy;
  private readonly rate: RateWindow;
  private readonly state: StateWriter;
  private readonly host: string;
  private readonly now: () => number;
  private readonly log: (msg: string) => void;
  private readonly alertsOn: boolean;
  private readonly mailOn: boolean;
  private timer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  private lastScan = 0;
  private dropped = 0;
  private stopped = false;
  private readonly suppressed: Record<SuppressReason, number> = { disabled: 0, 'below-level': 0, unchanged: 0, throttle: 0, limit: 0 };

  private constructor(private readonly cfg: Config, private readonly opts: MailerOptions) {
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? ((msg) => process.stderr.write(`tsad: ${msg}\n`));
    this.host = safeHostName(opts.host ?? hostname()) ?? 'localhost';
    this.mailOn = cfg.EMAIL_ADDRESSES.length > 0;
    this.alertsOn = this.mailOn && !cfg.ALERTING_METHODS.some((m) => m.toLowerCase() === 'noemail');
    this.queue = new MailQueue(opts.queueDir, { maxMessages: cfg.EMAIL_QUEUE_MAX, maxAgeMs: cfg.EMAIL_QUEUE_MAX_AGE * 3_600_000 }, this.log);
    this.policy = new AlertPolicy({
      level: cfg.EMAIL_ALERT_DANGER_LEVEL, limit: cfg.EMAIL_LIMIT, throttle: cfg.EMAIL_THROTTLE, limitNotice: cfg.EMAIL_LIMIT_STATUS_MSG, maxSources: MAX_SOURCES,
    });
    this.rate = new RateWindow(cfg.EMAIL_RATE_LIMIT);
    this.claim();
    this.state = new StateWriter(this.statePath, () => ({ v: 1, sources: this.policy.toJSON(), rate: this.rate.toJSON() }), this.log);
    this.delivery = new Delivery(this.queue, createTransport(cfg, this.host), this.rate, {
      host: this.host,
      alertPrefix: cfg.MAIL_ALERT_PREFIX,
      digestMs: cfg.EMAIL_DIGEST_MINUTES * 60_000,
      now: this.now,
      log: this.log,
      onSent: (m) => this.onSent(m.kind, m.sources),
    });
  }

  /** Opens (and creates) the queue directory and loads what an earlier run left in it. Throws on an unusable directory. */
  static create(cfg: Config, opts: MailerOptions): Mailer {
    return new Mailer(cfg, opts);
  }

  private get statePath(): string {
    return join(this.opts.queueDir, '.state.json');
  }

  /** Owns the queue when it is free; on becoming the owner, takes over the counters saved by the previous one. */
  private claim(): boolean {
    if (this.queue.isOwner) return true;
    if (!this.queue.claim()) return false;
    const saved = loadMailerState(this.statePath, this.log);
    if (saved !== null) {
      this.policy.merge(saved.sources);
      this.rate.merge(saved.rate);
    }
    return true;
  }

  /** Only the owner writes the state file; a guest's counters live and die with it. */
  private saveState(): void {
    if (this.queue.isOwner) this.state.save();
  }

  /**
   * A source's level changed. Mails when the level reached
   * EMAIL_ALERT_DANGER_LEVEL and rose above both `extra.previousDl` and the
   * last level mailed, within EMAIL_LIMIT and EMAIL_THROTTLE. Returns at once.
   */
  alert(src: SourceReport, extra: AlertExtra): AlertOutcome {
    if (!this.alertsOn || this.stopped) return this.suppress('disabled');
    const key = safeSource(src.src) ?? `invalid:${headerValue(String(src.src), 64)}`;
    const decision = this.policy.decide(key, safeLevel(src.dl), safeLevel(extra.previousDl), this.queue.pendingFor(key));
    if (!decision.send) {
      if (decision.limitNotice) this.enqueue('status', limitNoticeMail(key, this.cfg.EMAIL_LIMIT, this.cfg.MAIL_STATUS_PREFIX, this.host), []);
      if (decision.reason !== 'below-level' && decision.reason !== 'unchanged') this.saveState();
      return this.suppress(decision.reason);
    }
    const now = this.now();
    const view = buildAlertView(src, extra, decision.alertNumber, this.cfg.EMAIL_LOG_SAMPLES);
    let outcome: AlertOutcome;
    if (this.cfg.EMAIL_DIGEST_MINUTES === 0 && this.rate.allows(now)) {
      this.rate.record(now);
      outcome = this.enqueue('alert', alertMail(view, this.cfg.MAIL_ALERT_PREFIX, now), [key]) ? 'queued' : 'queue-full';
    } else {
      // Digest mode, or over EMAIL_RATE_LIMIT: the alert waits for the next digest instead of being lost.
      const item = digestItemContent(view, now);
      outcome = this.enqueue('digest-item', item, [key], { dl: view.dl, summary: view.summary }) ? 'digest' : 'queue-full';
    }
    this.saveState();
    return outcome;
  }

  /** A free-form status mail (MAIL_STATUS_PREFIX). `html` is trusted markup from the caller. */
  report(subject: string, text: string, html?: string): void {
    if (this.mailOn && !this.stopped) this.enqueue('status', plainMail(this.cfg.MAIL_STATUS_PREFIX, subject, text, html), []);
  }

  /** The daily report or an analysis: the Report plus its text rendering, with the JSON attached. */
  statusReport(report: Report, text: string, opts?: StatusReportOptions): void {
    if (this.mailOn && !this.stopped) this.enqueue('status', statusReportMail(report, text, this.cfg.MAIL_STATUS_PREFIX, this.host, opts), []);
  }

  /** A mail about tsad itself failing (MAIL_ERROR_PREFIX). */
  error(subject: string, text: string): void {
    if (this.mailOn && !this.stopped) this.enqueue('error', plainMail(this.cfg.MAIL_ERROR_PREFIX, subject, text), []);
  }

  /** Detection dropped a source: its counters go too, so a later return is a new incident. */
  forget(src: string): void {
    this.policy.forget(safeSource(src) ?? src);
    this.saveState();
  }

  /** Starts the retry timer (unref'd: it never keeps the process alive). */
  start(): void {
    if (this.timer !== null || this.stopped) return;
    this.timer = setInterval(() => void this.kick(false), this.opts.tickMs ?? 1000);
    this.timer.unref();
    void this.kick(false);
  }

  /** Tries every waiting mail now, ignoring the backoff (digests still wait for their time). */
  async flush(): Promise<FlushResult> {
    const before = this.delivery.sent;
    if (this.pumping !== null) await this.pumping;
    await this.kick(true);
    await this.queue.store.idle();
    await this.state.idle();
    return { sent: this.delivery.sent - before, queued: this.queue.size, handedOff: !this.queue.isOwner, lastError: this.delivery.lastError };
  }

  /** Stops the timer, lets the mail in flight finish (bounded), persists everything and releases the queue. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.delivery.stop();
    if (this.pumping !== null) await settlesWithin(this.pumping, this.opts.stopTimeoutMs ?? 5000);
    this.delivery.close();
    if (this.pumping !== null && !(await settlesWithin(this.pumping, this.opts.stopTimeoutMs ?? 5000))) {
      this.log('mail: a send did not end after the connection was closed; its mail stays queued');
    }
    await this.queue.store.idle();
    await this.state.idle();
    this.queue.release();
  }

  get stats(): MailerStats {
    return {
      queued: this.queue.size,
      sent: this.delivery.sent,
      failedAttempts: this.delivery.failedAttempts,
      dropped: this.dropped + this.queue.expired,
      suppressed: { ...this.suppressed },
      lastError: this.delivery.lastError,
      retryAt: this.delivery.retryAt,
      owner: this.queue.isOwner,
    };
  }

  private suppress(reason: SuppressReason): AlertOutcome {
    this.suppressed[reason]++;
    return reason;
  }

  private enqueue(kind: MailKind, content: MailContent, sources: string[], extra?: { dl: number; summary: string }): boolean {
    const m = this.queue.add(kind, content, sources, this.now(), extra);
    if (m === null) {
      this.dropped++;
      return false;
    }
    if (this.timer !== null) setImmediate(() => void this.kick(false)).unref();
    return true;
  }

  private onSent(kind: MailKind, sources: readonly string[]): void {
    if (kind !== 'alert' && kind !== 'digest-item') return;
    for (const s of sources) this.policy.recordSent(s);
    this.saveState();
  }

  /** Runs one delivery round unless one is running; a guest keeps trying to become the owner. */
  private kick(force: boolean): Promise<void> {
    if (this.pumping !== null) return this.pumping;
    if (this.stopped) return Promise.resolve();
    // A failing round (unreadable queue directory, ...) is logged; it must never crash the daemon.
    this.pumping = this.round(force)
      .catch((err: unknown) => this.log(`mail queue ${this.opts.queueDir}: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => { this.pumping = null; });
    return this.pumping;
  }

  private async round(force: boolean): Promise<void> {
    if (!this.claim()) return;
    const now = this.now();
    if (force || now - this.lastScan >= SCAN_INTERVAL_MS) {
      this.lastScan = now;
      this.queue.adopt();
    }
    await this.delivery.round(force);
  }
}

/** Waits for `p` at most `ms`; true when it settled in time. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([p.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
