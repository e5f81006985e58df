/**
 * RetryingSave.soon(): a level change is saved within a second, but while
 * changes keep coming at most one such save starts per SOON_SPACING_MS
 * (each snapshot holds the daemon's loop for a moment). Pure scheduling
 * logic, on vitest's fake clock.
 */
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { RetryingSave, SOON_SPACING_MS } from '../../src/daemon/retrying-save.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

function saver(): { s: RetryingSave<number>; starts: number[] } {
  const starts: number[] = [];
  const s = new RetryingSave<number>({
    what: 'test state',
    take: () => Date.now(),
    write: async (at) => {
      starts.push(at);
    },
    log: () => undefined,
    now: () => Date.now(),
  });
  return { s, starts };
}

test('the first change after a quiet time is saved after one second', async () => {
  const { s, starts } = saver();
  s.soon();
  await vi.advanceTimersByTimeAsync(999);
  expect(starts).toEqual([]);
  await vi.advanceTimersByTimeAsync(1);
  expect(starts).toEqual([1_001_000]);
});

test('changes every 100 ms for 20 s: saves start at most once per spacing, and the last change is saved', async () => {
  const { s, starts } = saver();
  for (let t = 0; t < 20_000; t += 100) {
    s.soon();
    await vi.advanceTimersByTimeAsync(100);
  }
  await vi.advanceTimersByTimeAsync(SOON_SPACING_MS);
  expect(starts.length).toBeGreaterThanOrEqual(4);
  expect(starts.length).toBeLessThanOrEqual(Math.ceil(20_000 / SOON_SPACING_MS) + 1);
  for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(SOON_SPACING_MS);
  // The save after the last change started after it (nothing changed is left unsaved).
  expect(starts.at(-1)).toBeGreaterThanOrEqual(1_000_000 + 19_900);
});

test('save() (a caller waiting for durability) is never spaced out', async () => {
  const { s, starts } = saver();
  s.soon();
  await vi.advanceTimersByTimeAsync(1000);
  await s.save();
  expect(starts).toEqual([1_001_000, 1_001_000]);
});
