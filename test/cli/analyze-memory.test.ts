/** The collection analyze runs before a big report: it collects, and only for reports of many sources. */
import { describe, expect, it } from 'vitest';
import { collectGarbage, COLLECT_BEFORE_REPORT_OF, listedCount } from '../../src/cli/commands/analyze-memory.js';

describe('analyze-memory', () => {
  it('collectGarbage frees what nothing refers to', async () => {
    let ref = new WeakRef(new Uint8Array(1 << 20));
    // A WeakRef's target lives to the end of the job that made it.
    await new Promise((r) => setImmediate(r));
    collectGarbage();
    expect(ref.deref()).toBeUndefined();
    // Twice (gc() is taken once and kept).
    ref = new WeakRef(new Uint8Array(1 << 20));
    await new Promise((r) => setImmediate(r));
    collectGarbage();
    expect(ref.deref()).toBeUndefined();
  });

  it('listedCount counts the sources at or above the minimum level', () => {
    const levels = [900_000, 257, 54_676, 0, 40, 0];
    expect(listedCount(levels, 1)).toBe(54_973);
    expect(listedCount(levels, 0)).toBe(954_973);
    expect(listedCount(levels, 4)).toBe(40);
    expect(listedCount(levels, 6)).toBe(0);
    // The mixed log's report collects first; the distinct log's (no source at DL1+) does not.
    expect(listedCount(levels, 1)).toBeGreaterThanOrEqual(COLLECT_BEFORE_REPORT_OF);
    expect(listedCount([1_000_000, 0, 0, 0, 0, 0], 1)).toBeLessThan(COLLECT_BEFORE_REPORT_OF);
  });
});
