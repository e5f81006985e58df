/**
 * A save's sources encoded from the moment its snapshot is taken, one small
 * slice per event-loop turn, while the state file is still being created
 * and written. A source the writer has not reached is copied by the packet
 * about to change it (copy-on-write), inside that packet's turn: at the
 * start of a save under a stream of lines, dozens of busy sources at once,
 * which held the loop for tens of ms. Started early and going on between
 * the reads, the writer reaches most of them first, in slices that hold the
 * loop well under a millisecond each.
 *
 * Slices come out in the order the sources hand them out; at most about
 * `maxChars` of text waits for the file (then reading ahead pauses until the
 * writer takes some).
 */
import type { SourceLines } from './state-file.js';

export interface ReadAheadOptions {
  /** Text per slice read ahead (a busy source is some 10 KB). */
  sliceChars: number;
  /** Sources per slice read ahead. */
  sliceSources: number;
  /** Text read ahead and not yet taken, at most (about: the last slice may pass it); held in the young generation, so kept small. */
  maxChars: number;
  /** Slices read ahead in one event-loop turn while this has not passed (ms): the writer must outrun the lines, one slice a turn did not. */
  turnMs: number;
}

export const READ_AHEAD: ReadAheadOptions = { sliceChars: 16 * 1024, sliceSources: 256, maxChars: 512 * 1024, turnMs: 1 };

/** `src` read ahead on the event loop until stop() (call it once the writer is done, written or not). */
export function readAhead(src: SourceLines, o: ReadAheadOptions = READ_AHEAD): SourceLines & { stop(): void } {
  const queue: string[][] = [];
  let head = 0;
  let queued = 0;
  let done = false;
  let stopped = false;
  let failed: { err: unknown } | null = null;
  let timer: NodeJS.Immediate | null = null;

  const pull = (max: number, maxChars?: number): string[] | null => {
    const lines = src.next(max, maxChars);
    if (lines === null) done = true;
    return lines;
  };
  const schedule = (): void => {
    if (timer === null && !stopped && !done && failed === null && queued < o.maxChars) timer = setImmediate(step);
  };
  const step = (): void => {
    timer = null;
    if (stopped || done || failed !== null) return;
    const t0 = performance.now();
    try {
      do {
        const lines = pull(o.sliceSources, o.sliceChars);
        if (lines === null) break;
        queue.push(lines);
        for (const l of lines) queued += l.length;
      } while (queued < o.maxChars && performance.now() - t0 < o.turnMs);
    } catch (err) {
      // Given to the writer at its next call: the save fails as it would have without reading ahead.
      failed = { err };
      return;
    }
    schedule();
  };
  schedule();

  return {
    next(max, maxChars) {
      if (head < queue.length) {
        const lines = queue[head] as string[];
        queue[head++] = [];
        if (head === queue.length) queue.length = head = 0;
        for (const l of lines) queued -= l.length;
        schedule();
        return lines;
      }
      if (failed !== null) throw failed.err;
      if (done) return null;
      // Caught up: a slice no longer than those read ahead.
      return pull(Math.min(max, o.sliceSources), Math.min(maxChars ?? Number.POSITIVE_INFINITY, o.sliceChars));
    },
    stop() {
      stopped = true;
      if (timer !== null) clearImmediate(timer);
      timer = null;
      queue.length = head = queued = 0;
    },
  };
}
