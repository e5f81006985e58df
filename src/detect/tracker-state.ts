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
import type { Fingerprint, FingerprintDb } from './os-fingerprint.js';
import { decodeSource, encodeSource, type FingerprintResolver, type SavedSource } from './source-codec.js';
import type { SourceState } from './source-state.js';
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
  sources: Map<string, SourceState>;
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
      sources: new Map(),
    };
    const a = list(o.sources, 'sources');
    for (let i = 0; i < a.length; i++) {
      const s = decodeAt(a[i], i, resolve);
      if (out.sources.has(s.key)) throw new StateError(`sources[${i}]`, `source ${s.key} twice`);
      out.sources.set(s.key, s);
    }
    return out;
  } catch (err) {
    throw rejected('scan state', err);
  }
}

/**
 * What can be kept of saved state that decodeScanState refuses (the daemon's
 * restart must not lose every source to one bad one): each source that reads
 * on its own is kept; a source with a bad field, or one repeated, is dropped
 * and described in `problems`; a bad clock becomes the latest kept source's
 * time and bad stats become 0. Returns the kept state in saved form
 * (re-encoded, so decodeScanState accepts it). Throws only when the header
 * (format, version) is not this state's.
 */
export function salvageScanState(v: unknown, problems: string[]): SavedScanState {
  const o = checkHeader(v, SCAN_STATE_FORMAT, SCAN_STATE_VERSION, 'scan state');
  const resolve = fingerprintResolver(null);
  const sources = new Map<string, SourceState>();
  const a = Array.isArray(o.sources) ? o.sources : [];
  if (!Array.isArray(o.sources)) problems.push('sources: expected an array');
  let latest = 0;
  for (let i = 0; i < a.length; i++) {
    try {
      const s = decodeAt(a[i], i, resolve);
      if (sources.has(s.key)) throw new StateError(`sources[${i}]`, `source ${s.key} twice`);
      sources.set(s.key, s);
      latest = Math.max(latest, s.lastSeen);
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  const clock = kept(() => finite(o.clock, 'clock', -TIME * 1000, TIME * 1000), latest, problems);
  const stats = kept(() => {
    const r = record(o.stats, 'stats');
    return { evicted: int(r.evicted, 'stats.evicted'), expired: int(r.expired, 'stats.expired') };
  }, { evicted: 0, expired: 0 }, problems);
  return encodeScanState(clock, stats, sources.values());
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
