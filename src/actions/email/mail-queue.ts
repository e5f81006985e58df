/**
 * The queue in memory, mirrored by the files of QueueStore: messages in
 * arrival order, the number of queued alerts per source (EMAIL_LIMIT counts
 * them), the bounds EMAIL_QUEUE_MAX and EMAIL_QUEUE_MAX_AGE, and ownership
 * of the directory (only the owner sends; see queue-lock.ts).
 */
import { randomUUID } from 'node:crypto';
import { acquireQueueLock, releaseQueueLock } from './queue-lock.js';
import { QueueStore, type MailContent, type MailKind, type QueuedMail } from './queue-store.js';

const COUNTED_KINDS: ReadonlySet<MailKind> = new Set(['alert', 'digest-item']);

export interface QueueLimits {
  maxMessages: number;
  maxAgeMs: number;
}

export class MailQueue {
  readonly store: QueueStore;
  private readonly messages = new Map<string, QueuedMail>();
  private readonly pendingBySource = new Map<string, number>();
  /** Ids being deleted: a directory scan must not take them back in. */
  private readonly removing = new Set<string>();
  private owner = false;
  /** Messages dropped for age so far. */
  expired = 0;

  constructor(readonly dir: string, private readonly limits: QueueLimits, private readonly log: (msg: string) => void) {
    this.store = new QueueStore(dir, log);
  }

  get isOwner(): boolean {
    return this.owner;
  }

  /** Mails waiting: those in memory for the owner, the files in the directory for a guest. */
  get size(): number {
    if (this.owner) return this.messages.size;
    try {
      return this.store.fileCount();
    } catch {
      return 0;
    }
  }

  /** Takes ownership when the directory is free; then loads every file in it. True when this process owns it. */
  claim(): boolean {
    if (this.owner) return true;
    if (!acquireQueueLock(this.dir)) return false;
    this.owner = true;
    this.adopt();
    return true;
  }

  release(): void {
    if (this.owner) releaseQueueLock(this.dir);
    this.owner = false;
  }

  /** Loads files this queue does not know yet (written by a guest process, or left by an earlier run). */
  adopt(): number {
    let added = 0;
    for (const m of this.store.loadSync((id) => this.messages.has(id) || this.removing.has(id))) {
      this.insert(m);
      added++;
    }
    return added;
  }

  /** Queues and persists a message; null when the queue is full. */
  add(kind: MailKind, content: MailContent, sources: string[], now: number, extra: Pick<QueuedMail, 'dl' | 'summary'> = {}): QueuedMail | null {
    if (this.messages.size >= this.limits.maxMessages) {
      this.log(`mail queue ${this.dir} is full (EMAIL_QUEUE_MAX ${this.limits.maxMessages}); dropped "${content.subject}"`);
      return null;
    }
    const m: QueuedMail = { v: 1, id: randomUUID(), kind, createdAt: now, attempts: 0, notBefore: 0, sources, ...content, ...extra };
    // A guest only writes the file: the owner sends it, and this process must not remember it
    // as pending (it would send it again after taking over).
    if (this.owner) this.insert(m);
    this.store.save(m).catch((err: Error) => this.log(`mail queue: cannot write ${m.id}: ${err.message}`));
    return m;
  }

  /** Messages in queue order (a snapshot). */
  list(): QueuedMail[] {
    return [...this.messages.values()];
  }

  pendingFor(src: string): number {
    return this.pendingBySource.get(src) ?? 0;
  }

  /** Records a failed attempt on disk. */
  update(m: QueuedMail): void {
    // After release() another process may own the directory: a late failure writes nothing.
    if (!this.owner || !this.messages.has(m.id)) return;
    this.store.save(m).catch((err: Error) => this.log(`mail queue: cannot update ${m.id}: ${err.message}`));
  }

  /** Forgets a message and deletes its file (after its earlier writes). */
  async remove(m: QueuedMail): Promise<void> {
    if (!this.messages.delete(m.id)) return;
    this.count(m, -1);
    this.removing.add(m.id);
    try {
      await this.store.remove(m);
    } catch (err) {
      this.log(`mail queue: cannot delete ${m.id}: ${(err as Error).message}`);
    } finally {
      this.removing.delete(m.id);
    }
  }

  /** Drops messages older than EMAIL_QUEUE_MAX_AGE; returns them. */
  async expire(now: number): Promise<QueuedMail[]> {
    const old = this.list().filter((m) => m.createdAt < now - this.limits.maxAgeMs);
    for (const m of old) {
      this.log(`mail queue: dropped "${m.subject}" after ${m.attempts} failed attempts (older than EMAIL_QUEUE_MAX_AGE); last error: ${m.lastError ?? 'none'}`);
      this.expired++;
      await this.remove(m);
    }
    return old;
  }

  private insert(m: QueuedMail): void {
    this.messages.set(m.id, m);
    this.count(m, 1);
  }

  private count(m: QueuedMail, delta: number): void {
    if (!COUNTED_KINDS.has(m.kind)) return;
    for (const s of m.sources) {
      const n = (this.pendingBySource.get(s) ?? 0) + delta;
      if (n > 0) this.pendingBySource.set(s, n);
      else this.pendingBySource.delete(s);
    }
  }
}
