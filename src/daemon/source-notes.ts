/**
 * What the daemon remembers of a source beyond the scan state: its latest
 * raw log lines (quoted in alert mails) and its log prefixes (for
 * AUTO_BLOCK_REGEX). Notes hang off the SourceState object (a WeakMap), so
 * a source the tracker forgets takes its notes with it and nothing needs
 * expiring. Lines are kept only for sources at or above the mail level, so
 * the background noise of the internet costs one comparison per packet.
 */
import type { Packet } from '../model/packet.js';
import type { SourceState } from '../detect/index.js';

/** Distinct prefixes kept per source: fwsnort rules give one prefix per rule, a scan touches few. */
const MAX_PREFIXES = 16;
/** `PRI,SEQ,USEC,FLAGS;` in front of a /dev/kmsg record. */
const KMSG_HEADER = /^\d{1,3},\d+,\d+,[^;]{0,16};/;

interface Notes {
  lines: string[];
  prefixes: string[];
}

export interface SourceNotesOptions {
  /** Keep raw lines of sources at or above this level (EMAIL_ALERT_DANGER_LEVEL). */
  lineLevel: number;
  /** Lines kept per source (EMAIL_LOG_SAMPLES); 0 keeps none. */
  maxLines: number;
  /** Collect log prefixes (ENABLE_AUTO_IDS_REGEX). */
  prefixes: boolean;
}

export class SourceNotes {
  readonly #notes = new WeakMap<SourceState, Notes>();

  constructor(private readonly o: SourceNotesOptions) {}

  /** Log prefixes are collected for every source (keyed by its SourceState, so also at level 0). */
  get keepsPrefixes(): boolean {
    return this.o.prefixes;
  }

  /** One scored packet of `s`, read from the line `line()` returns (asked for only when it is kept). */
  packet(p: Packet, s: SourceState, line: () => string): void {
    const keepLine = this.#keeps(s) && line() !== '';
    if (!keepLine && !this.o.prefixes) return;
    const n = this.#of(s);
    if (keepLine) this.#keep(n, line());
    if (this.o.prefixes && p.prefix !== '' && n.prefixes.length < MAX_PREFIXES && !n.prefixes.includes(p.prefix)) n.prefixes.push(p.prefix);
  }

  /** One service-log line (a failed login, a probe) scored for `s`. */
  serviceLine(s: SourceState, line: string): void {
    if (this.#keeps(s) && line !== '') this.#keep(this.#of(s), line);
  }

  #keeps(s: SourceState): boolean {
    return this.o.maxLines > 0 && s.dl >= this.o.lineLevel;
  }

  #of(s: SourceState): Notes {
    let n = this.#notes.get(s);
    if (n === undefined) {
      n = { lines: [], prefixes: [] };
      this.#notes.set(s, n);
    }
    return n;
  }

  #keep(n: Notes, line: string): void {
    n.lines.push(line.replace(KMSG_HEADER, ''));
    if (n.lines.length > this.o.maxLines) n.lines.shift();
  }

  lines(s: SourceState): string[] {
    return [...(this.#notes.get(s)?.lines ?? [])];
  }

  prefixes(s: SourceState): string[] {
    return [...(this.#notes.get(s)?.prefixes ?? [])];
  }
}
