/**
 * The storage under the source table: ChunkedList (its first-seen order, in
 * chunks of 16,384) and the 48-byte rows of packed sources, which leave out
 * what one packet makes of its destination (its last second is the row's
 * second, or 0 before the epoch; its port range the one port, or none).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkedList } from '../../src/detect/chunked-list.js';
import { EPOCH_MS } from '../../src/detect/event-seconds.js';
import { ScanTracker } from '../../src/detect/scan-tracker.js';
import { sourceReports } from '../../src/detect/source-report.js';
import { cfgWith, icmp, pkt } from './packet-builder.js';

describe('ChunkedList', () => {
  it('reads back what was pushed and set, across chunk boundaries', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60_000 }), fc.array(fc.nat(), { maxLength: 50 }), (n, sets) => {
        const l = new ChunkedList<number | string | null>();
        const ref: Array<number | string | null> = [];
        for (let i = 0; i < n; i++) {
          const v = i % 3 === 0 ? `s${i}` : i;
          l.push(v);
          ref.push(v);
        }
        for (const k of sets) {
          if (n === 0) break;
          l.set(k % n, null);
          ref[k % n] = null;
        }
        expect(l.length).toBe(n);
        for (let i = 0; i < n; i += 97) expect(l.at(i)).toBe(ref[i]);
        if (n > 0) expect(l.at(n - 1)).toBe(ref[n - 1]);
        expect(l.toArray()).toEqual(ref);
      }),
      { numRuns: 40 },
    );
  });
});

describe('packed rows', () => {
  const cfg = cfgWith({ MAX_TRACKED_SOURCES: 100000, SLOW_SCAN_WINDOW: 0 });
  const saved = (t: ScanTracker): string => JSON.stringify(t.exportState());

  it('one-packet sources before the epoch, at second 0, to port 0 and without ports pack and read back as they were', () => {
    const packed = new ScanTracker(cfg);
    const plain = new ScanTracker(cfg, { packSources: false });
    const times = [EPOCH_MS - 5000.5, EPOCH_MS - 1, EPOCH_MS, EPOCH_MS + 999.75, EPOCH_MS + 1000, Date.UTC(2026, 0, 1, 0, 0, 7, 250)];
    let n = 0;
    for (const ts of times) {
      for (const dport of [0, 1, 65535]) {
        n++;
        const p = pkt({ src: `192.0.2.${n}`, dport, ts });
        packed.observe(p, null);
        plain.observe(p, null);
      }
      n++;
      const q = icmp({ src: `192.0.2.${n}`, ts });
      packed.observe(q, null);
      plain.observe(q, null);
      n++;
      const u = pkt({ src: `2001:db8:${n}::1`, dst: '2001:db8::2', proto: 'udp', dport: 0, ts });
      packed.observe(u, null);
      plain.observe(u, null);
    }
    expect(packed.packedSources).toBe(n);
    expect(saved(packed)).toBe(saved(plain));
    expect(JSON.stringify(sourceReports(packed, cfg, 0))).toBe(JSON.stringify(sourceReports(plain, cfg, 0)));
    // Unpacked for good by get(): each field as the object had it.
    for (let i = 1; i <= n; i++) {
      const key = packed.keyOf(i % 5 === 0 ? `2001:db8:${i}::1` : `192.0.2.${i}`);
      const a = packed.get(key);
      const b = plain.get(key);
      expect(a?.dstSeen).toBe(b?.dstSeen);
      expect([a?.portMin, a?.portMax]).toEqual([b?.portMin, b?.portMax]);
    }
    expect(packed.packedSources).toBe(0);
    expect(saved(packed)).toBe(saved(plain));
  });
});
