/**
 * Importing saved state into a tracker built with another configuration, as
 * a SIGHUP reload does (the state moves from the old tracker to the new one
 * without JSON) and a restart with an edited config file does: the saved
 * sources keep their levels and counters, no level change is reported, and
 * the new settings apply from then on.
 */
import { describe, expect, test } from 'vitest';
import { ScanTracker, loadFingerprints, shippedFingerprintsPath, sourceReport } from '../../src/detect/index.js';
import type { Packet } from '../../src/model/packet.js';
import { T0, cfgWith, icmp, pkt, portScan } from './packet-builder.js';

function tracker(values: Record<string, string | number> = {}, events: string[] = []): ScanTracker {
  return new ScanTracker(cfgWith(values), { onLevelChange: (s, from, to) => events.push(`${s.key} ${from}->${to}`) });
}

function observeAll(t: ScanTracker, list: readonly Packet[]): void {
  for (const p of list) t.observe(p, null);
}

describe('import into a tracker with another configuration', () => {
  test('a lower MAX_TRACKED_SOURCES evicts at once, lowest level and oldest first', () => {
    const old = tracker();
    // 250 one-packet sources, then 50 scanners reaching DL2 (15 packets to one host).
    observeAll(old, Array.from({ length: 250 }, (_, i) => pkt({ src: `192.0.2.${i}`, ts: T0 + i * 1000 })));
    for (let i = 0; i < 50; i++) observeAll(old, portScan(15, { src: `203.0.113.${i}`, ts: T0 + 300_000 }));
    expect(old.size).toBe(300);
    const events: string[] = [];
    const small = tracker({ MAX_TRACKED_SOURCES: 100 }, events);
    small.importState(JSON.parse(JSON.stringify(old.exportState())));
    expect(small.size).toBe(100);
    expect(small.stats).toEqual({ tracked: 100, evicted: 200, expired: 0 });
    const kept = [...small.sources()];
    expect(kept.filter((s) => s.peakDl >= 2).length).toBe(50);
    // The one-packet sources kept are the 50 seen last.
    expect(kept.filter((s) => s.peakDl === 0).map((s) => s.key).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `192.0.2.${200 + i}`).sort());
    expect(events).toEqual([]);
  });

  test('changed thresholds apply to the next packets, not to the import', () => {
    const scan = portScan(12, { dst: '198.51.100.9' });
    const old = tracker();
    observeAll(old, scan.slice(0, 10));
    expect(old.get('203.0.113.7')?.dl).toBe(1);
    const events: string[] = [];
    const stricter = tracker({ DANGER_LEVEL2: 11 }, events);
    stricter.importState(old.exportState());
    expect(events).toEqual([]);
    expect(stricter.get('203.0.113.7')?.dl).toBe(1);
    observeAll(stricter, scan.slice(10, 11));
    expect(events).toEqual(['203.0.113.7 1->2']);
    observeAll(old, scan.slice(10, 11));
    expect(old.get('203.0.113.7')?.dl).toBe(1); // the old settings need 15
  });

  test('turning ENABLE_PERSISTENCE off lets the saved sources expire', () => {
    const old = tracker({ ENABLE_PERSISTENCE: 'Y' });
    observeAll(old, portScan(20));
    expect(old.expire(T0 + 86_400_000)).toBe(0);
    const next = tracker({ ENABLE_PERSISTENCE: 'N', SCAN_TIMEOUT: 3600, SLOW_SCAN_WINDOW: 0 });
    next.importState(old.exportState());
    expect(next.expire(T0 + 86_400_000)).toBe(1);
    expect(next.size).toBe(0);
    expect(next.stats.expired).toBe(1);
  });

  test('a changed aggregation prefix keeps the saved keys and tracks new packets under the new ones', () => {
    const old = tracker({ IPV6_AGGREGATE_PREFIX: 64 });
    observeAll(old, [icmp({ src: '2001:db8:1:2::5' }), icmp({ src: '2001:db8:1:2::6' })]);
    const next = tracker({ IPV6_AGGREGATE_PREFIX: 128 });
    next.importState(old.exportState());
    const before = next.get('2001:db8:1:2::/64');
    expect(before?.addresses).toEqual(['2001:db8:1:2::5', '2001:db8:1:2::6']);
    observeAll(next, [icmp({ src: '2001:db8:1:2::5', ts: T0 + 1000 })]);
    expect(next.get('2001:db8:1:2::5')?.packets).toBe(1);
    expect(next.get('2001:db8:1:2::/64')?.packets).toBe(2);
  });

  test('an OS guess whose fingerprint file is gone keeps its label', () => {
    const cfg = cfgWith();
    const linuxSyn = pkt({ tcpOpts: '020405B40402080A61A19162000000000103030A', window: 64240, ttl: 60, ipFlags: 2, len: 60 });
    const { db } = loadFingerprints(shippedFingerprintsPath(), cfg.MAX_HOPS);
    const old = new ScanTracker(cfg, { osFingerprints: db });
    old.observe(linuxSyn, null);
    const label = old.get('203.0.113.7')?.osGuess?.fp.label;
    expect(label).toBeTruthy();
    const next = new ScanTracker(cfg);
    next.importState(JSON.parse(JSON.stringify(old.exportState())));
    const restored = next.get('203.0.113.7');
    const original = old.get('203.0.113.7');
    if (restored === undefined || original === undefined) throw new Error('source missing');
    expect(sourceReport(restored, cfg).os).toBe(label);
    expect(sourceReport(restored, cfg)).toEqual(sourceReport(original, cfg));
  });

  test('the reload hand-over (no JSON in between) shares nothing with the old tracker', () => {
    const old = tracker();
    observeAll(old, portScan(10));
    const next = tracker();
    next.importState(old.exportState());
    const saved = JSON.stringify(next.exportState());
    observeAll(old, portScan(30, { ts: T0 + 20_000 }, 100));
    expect(JSON.stringify(next.exportState())).toBe(saved);
  });
});
