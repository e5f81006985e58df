/**
 * Sends what the queue holds, one mail at a time, in order. A failure that
 * says the server is unreachable or busy stops the round and backs off for
 * the whole queue (30 s doubling up to 1 h); a permanent refusal of one mail
 * (5xx) backs off only that mail. A file is deleted only after the server
 * accepted its mail, and the Message-ID stays the same on every attempt.
 */
import { createHash } from 'node:crypto';
import { digestMail, DIGEST_MAX_ITEMS } from './alert-mail.js';
import type { MailQueue } from './mail-queue.js';
import type { MailContent, QueuedMail } from './queue-store.js';
import type { RateWindow } from './rate-window.js';
import { headerValue } from './sanitize.js';
import { SendError, type MailTransport } from './transport.js';

const BACKOFF_MIN_MS = 30_000;
const BACKOFF_MAX_MS = 3_600_000;

export function backoffMs(failures: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, Math.min(20, failures - 1)));
}

export interface DeliveryOptions {
  host: string;
  alertPrefix: string;
  digestMs: number;
  now: () => number;
  log: (msg: string) => void;
  /** Called once per source of a mail the server accepted (alerts and digests). */
  onSent: (m: QueuedMail) => void;
}

type Outcome = 'sent' | 'refused' | 'unreachable';

export class Delivery {
  sent = 0;
  failedAttempts = 0;
  lastError: string | null = null;
  /** No attempt before this time (epoch ms), except when flushing. */
  retryAt = 0;
  private failures = 0;
  private stopping = false;

  constructor(private readonly queue: MailQueue, private readonly transport: MailTransport, private readonly rate: RateWindow, private readonly opts: DeliveryOptions) {}

  /** Makes a running round stop after the mail in flight. */
  stop(): void {
    this.stopping = true;
  }

  /** Closes the connection; a mail still in flight fails and stays queued. */
  close(): void {
    this.transport.close();
  }

  /** One round over the queue. `force` ignores the backoff (flush, the CLI), not the digest schedule. */
  async round(force: boolean): Promise<void> {
    const now = this.opts.now();
    if (this.stopping || (!force && now < this.retryAt)) return;
    await this.queue.expire(now);
    for (const m of this.queue.list()) {
      if (this.stopping) return;
      if (m.kind === 'digest-item' || (!force && m.notBefore > now)) continue;
      if ((await this.attempt(m, m)) === 'unreachable') return;
    }
    await this.digestRound(now, force);
  }

  /** Digest items go out together once the digest period since the oldest ended and the hourly limit has room. */
  private async digestRound(now: number, force: boolean): Promise<void> {
    const items = this.queue.list().filter((m) => m.kind === 'digest-item');
    const oldest = items[0];
    if (oldest === undefined || this.stopping) return;
    if (now < oldest.createdAt + this.opts.digestMs || !this.rate.allows(now)) return;
    const batch = items.slice(0, DIGEST_MAX_ITEMS);
    if (!force && batch.some((b) => b.notBefore > now)) return;
    const content = digestMail(batch, this.opts.alertPrefix, this.opts.host, now);
    // The id derives from the items, so a retry of the same digest keeps its Message-ID.
    const id = createHash('sha256').update(batch.map((b) => b.id).join(',')).digest('hex').slice(0, 32);
    const digest: QueuedMail = { ...oldest, ...content, kind: 'alert', id: `digest-${id}`, createdAt: now };
    const outcome = await this.attempt(digest, content, batch);
    if (outcome === 'sent') this.rate.record(now);
  }

  /** Sends one mail; `parts` are the queue entries it stands for (a digest: its items). */
  private async attempt(m: QueuedMail, content: MailContent, parts: QueuedMail[] = [m]): Promise<Outcome> {
    for (const p of parts) await this.queue.store.written(p.id).catch(() => undefined);
    try {
      await this.transport.send({
        messageId: `${m.id}@${this.opts.host}`,
        date: new Date(m.createdAt),
        subject: content.subject,
        text: content.text,
        html: content.html,
        headers: this.headers(m, parts),
        attachments: content.attachments,
      });
    } catch (err) {
      return this.failed(parts, err instanceof SendError ? err : new SendError(String(err), false));
    }
    this.failures = 0;
    this.retryAt = 0;
    this.sent++;
    for (const p of parts) {
      this.opts.onSent(p);
      await this.queue.remove(p);
    }
    return 'sent';
  }

  private failed(parts: QueuedMail[], err: SendError): Outcome {
    const now = this.opts.now();
    this.failedAttempts++;
    this.lastError = err.message;
    for (const p of parts) {
      p.attempts++;
      p.lastError = headerValue(err.message, 300);
      if (err.permanent) p.notBefore = now + backoffMs(p.attempts);
      this.queue.update(p);
    }
    if (err.permanent) {
      this.opts.log(`mail "${parts[0]?.subject ?? ''}" refused by ${this.transport.name}: ${err.message}; retrying it later`);
      return 'refused';
    }
    this.failures++;
    const wait = backoffMs(this.failures);
    this.retryAt = now + wait;
    this.opts.log(`cannot send mail through ${this.transport.name}: ${err.message}; ${this.queue.size} mail(s) queued, next try in ${Math.round(wait / 1000)} s`);
    return 'unreachable';
  }

  private headers(m: QueuedMail, parts: QueuedMail[]): Record<string, string> {
    const h: Record<string, string> = {
      'Auto-Submitted': 'auto-generated',
      'X-Tsad-Kind': parts.length > 1 || parts[0]?.kind === 'digest-item' ? 'digest' : m.kind,
    };
    // Sources are canonical addresses (validated before they were queued); one source lets mail rules filter on it.
    if (m.kind === 'alert' && parts.length === 1 && m.sources.length === 1 && /^[0-9a-f.:/]+$/.test(m.sources[0] as string)) {
      h['X-Tsad-Source'] = m.sources[0] as string;
    }
    return h;
  }
}
