/**
 * Saving and restoring 100,000 tracked sources: the round trip keeps every
 * source's report, and the snapshot stays small per source (the daemon
 * writes it every STATE_SAVE_INTERVAL). Its time is measured by
 * `npm run bench` (state snapshot), not asserted here.
 * The mix: 90,000 one-packet sources (a spoofed flood), 9,000 sources with a
 * few packets to two hosts, 1,000 scanners sweeping 100 ports over 20 hosts.
 */
import { expect, test } from 'vitest';
import { ScanTracker, sourceReport } from '../../src/detect/index.js';
import type { Packet } from '../../src/model/packet.js';
import { T0, cfgWith, pkt } from './packet-builder.js';

const cfg = cfgWith({ MAX_TRACKED_SOURCES: 200_000 });

function addr(i: number): string {
  return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

function fill(t: ScanTracker): void {
  const p: Packet = pkt();
  const at = (src: string, dst: string, dport: number, ts: number): void => {
    p.src = src;
    p.dst = dst;
    p.dport = dport;
    p.ts = ts;
    t.observe(p, null);
  };
  for (let i = 0; i < 90_000; i++) at(addr(i), '198.51.100.1', 23, T0 + i);
  for (let i = 0; i < 9_000; i++) for (let k = 0; k < 5; k++) at(addr(100_000 + i), `198.51.100.${1 + (k & 1)}`, 22 + k, T0 + 100_000 + i * 5 + k);
  for (let i = 0; i < 1_000; i++) for (let k = 0; k < 100; k++) at(addr(200_000 + i), `198.51.100.${k % 20}`, 1 + k * 3, T0 + 200_000 + i * 100 + k);
}

test('100,000 sources: export, JSON, import keep every source, in bounded size', () => {
  const t = new ScanTracker(cfg);
  fill(t);
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
