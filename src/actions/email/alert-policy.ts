/**
 * Decides whether a change of a source's danger level is mailed, and keeps
 * the per-source counters that EMAIL_LIMIT and EMAIL_THROTTLE need. Pure
 * logic: no clock, no I/O. The state is a plain object so the mailer can
 * persist it across restarts.
 *
 * Counting follows what the keys promise, not what psad did: EMAIL_LIMIT
 * counts alerts the mail server accepted plus those still queued (psad
 * counted every batch, issue #61), and EMAIL_THROTTLE N lets one alert in N
 * through (psad skipped one in N).
 */

export interface SourceMailState {
  /** Highest level mailed (or queued) in the current incident. */
  mailedDl: number;
  /** Alerts of this source that the mail server accepted. */
  sent: number;
  /** Alerts that passed the level checks: EMAIL_THROTTLE counts these. */
  seen: number;
  /** The "reached email message limit" notice was queued. */
  noticeSent: boolean;
}

export type SuppressReason = 'disabled' | 'below-level' | 'unchanged' | 'throttle' | 'limit';

export type Decision =
  | { send: true; alertNumber: number }
  | { send: false; reason: SuppressReason; limitNotice: boolean };

export interface PolicyOptions {
  level: number;
  limit: number;
  throttle: number;
  limitNotice: boolean;
  /** Sources remembered at most; the least recently touched is forgotten first. */
  maxSources: number;
}

export class AlertPolicy {
  private readonly sources = new Map<string, SourceMailState>();

  constructor(private readonly opts: PolicyOptions, saved?: Record<string, SourceMailState>) {
    this.merge(saved);
  }

  /** Adds saved counters of sources this policy does not know yet. */
  merge(saved: Record<string, SourceMailState> | undefined): void {
    for (const [src, st] of Object.entries(saved ?? {})) {
      if (isState(st) && !this.sources.has(src) && this.sources.size < this.opts.maxSources) this.sources.set(src, { ...st });
    }
  }

  /**
   * One call per level change reported by detection. `pending`: alerts of
   * this source that are queued and not yet accepted by the server.
   */
  decide(src: string, dl: number, previousDl: number, pending: number): Decision {
    const known = this.sources.get(src);
    // A level below what was mailed means the incident ended; the next rise is news again.
    if (known !== undefined && dl < known.mailedDl) known.mailedDl = dl;
    if (dl < this.opts.level) return { send: false, reason: 'below-level', limitNotice: false };
    const st = this.touch(src);
    if (dl <= previousDl || dl <= st.mailedDl) return { send: false, reason: 'unchanged', limitNotice: false };
    st.seen++;
    if (this.opts.throttle > 1 && (st.seen - 1) % this.opts.throttle !== 0) {
      return { send: false, reason: 'throttle', limitNotice: false };
    }
    if (this.opts.limit > 0 && st.sent + pending >= this.opts.limit) {
      const notice = this.opts.limitNotice && !st.noticeSent;
      st.noticeSent = true;
      return { send: false, reason: 'limit', limitNotice: notice };
    }
    st.mailedDl = dl;
    return { send: true, alertNumber: st.sent + pending + 1 };
  }

  /** The server accepted an alert about `src`. */
  recordSent(src: string): void {
    this.touch(src).sent++;
  }

  forget(src: string): void {
    this.sources.delete(src);
  }

  get(src: string): Readonly<SourceMailState> | undefined {
    return this.sources.get(src);
  }

  toJSON(): Record<string, SourceMailState> {
    return Object.fromEntries(this.sources);
  }

  private touch(src: string): SourceMailState {
    let st = this.sources.get(src);
    if (st === undefined) {
      st = { mailedDl: 0, sent: 0, seen: 0, noticeSent: false };
      if (this.sources.size >= this.opts.maxSources) {
        const oldest = this.sources.keys().next();
        if (oldest.done !== true) this.sources.delete(oldest.value);
      }
    } else {
      this.sources.delete(src); // re-insert: Map order is least recently touched first
    }
    this.sources.set(src, st);
    return st;
  }
}

function isState(x: unknown): x is SourceMailState {
  if (typeof x !== 'object' || x === null) return false;
  const s = x as Record<string, unknown>;
  return typeof s.mailedDl === 'number' && typeof s.sent === 'number' && typeof s.seen === 'number' && typeof s.noticeSent === 'boolean';
}
