/**
 * Saving a snapshot of something that keeps changing (the daemon state,
 * blocks.json) so that a failure is never mistaken for success:
 *
 * - One write at a time, and at most one snapshot waiting: the snapshot is
 *   taken (synchronously, so it is consistent) only when its write starts.
 *   However many saves are asked for while a write runs, one more follows
 *   it, with the newest data; nothing piles up behind a slow disk.
 * - save() resolves when a snapshot taken after the call is on disk, and
 *   rejects with the error when that write failed: callers that promise
 *   durability (the control socket, SIGTERM) report the failure.
 * - A failed write is logged and retried with backoff (1 s doubling up to
 *   60 s) until one succeeds; while it fails, background requests wait for
 *   the retry instead of hammering a full disk. health() and warning() tell
 *   `tsad status` and the metrics.
 */
import type { Logger } from './hooks.js';

export interface SaveHealth {
  /** Writes that succeeded since start. */
  saves: number;
  /** Attempts that failed since start. */
  failures: number;
  /** Failed attempts since the last success (0: the last write succeeded). */
  failing: number;
  lastError: string | null;
  /** Wall clock (ms) of the last successful write; null before the first. */
  lastOkAt: number | null;
  /** When the next retry runs (ms), while failing. */
  retryAt: number | null;
  /** Duration of the last successful write (ms). */
  lastSaveMs: number;
}

export interface RetryingSaveOptions<T> {
  /** What is saved, for messages: usually the file's path. */
  what: string;
  take: () => T;
  write: (snapshot: T) => Promise<void>;
  log: Logger;
  retry?: { initialMs: number; maxMs: number };
  now?: () => number;
}

interface Waiting {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

function waiting(): Waiting {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A background request nobody awaits must not become an unhandled rejection (the failure is logged).
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Least time between the starts of two saves asked for by soon(). */
export const SOON_SPACING_MS = 5000;

/** How long soon() waits: at least `ms`, and until `spacing` has passed since the last save started (`since` ago). */
export function soonDelay(ms: number, spacing: number, since: number): number {
  return Math.max(ms, spacing - since);
}

export class RetryingSave<T> {
  readonly #o: RetryingSaveOptions<T>;
  readonly #now: () => number;
  #running = false;
  #next: Waiting | null = null;
  #soon: NodeJS.Timeout | null = null;
  #retry: NodeJS.Timeout | null = null;
  #stopped = false;
  #lastStart = Number.NEGATIVE_INFINITY;
  readonly #h: SaveHealth = { saves: 0, failures: 0, failing: 0, lastError: null, lastOkAt: null, retryAt: null, lastSaveMs: 0 };

  constructor(o: RetryingSaveOptions<T>) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  get what(): string {
    return this.#o.what;
  }

  health(): SaveHealth {
    return { ...this.#h };
  }

  /** A line for `tsad status` while saves fail, else null. */
  warning(): string | null {
    const h = this.#h;
    if (h.failing === 0) return null;
    const since = h.lastOkAt === null ? 'since start' : `since ${new Date(h.lastOkAt).toISOString()}`;
    const retry = h.retryAt === null ? '' : `; retrying in ${Math.max(0, Math.ceil((h.retryAt - this.#now()) / 1000))} s`;
    return `${this.#o.what} NOT saved ${since} (${h.failing} failed attempt(s): ${h.lastError ?? '?'})${retry}`;
  }

  /** Saves now (after the running write); resolves once a snapshot taken after this call is written, rejects with its error. */
  save(): Promise<void> {
    if (this.#next === null) this.#next = waiting();
    const p = this.#next.promise;
    if (!this.#running) this.#start();
    return p;
  }

  /**
   * save() for a caller about to tell a user that `done` happened: on failure
   * it throws an error that says what was done and what was not.
   */
  async saveOrExplain(done: string): Promise<void> {
    try {
      await this.save();
    } catch (err) {
      throw new Error(`${done}, but ${this.#o.what} could not be saved (${message(err)}): it is lost if tsad restarts before a save succeeds; retrying`);
    }
  }

  /** A save nobody waits for (periodic, after a change). While saves fail it waits for the scheduled retry. */
  request(): void {
    if (this.#stopped || this.#retry !== null) return;
    void this.save();
  }

  /**
   * request() within `ms`, coalesced; while changes keep coming, at most one
   * such save starts per `spacing` ms (each save's snapshot briefly holds the
   * daemon's loop: back to back, every second, they were the tail of the
   * line-to-level latency under a stream of level changes).
   */
  soon(ms = 1000, spacing = SOON_SPACING_MS): void {
    if (this.#soon !== null || this.#stopped) return;
    this.#soon = setTimeout(() => {
      this.#soon = null;
      this.request();
    }, soonDelay(ms, spacing, this.#now() - this.#lastStart));
    this.#soon.unref();
  }

  /** Stops the timers (soon, retry); save() still works (the final save at stop). */
  cancel(): void {
    this.#stopped = true;
    if (this.#soon !== null) clearTimeout(this.#soon);
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#soon = this.#retry = null;
    this.#h.retryAt = null;
  }

  #start(): void {
    const w = this.#next;
    if (w === null) return;
    this.#next = null;
    this.#running = true;
    this.#lastStart = this.#now();
    void this.#write(w).finally(() => {
      this.#running = false;
      if (this.#next !== null) this.#start();
    });
  }

  async #write(w: Waiting): Promise<void> {
    const t0 = performance.now();
    try {
      await this.#o.write(this.#o.take());
    } catch (err) {
      this.#failed(err);
      w.reject(err instanceof Error ? err : new Error(message(err)));
      return;
    }
    const h = this.#h;
    h.saves++;
    h.lastSaveMs = performance.now() - t0;
    h.lastOkAt = this.#now();
    if (h.failing > 0) this.#o.log('notice', `${this.#o.what} saved again after ${h.failing} failed attempt(s)`);
    h.failing = 0;
    h.lastError = null;
    h.retryAt = null;
    if (this.#retry !== null) clearTimeout(this.#retry);
    this.#retry = null;
    w.resolve();
  }

  #failed(err: unknown): void {
    const h = this.#h;
    h.failures++;
    h.failing++;
    h.lastError = message(err);
    const r = this.#o.retry ?? { initialMs: 1000, maxMs: 60_000 };
    const delay = Math.min(r.maxMs, r.initialMs * 2 ** Math.min(30, h.failing - 1));
    if (!this.#stopped) {
      if (this.#retry !== null) clearTimeout(this.#retry);
      h.retryAt = this.#now() + delay;
      this.#retry = setTimeout(() => {
        this.#retry = null;
        h.retryAt = null;
        void this.save();
      }, delay);
      this.#retry.unref();
    }
    this.#o.log('error', `cannot save ${this.#o.what}: ${h.lastError}${this.#stopped ? '' : `; retrying in ${Math.round(delay / 1000)} s`}`);
  }
}
