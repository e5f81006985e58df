/**
 * The on-disk mail queue: one JSON file per message, written atomically,
 * removed only after the mail server accepted the message. Operations on
 * one message run strictly in order (write, rewrite after a failed attempt,
 * remove), so a removal can never be overtaken by a late write that would
 * bring the file back and send the mail twice.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-file.js';

export type MailKind = 'alert' | 'digest-item' | 'status' | 'error';

/** An attachment; `encoding: 'base64'` for binary content, `cid` for an image the HTML part shows (`<img src="cid:...">`). */
export interface MailAttachment {
  filename: string;
  content: string;
  contentType: string;
  encoding?: 'base64';
  cid?: string;
}

export interface MailContent {
  subject: string;
  text: string;
  html?: string;
  attachments?: MailAttachment[];
}

export interface QueuedMail extends MailContent {
  v: 1;
  /** Unique id; also the Message-ID's local part. */
  id: string;
  kind: MailKind;
  /** Epoch ms when the mail was queued. */
  createdAt: number;
  attempts: number;
  /** Epoch ms before which this mail is not tried again (after a permanent refusal). */
  notBefore: number;
  lastError?: string;
  /** Sources the mail is about; they count towards EMAIL_LIMIT once it is sent. */
  sources: string[];
  /** Digest items: the level and one-line summary. */
  dl?: number;
  summary?: string;
}

const NAME_RE = /^(\d{15})-([0-9a-f-]{8,64})\.json$/;
const ID_RE = /^[0-9a-f-]{8,64}$/;

function fileName(m: QueuedMail): string {
  return `${String(m.createdAt).padStart(15, '0')}-${m.id}.json`;
}

function isQueuedMail(x: unknown): x is QueuedMail {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Record<string, unknown>;
  return m.v === 1 && typeof m.id === 'string' && ID_RE.test(m.id)
    && ['alert', 'digest-item', 'status', 'error'].includes(m.kind as string)
    && typeof m.createdAt === 'number' && typeof m.attempts === 'number' && typeof m.notBefore === 'number'
    && typeof m.subject === 'string' && typeof m.text === 'string'
    && Array.isArray(m.sources) && m.sources.every((s) => typeof s === 'string');
}

const STALE_TEMP_MS = 60_000;

function removeStaleTemp(path: string): void {
  try {
    if (statSync(path).mtimeMs < Date.now() - STALE_TEMP_MS) unlinkSync(path);
  } catch {
    // Renamed or removed meanwhile: it was not stale.
  }
}

export class QueueStore {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(readonly dir: string, private readonly log: (msg: string) => void) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /**
   * Reads the queued messages whose id `skip` does not reject, oldest first.
   * Temp files a crash left behind (older than a minute, so never one being
   * written now) are removed; unreadable files are renamed to `*.bad` and
   * logged, never retried or silently deleted.
   */
  loadSync(skip: (id: string) => boolean = () => false): QueuedMail[] {
    const out: QueuedMail[] = [];
    for (const name of readdirSync(this.dir).sort()) {
      const path = join(this.dir, name);
      if (name.startsWith('.') && name.endsWith('.tmp')) {
        removeStaleTemp(path);
        continue;
      }
      const m = NAME_RE.exec(name);
      if (m === null || skip(m[2] as string)) continue;
      try {
        const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
        if (!isQueuedMail(parsed) || fileName(parsed) !== name) throw new Error('not a tsad queue entry');
        out.push(parsed);
      } catch (err) {
        renameSync(path, `${path}.bad`);
        this.log(`mail queue: ${path}: ${(err as Error).message}; renamed to ${name}.bad`);
      }
    }
    return out;
  }

  /** Message files in the directory (for a guest, which keeps none in memory). */
  fileCount(): number {
    return readdirSync(this.dir).filter((n) => NAME_RE.test(n)).length;
  }

  /** Writes (or rewrites) a message file. */
  save(m: QueuedMail): Promise<void> {
    const data = JSON.stringify(m);
    return this.chain(m.id, () => writeFileAtomic(join(this.dir, fileName(m)), data));
  }

  /** Deletes a message file after all earlier writes of it finished. */
  remove(m: QueuedMail): Promise<void> {
    const p = this.chain(m.id, () =>
      unlink(join(this.dir, fileName(m))).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      }),
    );
    return p.finally(() => {
      if (this.chains.get(m.id) === p) this.chains.delete(m.id);
    });
  }

  /** Resolves when every write and removal started so far has finished. */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.chains.values()];
      await Promise.allSettled(pending);
      const now = [...this.chains.values()];
      if (now.length === pending.length && now.every((p, i) => p === pending[i])) return;
    }
  }

  /** Resolves when the writes of one message issued so far are done; rejects when the last one failed. */
  written(id: string): Promise<void> {
    return this.chains.get(id) ?? Promise.resolve();
  }

  private chain(id: string, op: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(id) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(op);
    this.chains.set(id, next);
    return next;
  }
}
