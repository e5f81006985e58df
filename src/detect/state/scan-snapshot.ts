/**
 * The tracked sources as they were at one moment, written out a slice at a
 * time while packets keep coming (copy-on-write): the daemon saves a million
 * sources without stopping for seconds and without a second copy of them.
 *
 * Beginning a snapshot takes the head (clock, stats) and a copy of the
 * tracker's list of sources (one reference each, no loop over them); a
 * source is pending while its SourceState.savedIn is not this snapshot's
 * epoch (the tracker sets it on sources tracked after the snapshot began).
 * next() encodes the next slice in the list's order. A pending source the
 * tracker is about to change is encoded first (keep()), as it was, and
 * handed out in its turn (the order is the tracker's, which eviction walks);
 * sources tracked afterwards are not in the snapshot, and sources forgotten
 * meanwhile are still written (the list holds them until their turn: in a
 * flood soon, as eviction and the writer both walk first-seen order). Each
 * source is encoded once. Packed sources (compact-sources.ts) are row numbers
 * in the list, read from a copy of the packed rows taken with it; the tracker
 * marks a packed source it unpacks meanwhile as already in this snapshot.
 */
import type { CompactSources } from '../compact-sources.js';
import { SourceState } from '../source-state.js';
import type { OrderEntry } from '../source-table.js';
import { encodeSource, type SavedSource } from './source-codec.js';
import { SCAN_STATE_FORMAT, SCAN_STATE_VERSION, type ScanStateHead } from './tracker-state.js';

export class ScanSnapshot {
  readonly head: ScanStateHead;
  /** The sources of the moment, dropped (null) once written. */
  #list: OrderEntry[];
  /** The packed rows as they were when the snapshot began (a number in the list names one). */
  #packed: CompactSources | null;
  #at = 0;
  /** Sources encoded ahead of their turn (keep()): tuples of copied values, made JSON text in their turn (not in the line's). */
  #early = new Map<SourceState, SavedSource>();
  #ended: string | null = null;
  /** Most sources held encoded at once (a slice, and those kept early): what a save holds beyond the live state. */
  maxHeld = 0;

  /** `sources`: the tracker's sources now, in its order (nulls are skipped), with `packed` its packed rows; the snapshot owns both. */
  constructor(readonly epoch: number, clock: number, stats: { evicted: number; expired: number }, sources: OrderEntry[], packed: CompactSources | null = null) {
    this.head = { format: SCAN_STATE_FORMAT, version: SCAN_STATE_VERSION, clock, stats: { evicted: stats.evicted, expired: stats.expired } };
    this.#list = sources;
    this.#packed = packed;
  }

  /** Marks a source tracked after the snapshot began: it is not in it. */
  exclude(s: SourceState): void {
    s.savedIn = this.epoch;
  }

  /** `s` is about to change: encodes it as it is now when it is in the snapshot and not written yet. */
  keep(s: SourceState): void {
    if (s.savedIn === this.epoch) return;
    s.savedIn = this.epoch;
    this.#early.set(s, encodeSource(s));
    if (this.#early.size > this.maxHeld) this.maxHeld = this.#early.size;
  }

  /** Up to `max` more sources as JSON text (a saved tuple each, source-codec.ts); null when all are out. Throws after end(). */
  next(max: number, maxChars = Number.POSITIVE_INFINITY): string[] | null {
    if (this.#ended !== null) throw new Error(this.#ended);
    const list = this.#list;
    if (this.#at >= list.length) return null;
    const out: string[] = [];
    const early = this.#early;
    const epoch = this.epoch;
    let chars = 0;
    while (this.#at < list.length && out.length < max && chars < maxChars) {
      const at = this.#at++;
      const s = list[at];
      list[at] = null;
      if (s === null || s === undefined) continue;
      if (typeof s === 'number') {
        if (this.#packed === null) continue;
        const text = JSON.stringify(encodeSource(SourceState.unpack(this.#packed, s)));
        chars += text.length;
        out.push(text);
        continue;
      }
      if (s.savedIn !== epoch) {
        s.savedIn = epoch;
        const text = JSON.stringify(encodeSource(s));
        chars += text.length;
        out.push(text);
        continue;
      }
      const saved = early.get(s);
      if (saved === undefined) continue;
      early.delete(s);
      const text = JSON.stringify(saved);
      chars += text.length;
      out.push(text);
    }
    if (out.length + early.size > this.maxHeld) this.maxHeld = out.length + early.size;
    return out;
  }

  /** Ends the snapshot (written, given up, or replaced by the next): it lets go of the sources. */
  end(why = 'the snapshot of the scan state has ended'): void {
    this.#ended ??= why;
    this.#list = [];
    this.#packed = null;
    this.#early.clear();
  }

  get ended(): boolean {
    return this.#ended !== null;
  }
}
