/**
 * The ScanTracker's saved state (what the daemon keeps across a restart and
 * carries across a SIGHUP reload):
 *
 *   { format: "tsad-scan-state", version: 1, clock, stats: { evicted, expired },
 *     sources: [source, ...] }   (source-codec.ts describes a source)
 *
 * Sources are in the tracker's order (the order eviction walks). Plain JSON
 * data throughout, sharing nothing with the live tracker, so it can be
 * written out after more packets arrived.
 */
import type { Fingerprint, FingerprintDb } from '../os-fingerprint.js';
import { decodeSource, encodeSource, type FingerprintResolver, type SavedSource } from './source-codec.js';
import type { SourceState } from '../source-state.js';
import { SourceTable } from '../source-table.js';
import { TIME } from './table-codec.js';
import { StateError, checkHeader, finite, int, list, record, rejected } from './state-fields.js';

export const SCAN_STATE_FORMAT = 'tsad-scan-state';
export const SCAN_STATE_VERSION = 1;

export interface SavedScanState {
  format: typeof SCAN_STATE_FORMAT;
  version: typeof SCAN_STATE_VERSION;
  /** Latest event time seen (ms): the clock for lines without a timestamp. */
  clock: number;
  stats: { evicted: number; expired: number };
  sources: SavedSource[];
}

export interface DecodedScanState {
  clock: number;
  evicted: number;
  expired: number;
  /** The sources in saved order, in the table a tracker adopts as is. */
  sources: SourceTable;
}

export function encodeScanState(clock: number, stats: { evicted: number; expired: number }, sources: Iterable<SourceState>): SavedScanState {
  const out: SavedSource[] = [];
  for (const s of sources) out.push(encodeSource(s));
  return { format: SCAN_STATE_FORMAT, version: SCAN_STATE_VERSION, clock, stats: { evicted: stats.evicted, expired: stats.expired }, sources: out };
}

/** Builds checked tracker contents apart from any tracker; throws an Error naming the bad field. */
export function decodeScanState(v: unknown, resolve: FingerprintResolver): DecodedScanState {
  const o = checkHeader(v, SCAN_STATE_FORMAT, SCAN_STATE_VERSION, 'scan state');
  try {
    const stats = record(o.stats, 'stats');
    const out: DecodedScanState = {
      clock: finite(o.clock, 'clock', -TIME * 1000, TIME * 1000),
      evicted: int(stats.evicted, 'stats.evicted'),
      expired: int(stats.expired, 'stats.expired'),
      sources: new SourceTable(),
    };
    const a = list(o.sources, 'sources');
    for (let i = 0; i < a.length; i++) {
      const s = decodeAt(a[i], i, resolve);
      if (out.sources.has(s.key)) throw new StateError(`sources[${i}]`, `source ${s.key} twice`);
      out.sources.add(s);
      out.sources.pack(s);
    }
    return out;
  } catch (err) {
    throw rejected('scan state', err);
  }
}

/** The parts of a saved scan state besides its sources (the head line of a streamed file). */
export type ScanStateHead = Omit<SavedScanState, 'sources'>;

/**
 * Reads saved sources one at a time (a streamed file, or the list of an
 * in-memory state) keeping what reads: each source that reads on its own is
 * kept; a source with a bad field, or one repeated, is left out and
 * described in `problems`; finish() takes the head, where a bad clock
 * becomes the latest kept source's time and bad stats become 0.
 */
export class ScanStateReader {
  readonly problems: string[] = [];
  readonly #sources = new SourceTable();
  readonly #resolve: FingerprintResolver;
  #i = 0;
  #latest = 0;

  constructor(resolve: FingerprintResolver) {
    this.#resolve = resolve;
  }

  /** One saved source (a flat tuple, source-codec.ts). */
  add(v: unknown): void {
    const i = this.#i++;
    try {
      const s = decodeAt(v, i, this.#resolve);
      if (this.#sources.has(s.key)) throw new StateError(`sources[${i}]`, `source ${s.key} twice`);
      this.#sources.add(s);
      this.#sources.pack(s);
      if (s.lastSeen > this.#latest) this.#latest = s.lastSeen;
    } catch (err) {
      this.problems.push(err instanceof Error ? err.message : String(err));
    }
  }

  /** A part that could not be read at all (a damaged line of a file: that source is lost, counted in its place). */
  unreadable(problem: string): void {
    this.problems.push(`sources[${this.#i++}]: ${problem}`);
  }

  /** A problem with the list as a whole (not an array, cut short). */
  problem(text: string): void {
    this.problems.push(text);
  }

  /** The sources read, with the head's clock and stats; throws only when the head is not this state's (format, version). */
  finish(head: unknown): DecodedScanState {
    const o = checkHeader(head, SCAN_STATE_FORMAT, SCAN_STATE_VERSION, 'scan state');
    const clock = kept(() => finite(o.clock, 'clock', -TIME * 1000, TIME * 1000), this.#latest, this.problems);
    const stats = kept(() => {
      const r = record(o.stats, 'stats');
      return { evicted: int(r.evicted, 'stats.evicted'), expired: int(r.expired, 'stats.expired') };
    }, { evicted: 0, expired: 0 }, this.problems);
    return { clock, evicted: stats.evicted, expired: stats.expired, sources: this.#sources };
  }
}

/**
 * What can be kept of saved state that decodeScanState refuses (the daemon's
 * restart must not lose every source to one bad one), as ScanStateReader
 * keeps it; what was left out is described in `problems`. Returns the kept
 * state in saved form (re-encoded, so decodeScanState accepts it). Throws
 * only when the header (format, version) is not this state's.
 */
export function salvageScanState(v: unknown, problems: string[]): SavedScanState {
  const o = checkHeader(v, SCAN_STATE_FORMAT, SCAN_STATE_VERSION, 'scan state');
  const r = new ScanStateReader(fingerprintResolver(null));
  if (Array.isArray(o.sources)) for (const x of o.sources) r.add(x);
  else r.problem('sources: expected an array');
  const d = r.finish(o);
  problems.push(...r.problems);
  return encodeScanState(d.clock, d, d.sources.values());
}

/** read(), or the fallback with the problem noted. */
function kept<T>(read: () => T, fallback: T, problems: string[]): T {
  try {
    return read();
  } catch (err) {
    if (!(err instanceof StateError)) throw err;
    problems.push(err.message);
    return fallback;
  }
}

function decodeAt(v: unknown, i: number, resolve: FingerprintResolver): SourceState {
  try {
    return decodeSource(v, resolve);
  } catch (err) {
    if (!(err instanceof StateError)) throw err;
    const key = Array.isArray(v) ? (v as unknown[])[0] : undefined;
    throw err.within(typeof key === 'string' ? `sources[${i}] (${key})` : `sources[${i}]`);
  }
}

/**
 * Saved OS guesses name their fingerprint by label and index in the file.
 * When the loaded file has it there, the guess points to it; otherwise to a
 * stand-in that carries the label (all a report shows of it).
 */
export function fingerprintResolver(db: FingerprintDb | null): FingerprintResolver {
  const stubs = new Map<string, Fingerprint>();
  return (label, index) => {
    const fp = db?.entries[index];
    if (fp !== undefined && fp.label === label) return fp;
    let stub = stubs.get(label);
    if (stub === undefined) stubs.set(label, (stub = { kind: 'os', label, family: 0, ittl: 0, df: -1, windows: [], mssMultiples: [], anyWindow: true, layouts: null, line: 0 }));
    return stub;
  };
}
