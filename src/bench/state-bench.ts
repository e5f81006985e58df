/**
 * The tracked-source mix of the state snapshot figures (timings.ts) and of
 * the test that checks the snapshot's round trip: 90,000 one-packet sources
 * (a spoofed flood), 9,000 sources with a few packets to two hosts, and
 * 1,000 scanners sweeping 100 ports over 20 hosts.
 */
import type { Config } from '../config/keys/index.js';
import { ScanTracker } from '../detect/index.js';
import { benchPackets } from './signatures-bench.js';

/** The i-th source address of the mix (10.0.0.0/8). */
export function stateBenchAddr(i: number): string {
  return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

/** A tracker holding the 100,000 sources of the mix. */
export function stateBenchTracker(cfg: Config): ScanTracker {
  const t = new ScanTracker({ ...cfg, MAX_TRACKED_SOURCES: Math.max(cfg.MAX_TRACKED_SOURCES, 200_000) });
  const p = benchPackets(1)[0];
  if (p === undefined) throw new Error('no bench packet');
  const t0 = Date.UTC(2026, 0, 1);
  const at = (src: string, dst: string, dport: number, ts: number): void => {
    p.src = src;
    p.dst = dst;
    p.dport = dport;
    p.ts = ts;
    t.observe(p, null);
  };
  for (let i = 0; i < 90_000; i++) at(stateBenchAddr(i), '198.51.100.1', 23, t0 + i);
  for (let i = 0; i < 9_000; i++) for (let k = 0; k < 5; k++) at(stateBenchAddr(100_000 + i), `198.51.100.${1 + (k & 1)}`, 22 + k, t0 + 100_000 + i * 5 + k);
  for (let i = 0; i < 1_000; i++) for (let k = 0; k < 100; k++) at(stateBenchAddr(200_000 + i), `198.51.100.${k % 20}`, 1 + k * 3, t0 + 200_000 + i * 100 + k);
  return t;
}
