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
 */
import type { GlobalCounters, ScanTracker } from '../detect/index.js';
import type { Pipeline } from './pipeline.js';
import type { PipelineCounters } from './state-file.js';

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

function prepare(p: Persistable, saved: unknown): () => void {
  return p.prepareImport !== undefined ? p.prepareImport(saved) : () => p.importState(saved);
}

/**
 * Restores saved detect state; returns false (nothing changed) when it cannot.
 * Throws on a malformed snapshot, and then (with prepareImport) changes neither object.
 */
export function importScan(tracker: ScanTracker, counters: GlobalCounters, saved: { scan: unknown; counters: unknown }): boolean {
  const t = persistable(tracker);
  const c = persistable(counters);
  if (t === null || c === null || saved.scan === null || saved.scan === undefined) return false;
  const swapTracker = prepare(t, saved.scan);
  const swapCounters = saved.counters !== null && saved.counters !== undefined ? prepare(c, saved.counters) : null;
  swapTracker();
  swapCounters?.();
  return true;
}

function finite(ms: number): number | null {
  return Number.isFinite(ms) ? ms : null;
}

export function pipelineCounters(p: Pipeline): PipelineCounters {
  return {
    lines: p.lines,
    firewallLines: p.firewallLines,
    packets: p.packets,
    skipped: { ...p.skipped },
    firstSeen: finite(p.firstSeen),
    lastSeen: finite(p.lastSeen),
    timeline: p.timeline.exportState(),
  };
}

export function restorePipelineCounters(p: Pipeline, c: PipelineCounters): void {
  p.lines = c.lines;
  p.firewallLines = c.firewallLines;
  p.packets = c.packets;
  for (const [k, n] of Object.entries(c.skipped)) if (typeof n === 'number') p.skipped[k] = n;
  p.firstSeen = c.firstSeen ?? Number.POSITIVE_INFINITY;
  p.lastSeen = c.lastSeen ?? Number.NEGATIVE_INFINITY;
  p.timeline.importState(c.timeline);
}
