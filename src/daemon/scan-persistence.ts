/**
 * Saving and restoring what the pipeline has counted: the pipeline's own
 * line counters, and the detect stage's ScanTracker and GlobalCounters.
 *
 * The detect objects keep their internals private, so they must export
 * and import their state themselves: `exportState(): unknown` (JSON-able)
 * and `importState(saved: unknown): void` (replaces the contents, fires no
 * level change). Until both exist on an object it is not saved, the daemon
 * says so once at start, and a restart begins with empty scan state (the
 * line counters and source positions are still exact).
 *
 * One bad value in the saved state (a source poisoned by input the parser
 * once let through, a damaged file) must not cost the others: when the
 * detect objects refuse a saved state, what reads of it is kept (detect's
 * salvage functions) and the dropped parts are reported.
 */
import { salvageCounters, salvageScanState, type GlobalCounters, type ScanTracker } from '../detect/index.js';
import { TS_MAX, TS_MIN } from '../model/packet.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { PipelineCounters, SourceLines, SourceReader } from './state-file.js';

interface Persistable {
  exportState(): unknown;
  importState(saved: unknown): void;
  /** Optional: checks and builds saved state, returning the swap (so two objects change together or not at all). */
  prepareImport?(saved: unknown): () => void;
}

function persistable(o: object): Persistable | null {
  const p = o as Partial<Persistable>;
  return typeof p.exportState === 'function' && typeof p.importState === 'function' ? (o as Persistable) : null;
}

/** Whether the detect objects can be saved (both must be, or neither is). */
export function scanStateSavable(tracker: ScanTracker, counters: GlobalCounters): boolean {
  return persistable(tracker) !== null && persistable(counters) !== null;
}

export function exportScan(tracker: ScanTracker, counters: GlobalCounters): { scan: unknown; counters: unknown } {
  const t = persistable(tracker);
  const c = persistable(counters);
  if (t === null || c === null) return { scan: null, counters: null };
  return { scan: t.exportState(), counters: c.exportState() };
}

/** The detect state of one moment for a save: the sources follow a slice at a time (end() them once written or given up). */
export interface ScanSnapshotParts {
  scan: unknown;
  counters: unknown;
  sources: (SourceLines & { end(): void }) | null;
}

/**
 * For the daemon's saves: the detect state as of now, its sources handed
 * out a slice at a time while packets go on (copy-on-write, see
 * detect/state/scan-snapshot.ts), so a save holds one slice, not a copy.
 */
export function snapshotScan(tracker: ScanTracker, counters: GlobalCounters): ScanSnapshotParts {
  if (!scanStateSavable(tracker, counters)) return { scan: null, counters: null, sources: null };
  const snap = tracker.beginSnapshot();
  return { scan: snap.head, counters: counters.exportState(), sources: { next: (max, maxChars) => snap.next(max, maxChars), end: () => tracker.endSnapshot(snap) } };
}

function prepare(p: Persistable, saved: unknown): () => void {
  return p.prepareImport !== undefined ? p.prepareImport(saved) : () => p.importState(saved);
}

/** How many problems a warning quotes; the rest are counted. */
const QUOTED = 3;

/**
 * prepare(), and when the object refuses the state, prepare() of what
 * `salvage` keeps of it, with a warning naming what was dropped.
 */
function prepareSalvaged(p: Persistable, saved: unknown, what: string, salvage: (v: unknown, problems: string[]) => unknown, warn: (msg: string) => void): () => void {
  try {
    return prepare(p, saved);
  } catch (err) {
    const problems: string[] = [];
    let kept: unknown;
    try {
      kept = salvage(saved, problems);
    } catch {
      throw err; // a foreign or unreadable header: nothing to keep
    }
    const swap = prepare(p, kept);
    warnLeftOut(what, problems, warn);
    return swap;
  }
}

function warnLeftOut(what: string, problems: readonly string[], warn: (msg: string) => void): void {
  if (problems.length === 0) return;
  const more = problems.length > QUOTED ? `; and ${problems.length - QUOTED} more` : '';
  warn(`saved ${what}: left out ${problems.length} unreadable part${problems.length === 1 ? '' : 's'}, kept the rest (${problems.slice(0, QUOTED).join('; ')}${more})`);
}

/**
 * Restores saved detect state; returns false (nothing changed) when it cannot.
 * `sources`: the saved sources streamed from the file (state.scan is then
 * its head only).
 * Parts that cannot be read are left out, and `warn` says which; throws only
 * when the snapshot is not tsad's detect state at all, and then (with
 * prepareImport) changes neither object.
 */
export function importScan(tracker: ScanTracker, counters: GlobalCounters, saved: { scan: unknown; counters: unknown }, warn: (msg: string) => void = () => undefined, sources: SourceReader | null = null): boolean {
  const t = persistable(tracker);
  const c = persistable(counters);
  if (t === null || c === null || saved.scan === null || saved.scan === undefined) return false;
  let swapTracker: () => void;
  if (sources === null) swapTracker = prepareSalvaged(t, saved.scan, 'scan state', salvageScanState, warn);
  else {
    // Sources streamed from the file: each is checked as it is read, and one that does not read is left out.
    const problems: string[] = [];
    swapTracker = tracker.prepareStreamImport(saved.scan, sources, problems);
    warnLeftOut('scan state', problems, warn);
  }
  const swapCounters = saved.counters !== null && saved.counters !== undefined ? prepareSalvaged(c, saved.counters, 'global counters', salvageCounters, warn) : null;
  swapTracker();
  swapCounters?.();
  return true;
}

/** An event time the parser accepts, else null (the pipeline's "none yet" is +/-Infinity). */
function eventTime(ms: unknown): number | null {
  return typeof ms === 'number' && ms >= TS_MIN && ms < TS_MAX ? ms : null;
}

/** A count that reads back: a whole number >= 0, else 0. */
function count(n: unknown): number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

export function pipelineCounters(p: Pipeline): PipelineCounters {
  return {
    lines: p.lines,
    firewallLines: p.firewallLines,
    packets: p.packets,
    serviceLines: p.serviceLines,
    serviceEvents: p.serviceEvents,
    skipped: { ...p.skipped },
    firstSeen: eventTime(p.firstSeen),
    lastSeen: eventTime(p.lastSeen),
    timeline: p.timeline.exportState(),
  };
}

/** Restores the line counters; a value out of range (a damaged file) is taken as none rather than carried into reports. */
export function restorePipelineCounters(p: Pipeline, c: PipelineCounters): void {
  p.lines = count(c.lines);
  p.firewallLines = count(c.firewallLines);
  p.packets = count(c.packets);
  p.serviceLines = count(c.serviceLines);
  p.serviceEvents = count(c.serviceEvents);
  for (const [k, n] of Object.entries(c.skipped)) if (count(n) > 0) p.skipped[k] = n;
  p.firstSeen = eventTime(c.firstSeen) ?? Number.POSITIVE_INFINITY;
  p.lastSeen = eventTime(c.lastSeen) ?? Number.NEGATIVE_INFINITY;
  p.timeline.importState(c.timeline);
}
