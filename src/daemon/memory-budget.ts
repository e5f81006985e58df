/**
 * MEMORY_BUDGET: the daemon keeps its tracked sources within a memory
 * budget, so that a flood of spoofed single-packet sources (a million in a
 * few minutes on an unrated log) cannot run it out of memory.
 *
 * Two bounds, both evicting through ScanTracker.limit() (lowest level, seen
 * longest ago first; counted as evictions):
 * - a count derived from the budget: half of it for sources at SOURCE_BYTES
 *   each (a one-packet source is ~830 bytes with its table slots, see
 *   test/detect/state-size.test.ts); the other half is the room V8 takes to
 *   grow before a full collection frees the sources already forgotten;
 * - the heap measured shortly after each full (major) collection, when it is
 *   close to live data: above HIGH of the budget, the source limit is cut to 90% of
 *   the sources tracked (sources with many destinations cost more than the
 *   count assumes); below LOW it is raised back a step at a time.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

export const SOURCE_BYTES = 1024;
const MB = 1024 * 1024;
const HIGH = 0.8;
const LOW = 0.5;
/** How long after a full collection the heap is read. */
const SETTLE_MS = 1000;

/** The source limit MEMORY_BUDGET (MB) allows with MAX_TRACKED_SOURCES `max` (0: no budget). */
export function budgetSources(budgetMb: number, max: number): number {
  if (budgetMb <= 0) return max;
  return Math.max(100, Math.min(max, Math.floor((budgetMb * MB) / 2 / SOURCE_BYTES)));
}

/** What the guard adjusts (ScanTracker). */
export interface Limited {
  readonly size: number;
  readonly maxSources: number;
  limit(max: number): number;
}

export class MemoryGuard {
  /** Times the heap was over HIGH of the budget after a full collection. */
  cuts = 0;
  #observer: PerformanceObserver | null = null;
  #pending: NodeJS.Timeout | null = null;

  /** `base`: the limit from budgetSources(); `tracker()`: the current tracker (a reload replaces it). */
  constructor(private readonly budgetBytes: number, private readonly base: number, private readonly tracker: () => Limited, private readonly warn: (msg: string) => void) {}

  /** Judges one heap figure taken after a full collection; returns the sources evicted. */
  check(heapUsed: number): number {
    const t = this.tracker();
    if (heapUsed > this.budgetBytes * HIGH && t.size > 100) {
      this.cuts++;
      const n = t.limit(Math.floor(t.size * 0.9));
      this.warn(`memory budget: the heap holds ${Math.round(heapUsed / MB)} MB of MEMORY_BUDGET ${Math.round(this.budgetBytes / MB)} MB after a full collection; tracking at most ${t.maxSources} sources now (${n} forgotten, lowest level first)`);
      return n;
    }
    if (heapUsed < this.budgetBytes * LOW && t.maxSources < this.base) t.limit(Math.min(this.base, Math.ceil(t.maxSources * 1.1)));
    return 0;
  }

  /**
   * Follows the process's full collections (V8 reports each as a 'gc'
   * performance entry). The heap is read SETTLE_MS after one: V8 sweeps the
   * freed pages concurrently, and until then they still count as used.
   */
  start(): void {
    this.#observer = new PerformanceObserver((list) => {
      if (this.#pending !== null || !list.getEntries().some(major)) return;
      this.#pending = setTimeout(() => {
        this.#pending = null;
        this.check(getHeapStatistics().used_heap_size);
      }, SETTLE_MS);
      this.#pending.unref();
    });
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  stop(): void {
    this.#observer?.disconnect();
    this.#observer = null;
    if (this.#pending !== null) clearTimeout(this.#pending);
    this.#pending = null;
  }
}

function major(e: PerformanceEntry): boolean {
  return ((e as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}
