/**
 * Saving and restoring 100,000 tracked sources: the round trip keeps every
 * source's report, and the snapshot stays small per source (the daemon
 * writes it every STATE_SAVE_INTERVAL). Its time is measured by
 * `npm run bench` (state snapshot), not asserted here.
 * The mix (src/bench/state-bench.ts): 90,000 one-packet sources (a spoofed
 * flood), 9,000 with a few packets to two hosts, 1,000 scanners sweeping.
 */
import { expect, test } from 'vitest';
import { stateBenchAddr as addr, stateBenchTracker } from '../../src/bench/state-bench.js';
import { ScanTracker, sourceReport } from '../../src/detect/index.js';
import { cfgWith } from './packet-builder.js';

const cfg = cfgWith({ MAX_TRACKED_SOURCES: 200_000 });

test('100,000 sources: export, JSON, import keep every source, in bounded size', () => {
  const t = stateBenchTracker(cfg);
  expect(t.size).toBe(100_000);
  const text = JSON.stringify(t.exportState());
  const back = new ScanTracker(cfg);
  back.importState(JSON.parse(text) as unknown);
  expect(back.size).toBe(100_000);
  for (const key of [addr(5), addr(100_005), addr(200_005)]) {
    expect(sourceReport(back.get(key)!, cfg)).toEqual(sourceReport(t.get(key)!, cfg));
  }
  console.log(`100k sources: snapshot ${(text.length / 1e6).toFixed(1)} MB (${Math.round(text.length / 100_000)} bytes/source)`);
  // Mostly one-packet sources: a few hundred bytes each, not kilobytes.
  expect(text.length / 100_000).toBeLessThan(1000);
}, 60_000);
