/**
 * MEMORY_BUDGET (src/daemon/memory-budget.ts): the source limit derived from
 * the budget, the heap check after full collections, and a spoofed flood far
 * beyond the limit while a real scan runs, counted packet by packet (no
 * clock and no real heap figure: the heap is given to check()).
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { ScanTracker } from '../../src/detect/index.js';
import { budgetSources, MemoryGuard, SOURCE_BYTES } from '../../src/daemon/memory-budget.js';
import type { Packet } from '../../src/model/packet.js';
import { parseLine, createParseContext } from '../../src/parse/index.js';

const MB = 1024 * 1024;
const T0 = Date.UTC(2026, 10, 21, 3, 0, 0);
const ctx = createParseContext({ year: 2026 });

function syn(src: string, dport: number, ts: number): Packet {
  const d = new Date(ts);
  const stamp = `Nov ${d.getUTCDate()} ${d.toISOString().slice(11, 19)}`;
  const r = parseLine(`${stamp} fw1 kernel: DROP IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 SRC=${src} DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=${dport} WINDOW=1024 RES=0x00 SYN URGP=0 `, ctx);
  if (r === null || typeof r !== 'object' || !('src' in r)) throw new Error('test line did not parse');
  return r as Packet;
}

/** The n-th spoofed source: distinct for every n below 2^24. */
function spoofed(n: number): string {
  const x = Math.imul(n + 1, 0x9e3779b1) & 0xffffff;
  return `11.${x >>> 16}.${(x >>> 8) & 255}.${x & 255}`;
}

describe('the source limit a budget allows', () => {
  it('is half the budget at SOURCE_BYTES a source, never above MAX_TRACKED_SOURCES nor below 100', () => {
    expect(SOURCE_BYTES).toBe(1024);
    expect(budgetSources(1024, 1_000_000)).toBe(524_288);
    expect(budgetSources(1024, 300_000)).toBe(300_000);
    expect(budgetSources(0, 1_000_000)).toBe(1_000_000);
    expect(budgetSources(1, 1_000_000)).toBe(512);
    expect(budgetSources(1, 100)).toBe(100);
  });
});

describe('a spoofed flood far beyond the limit while a real scan runs', () => {
  it('never tracks more than the limit, counts every eviction and keeps the scanner', () => {
    const t = new ScanTracker(defaultConfig());
    const limit = budgetSources(1, 1_000_000); // 512
    t.limit(limit);
    const flood = 40_000;
    let most = 0;
    let port = 1;
    for (let i = 0; i < flood; i++) {
      t.observe(syn(spoofed(i), 23, T0 + i), null);
      if (i % 100 === 0) t.observe(syn('203.0.113.77', port++, T0 + i), null);
      most = Math.max(most, t.size);
    }
    expect(most).toBeLessThanOrEqual(limit);
    // Every source seen is tracked or was evicted (nothing expires here): the count is exact.
    expect(t.stats.evicted + t.size).toBe(flood + 1);
    expect(t.stats.evicted).toBeGreaterThan(flood - limit);
    const scanner = t.get('203.0.113.77');
    expect(scanner?.packets).toBe(flood / 100);
    expect(scanner?.peakDl).toBeGreaterThanOrEqual(2);
  });
});

describe('the heap after a full collection', () => {
  function tracked(n: number): ScanTracker {
    const t = new ScanTracker(defaultConfig());
    t.limit(10_000);
    for (let i = 0; i < n; i++) t.observe(syn(spoofed(i), 23, T0 + i), null);
    for (let p = 1; p <= 200; p++) t.observe(syn('203.0.113.77', p, T0 + n + p), null);
    return t;
  }

  it('over 80% of the budget: the limit drops to 90% of the sources tracked, lowest level first', () => {
    const t = tracked(5000);
    const warned: string[] = [];
    const g = new MemoryGuard(100 * MB, 10_000, () => t, (m) => warned.push(m));
    expect(g.check(79 * MB)).toBe(0);
    expect(t.maxSources).toBe(10_000);
    const before = t.stats.evicted;
    const n = g.check(81 * MB);
    expect(n).toBe(501);
    expect(t.size).toBe(4500);
    expect(t.maxSources).toBe(4500);
    expect(t.stats.evicted - before).toBe(501);
    expect(t.get('203.0.113.77')?.peakDl).toBeGreaterThanOrEqual(2);
    expect(g.cuts).toBe(1);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/MEMORY_BUDGET 100 MB.*tracking at most 4500 sources now \(501 forgotten/);
  });

  it('under half the budget: the limit grows back a tenth at a time, never past what the budget allows by count', () => {
    const t = tracked(5000);
    const g = new MemoryGuard(100 * MB, 6000, () => t, () => undefined);
    g.check(90 * MB);
    expect(t.maxSources).toBe(4500);
    g.check(60 * MB); // between half and 80%: unchanged
    expect(t.maxSources).toBe(4500);
    g.check(10 * MB);
    expect(t.maxSources).toBe(4950);
    g.check(10 * MB);
    g.check(10 * MB);
    g.check(10 * MB);
    expect(t.maxSources).toBe(6000);
    expect(t.size).toBe(4500); // raising the limit evicts nothing and invents nothing
  });
});
