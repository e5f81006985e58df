/**
 * Choosing which sources to forget when MAX_TRACKED_SOURCES is reached:
 * lowest level first, and within a level those seen longest ago. One pass
 * frees a batch (5% of the cap), so the cost per new source stays a few
 * map steps however the flood goes. "Seen longest ago" is judged from a
 * sample of last-seen times, which avoids sorting a million entries.
 */
import type { SourceState } from './source-state.js';

const SAMPLE = 2048;

/** The tracked sources as eviction walks them: in first-seen order, deletable while walked. */
export interface Evictable {
  readonly size: number;
  values(): IterableIterator<SourceState>;
  remove(s: SourceState): boolean;
}

/** The last-seen time at or below which about `want` of the `have` sources at `level` fall. */
function ageThreshold(sources: Evictable, level: number, want: number, have: number): number {
  const stride = Math.max(1, Math.floor(sources.size / SAMPLE));
  const seen: number[] = [];
  let i = 0;
  for (const s of sources.values()) {
    if (i++ % stride === 0 && s.peakDl === level) seen.push(s.lastSeen);
  }
  if (seen.length === 0 || want >= have) return Infinity;
  seen.sort((a, b) => a - b);
  return seen[Math.min(seen.length - 1, Math.ceil((want / have) * seen.length))] as number;
}

/**
 * Deletes up to `count` sources, lowest peak level first and oldest last-seen
 * first within it. `levels[n]` counts tracked sources at peak level n and is
 * kept up to date. Returns how many were deleted.
 */
export function evictBatch(sources: Evictable, levels: number[], count: number): number {
  let done = 0;
  for (let level = 0; level <= 5 && done < count; level++) {
    const have = levels[level] as number;
    if (have === 0) continue;
    const want = count - done;
    const limit = ageThreshold(sources, level, want, have);
    for (const strict of [true, false]) {
      for (const s of sources.values()) {
        if (done >= count) break;
        if (s.peakDl !== level || (strict && s.lastSeen > limit)) continue;
        sources.remove(s);
        levels[level]!--;
        done++;
      }
      if (done >= count) break;
    }
  }
  return done;
}
