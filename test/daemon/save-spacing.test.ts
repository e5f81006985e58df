/**
 * RetryingSave.soon(): a level change is saved within a second, but while
 * changes keep coming at most one such save starts per SOON_SPACING_MS
 * (each snapshot holds the daemon's loop for a moment). The delay rule is
 * a pure function (soonDelay, checked on its own); the saver's use of it
 * runs on vitest's fake clock, so no real time passes and the machine's
 * load cannot change the outcome. What the spacing does to latency is
 * measured by `npm run bench:latency`, not here.
 */
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { RetryingSave, SOON_SPACING_MS, soonDelay } from '../../src/daemon/retrying-save.js';

test('soonDelay: the asked delay after a quiet time, else what is left of the spacing', () => {
  expect(soonDelay(1000, 5000, Number.POSITIVE_INFINITY)).toBe(1000); // never saved
  expect(soonDelay(1000, 5000, 60_000)).toBe(1000); // last save long ago
  expect(soonDelay(1000, 5000, 4000)).toBe(1000); // exactly the asked delay completes the spacing
  expect(soonDelay(1000, 5000, 100)).toBe(4900); // a save just started: wait out the rest
  expect(soonDelay(1000, 5000, 0)).toBe(5000);
  expect(soonDelay(1000, 0, 0)).toBe(1000); // spacing off (blocks.json)
});

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** vitest's fake clock (set in beforeEach), the only clock the saver sees. */
const fakeNow = (): number => (vi.getMockedSystemTime() as Date).getTime();

function saver(): { s: RetryingSave<number>; starts: number[] } {
  const starts: number[] = [];
  const s = new RetryingSave<number>({
    what: 'test state',
    take: fakeNow,
    write: async (at) => {
      starts.push(at);
    },
    log: () => undefined,
    now: fakeNow,
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
  // The first one second after the first change, then one per spacing while changes keep coming; the last
  // starts after the last change (t = 19.9 s), so nothing changed is left unsaved.
  expect(SOON_SPACING_MS).toBe(5000);
  expect(starts).toEqual([1_001_000, 1_006_000, 1_011_000, 1_016_000, 1_021_000]);
});

test('save() (a caller waiting for durability) is never spaced out', async () => {
  const { s, starts } = saver();
  s.soon();
  await vi.advanceTimersByTimeAsync(1000);
  await s.save();
  expect(starts).toEqual([1_001_000, 1_001_000]);
});
