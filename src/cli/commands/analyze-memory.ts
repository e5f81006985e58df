/**
 * One full garbage collection between reading and reporting, for a report
 * that lists many sources. When reading ends, a large analysis's heap holds
 * tens of MB that V8 has not collected yet (on the mixed 1M-line log about
 * 20-40 MB; a full collection comes every few seconds at best); the report
 * then needs about 40 MB more (the GeoIP databases while the listed sources
 * are looked up, the sorted list, the reports in the making). Collected first,
 * the report is built in the memory freed: the run's peak (which was at the
 * report) fell by about 20 MB for about 0.2-0.3 s of CPU. A report of a few
 * sources needs little and skips it (the 1M-distinct-source log lists none,
 * and its heap would take longest to collect).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Listed sources from which the collection pays (mixed lists 55k; each adds a few hundred bytes at the report). */
export const COLLECT_BEFORE_REPORT_OF = 10_000;

/** Sources a report at `minDl` lists, from the tracker's count per level (index = level). */
export function listedCount(levels: readonly number[], minDl: number): number {
  let n = 0;
  for (let l = Math.max(0, minDl); l < levels.length; l++) n += levels[l] ?? 0;
  return n;
}

let gc: (() => void) | undefined;

/**
 * A full collection now. V8 offers gc() only behind --expose-gc: the flag is
 * set at run time and the function taken from a fresh context (as Jest's
 * --logHeapUsage does); a gc() already exposed is used as it is.
 */
export function collectGarbage(): void {
  if (gc === undefined) {
    const exposed = (globalThis as { gc?: unknown }).gc;
    if (typeof exposed === 'function') gc = exposed as () => void;
    else {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    }
  }
  gc();
}
