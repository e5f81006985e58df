/**
 * A save's sources read ahead on the event loop (read-ahead.ts): the writer
 * gets every slice once and in order whether it was read ahead or not; the
 * reading starts before the writer asks, stays within its bound, stops with
 * stop(), and a source that fails fails the writer's next call. Through
 * writeSnapshot with the real tracker and disk, a save while packets arrive
 * between turns still restores the moment it began.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { readAhead } from '../../src/daemon/read-ahead.js';
import { exportScan, importScan, snapshotScan } from '../../src/daemon/scan-persistence.js';
import { openState, type DaemonState, type SourceLines } from '../../src/daemon/state-file.js';
import { writeSnapshot } from '../../src/daemon/state-saver.js';
import { GlobalCounters, ScanTracker } from '../../src/detect/index.js';
import { pkt, T0 } from '../detect/packet-builder.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** `n` numbered items of `size` characters, handed out as asked; counts the calls and what was pulled. */
function numbered(n: number, size = 10): SourceLines & { pulled: number; calls: number } {
  let at = 0;
  const src = {
    pulled: 0,
    calls: 0,
    next(max: number, maxChars = Number.POSITIVE_INFINITY): string[] | null {
      src.calls++;
      if (at >= n) return null;
      const out: string[] = [];
      let chars = 0;
      while (at < n && out.length < max && chars < maxChars) {
        const s = String(at++).padStart(size, '0');
        chars += s.length;
        out.push(s);
      }
      src.pulled = at;
      return out;
    },
  };
  return src;
}

async function drain(lines: SourceLines, turnsBetween: number): Promise<string[]> {
  const all: string[] = [];
  for (let got = lines.next(100, 1000); got !== null; got = lines.next(100, 1000)) {
    all.push(...got);
    for (let t = 0; t < turnsBetween; t++) await tick();
  }
  return all;
}

describe('readAhead', () => {
  it('hands out every item once and in order, read ahead or not', async () => {
    const want = Array.from({ length: 5000 }, (_, i) => String(i).padStart(10, '0'));
    for (const [turns, turnMs] of [[0, 0], [1, 0], [5, 0], [1, 1e9]] as const) {
      const r = readAhead(numbered(5000), { sliceChars: 300, sliceSources: 7, maxChars: 2000, turnMs });
      expect(await drain(r, turns)).toEqual(want);
      r.stop();
    }
  });

  it('reads ahead before it is asked, within its bound, and not after stop()', async () => {
    const src = numbered(100_000);
    const r = readAhead(src, { sliceChars: 100, sliceSources: 1000, maxChars: 1000, turnMs: 0 });
    expect(src.pulled).toBe(0);
    for (let t = 0; t < 50; t++) await tick();
    // 10 items of 10 characters per slice, until 1000 characters wait.
    expect(src.pulled).toBe(100);
    expect(r.next(5, 1000)).toHaveLength(10);
    for (let t = 0; t < 5; t++) await tick();
    expect(src.pulled).toBe(110);
    r.stop();
    const calls = src.calls;
    for (let t = 0; t < 5; t++) await tick();
    expect(src.calls).toBe(calls);
  });

  it('reads slices on in one turn while its time lasts, up to its bound', async () => {
    const src = numbered(100_000);
    const r = readAhead(src, { sliceChars: 100, sliceSources: 1000, maxChars: 1000, turnMs: 1e9 });
    await tick();
    expect(src.pulled).toBe(100);
    r.stop();
  });

  it('a slice the writer pulls itself is no longer than those read ahead', () => {
    const r = readAhead(numbered(1000), { sliceChars: 50, sliceSources: 3, maxChars: 1000, turnMs: 0 });
    expect(r.next(100, 10_000)).toHaveLength(3);
    r.stop();
  });

  it('gives a failure of the source to the writer once the slices before it are taken', async () => {
    let calls = 0;
    const src: SourceLines = {
      next: () => {
        if (++calls > 2) throw new Error('the snapshot has ended');
        return ['a', 'b'];
      },
    };
    const r = readAhead(src, { sliceChars: 100, sliceSources: 10, maxChars: 1000, turnMs: 0 });
    for (let t = 0; t < 5; t++) await tick();
    expect(r.next(10, 100)).toEqual(['a', 'b']);
    expect(r.next(10, 100)).toEqual(['a', 'b']);
    expect(() => r.next(10, 100)).toThrow('the snapshot has ended');
    r.stop();
  });
});

describe('writeSnapshot with read-ahead', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsad-read-ahead-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a save while packets arrive between turns restores the moment it began', async () => {
    const cfg = { ...defaultConfig(), MAX_TRACKED_SOURCES: 100_000 };
    const tracker = new ScanTracker(cfg);
    const counters = new GlobalCounters();
    let t = T0;
    const feed = (i: number, port: number): void => {
      const p = pkt({ src: `10.0.${(i >> 8) & 255}.${i & 255}`, dport: port, ts: (t += 10) });
      tracker.observe(p, null);
      counters.observe(p, null);
    };
    // Busy sources (hundreds of ports: some KB each) first, as a stream of lines keeps them.
    for (let i = 0; i < 3000; i++) for (let k = 0; k < (i < 100 ? 600 : 1); k++) feed(i, 1 + k * 37);
    const before = JSON.stringify(exportScan(tracker, counters));
    const parts = snapshotScan(tracker, counters);
    let done = false;
    let arrived = 0;
    const arrive = (): void => {
      if (done) return;
      for (let j = 0; j < 20; j++) feed((arrived++ * 7) % 4000, 40_000 + (arrived % 1000));
      setImmediate(arrive);
    };
    setImmediate(arrive);
    const state: DaemonState = { version: 1, savedAt: new Date(T0).toISOString(), pid: 1, positions: {}, pipeline: { lines: 0, firewallLines: 0, packets: 0, skipped: {}, firstSeen: null, lastSeen: null }, extensions: {}, lastFirewallLineAt: null, scan: parts.scan, counters: parts.counters };
    try {
      await writeSnapshot(dir, { state, sources: parts.sources });
    } finally {
      done = true;
    }
    expect(arrived).toBeGreaterThan(0);
    expect(JSON.stringify(exportScan(tracker, counters))).not.toBe(before);
    const o = openState(dir);
    expect(o.problem).toBeNull();
    const back = { tracker: new ScanTracker(cfg), counters: new GlobalCounters() };
    expect(importScan(back.tracker, back.counters, o.state as DaemonState, () => undefined, o.sources)).toBe(true);
    expect(JSON.stringify(exportScan(back.tracker, back.counters))).toBe(before);
  });
});
