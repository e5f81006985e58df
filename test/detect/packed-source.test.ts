/**
 * One-packet sources packed into rows of typed arrays (compact-sources.ts)
 * answer every question as the SourceState they replace: a tracker that
 * packs and one that does not (packSources: false) reach the same saved
 * state and the same reports, through second packets (the row becomes an
 * object again), eviction, expiry, save and restore, and state snapshots.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Config } from '../../src/config/keys/index.js';
import { ScanTracker } from '../../src/detect/scan-tracker.js';
import { sourceReports } from '../../src/detect/source-report.js';
import type { Packet } from '../../src/model/packet.js';
import type { SignatureHit } from '../../src/model/signature.js';
import { T0, cfgWith, icmp, pkt } from './packet-builder.js';

const hit = (sid: number, dl: number, role: SignatureHit['role'] = 'level'): SignatureHit => ({ sid, msg: `rule ${sid}`, dl, classtype: 'attempted-recon', role } as SignatureHit);

/** Both trackers, fed the same packets. */
function pair(cfg: Config): { packed: ScanTracker; plain: ScanTracker; feed: (p: Packet, hits?: SignatureHit[] | null) => void } {
  const packed = new ScanTracker(cfg);
  const plain = new ScanTracker(cfg, { packSources: false });
  return {
    packed,
    plain,
    feed: (p, hits = null) => {
      packed.observe(p, hits);
      plain.observe(p, hits);
    },
  };
}

const saved = (t: ScanTracker): string => JSON.stringify(t.exportState());

function expectSame(a: ScanTracker, b: ScanTracker, cfg: Config): void {
  expect(saved(a)).toBe(saved(b));
  expect(JSON.stringify(sourceReports(a, cfg, 0))).toBe(JSON.stringify(sourceReports(b, cfg, 0)));
  expect(JSON.stringify(sourceReports(a, cfg, 1))).toBe(JSON.stringify(sourceReports(b, cfg, 1)));
  expect([...a.levelCounts()]).toEqual([...b.levelCounts()]);
  expect(a.stats).toEqual(b.stats);
}

/** One packet each of many kinds: IPv4 and IPv6 (a /64 key with its address), tcp, udp, icmp, outbound, forward, signatures. */
function variety(i: number): [Packet, SignatureHit[] | null] {
  const ts = T0 + i * 1000 + (i % 7) * 0.25;
  switch (i % 8) {
    case 0: return [pkt({ src: `192.0.2.${i % 250}`, dport: 1 + i, ts }), null];
    case 1: return [pkt({ src: `2001:db8:${i.toString(16)}::5`, dst: '2001:db8::1', dport: 80, ts }), [hit(1000, 1, 'label')]];
    case 2: return [pkt({ src: `198.51.${i % 250}.9`, proto: 'udp', dport: 53, ts }), null];
    case 3: return [icmp({ src: `203.0.${i % 250}.3`, ts }), null];
    case 4: return [pkt({ src: `10.1.${i % 250}.4`, chain: 'OUTPUT', dport: 443, ts }), null];
    case 5: return [pkt({ src: `10.2.${i % 250}.5`, chain: 'FORWARD', dport: 8080, ts }), [hit(1001, 2, 'label'), hit(1002, 1, 'service')]];
    case 6: return [pkt({ src: `100.64.${i % 250}.6`, dst: `198.51.100.${i % 200}`, dport: 23, ttl: 250, ts }), null];
    default: return [icmp({ src: `fe80::${i.toString(16)}`, ts }), null];
  }
}

describe('packed one-packet sources', () => {
  // Without the slow-scan horizon: a source sending from inside (OUTPUT, FORWARD) keeps no ports apart and packs too.
  const cfg = cfgWith({ MAX_TRACKED_SOURCES: 100000, SLOW_SCAN_WINDOW: 0 });

  test('one packet each: packed, and the same saved state and reports (--min-dl 0 lists them identically)', () => {
    const { packed, plain, feed } = pair(cfg);
    for (let i = 0; i < 400; i++) feed(...variety(i));
    expect(packed.packedSources).toBe(400);
    expect(plain.packedSources).toBe(0);
    expect(packed.size).toBe(400);
    expectSame(packed, plain, cfg);
    // IPv6 sources are packed too, with their /64 key and address.
    const v6 = [...packed.sources()].find((s) => s.family === 6 && s.addresses !== null);
    expect(v6?.key).toMatch(/^2001:db8:[0-9a-f]+::\/64$/);
    expect(v6?.addresses).toHaveLength(1);
    // With the slow-scan horizon a local source keeps its outside ports apart (a rare part): an object, and still the same answers.
    const slow = cfgWith({ MAX_TRACKED_SOURCES: 100000 });
    const both = pair(slow);
    for (let i = 0; i < 400; i++) both.feed(...variety(i));
    expect(both.packed.packedSources).toBe(300);
    expectSame(both.packed, both.plain, slow);
  });

  test('the object of a packed source is renewed for the next new source, as new', () => {
    const { packed, plain, feed } = pair(cfg);
    const first = packed.observe(pkt({ src: '192.0.2.1' }), [hit(7, 2, 'label'), hit(8, 1, 'label')]);
    plain.observe(pkt({ src: '192.0.2.1' }), [hit(7, 2, 'label'), hit(8, 1, 'label')]);
    expect(packed.packedSources).toBe(1);
    const next = packed.observe(icmp({ src: '2001:db8:5::1', dst: '2001:db8::1', ts: T0 + 1500.5 }), null);
    plain.observe(icmp({ src: '2001:db8:5::1', dst: '2001:db8::1', ts: T0 + 1500.5 }), null);
    expect(next).toBe(first);
    expect(next.key).toBe('2001:db8:5::/64');
    expect(next.signatures).toBeNull();
    expect(next.packets).toBe(1);
    for (let i = 0; i < 50; i++) feed(...variety(i));
    expectSame(packed, plain, cfg);
  });

  test('a second packet makes the row an object again, which stays the tracked one', () => {
    const { packed, plain, feed } = pair(cfg);
    for (let i = 0; i < 200; i++) feed(...variety(i));
    for (let i = 0; i < 200; i += 3) {
      const [p, h] = variety(i);
      feed({ ...p, ts: p.ts + 5000, dport: p.dport >= 0 ? p.dport + 1 : p.dport }, h);
    }
    expect(packed.packedSources).toBe(200 - 67);
    expectSame(packed, plain, cfg);
    const key = packed.keyOf(variety(3)[0].src);
    const s = packed.get(key);
    expect(s?.packets).toBe(2);
    expect(packed.get(key)).toBe(s);
    // get() of a packed source unpacks it for good (a raise changes it).
    const one = packed.keyOf(variety(1)[0].src);
    packed.raise(one, 3, 'manual');
    plain.raise(one, 3, 'manual');
    expect(packed.get(one)?.dl).toBe(3);
    expectSame(packed, plain, cfg);
  });

  test('eviction and expiry treat packed sources as the objects they replace', () => {
    const small = cfgWith({ MAX_TRACKED_SOURCES: 100, SCAN_TIMEOUT: 60, SLOW_SCAN_WINDOW: 0 });
    const { packed, plain, feed } = pair(small);
    for (let i = 0; i < 350; i++) feed(...variety(i));
    expect(packed.stats.evicted).toBeGreaterThan(0);
    expect(packed.size).toBeLessThanOrEqual(100);
    expectSame(packed, plain, small);
    const now = T0 + 300 * 1000;
    expect(packed.expire(now)).toBe(plain.expire(now));
    expect(packed.size).toBeGreaterThan(0);
    expectSame(packed, plain, small);
  });

  test('saved state round-trips: restored one-packet sources are packed again and save the same', () => {
    const { packed, plain, feed } = pair(cfg);
    for (let i = 0; i < 300; i++) feed(...variety(i));
    const state = JSON.parse(saved(packed)) as unknown;
    const back = new ScanTracker(cfg);
    back.importState(state);
    expect(back.packedSources).toBe(300);
    expectSame(back, plain, cfg);
    // An unpacking tracker restores the same, and later packets agree.
    const other = new ScanTracker(cfg, { packSources: false });
    other.importState(state);
    for (let i = 0; i < 300; i += 2) {
      const [p, h] = variety(i);
      back.observe({ ...p, ts: p.ts + 9000 }, h);
      other.observe({ ...p, ts: p.ts + 9000 }, h);
    }
    expectSame(back, other, cfg);
  });

  test('a snapshot written while packed sources get second packets holds them as they were', () => {
    const { packed, feed } = pair(cfg);
    for (let i = 0; i < 200; i++) feed(...variety(i));
    const before = packed.exportState();
    const snap = packed.beginSnapshot();
    const first = snap.next(50);
    // Second packets for sources not written yet, and new sources: the snapshot keeps the moment it began.
    for (let i = 100; i < 200; i++) feed(...variety(i));
    for (let i = 1000; i < 1050; i++) feed(...variety(i));
    const texts = [...(first ?? [])];
    for (let part = snap.next(40); part !== null; part = snap.next(40)) texts.push(...part);
    packed.endSnapshot(snap);
    expect(texts.map((t) => JSON.parse(t) as unknown)).toEqual(before.sources);
    // And the next snapshot has the sources as they are now.
    const now = packed.exportState();
    const snap2 = packed.beginSnapshot();
    const texts2: string[] = [];
    for (let part = snap2.next(64); part !== null; part = snap2.next(64)) texts2.push(...part);
    packed.endSnapshot(snap2);
    expect(texts2.map((t) => JSON.parse(t) as unknown)).toEqual(now.sources);
  });

  test('random packets: packing never changes the state or the reports', () => {
    const packet = fc.record({
      src: fc.constantFrom('192.0.2.1', '192.0.2.2', '192.0.2.3', '198.51.100.7', '2001:db8:1::1', '2001:db8:1::2', 'fe80::9', '10.0.0.5'),
      dst: fc.constantFrom('198.51.100.1', '198.51.100.2', '2001:db8::1'),
      proto: fc.constantFrom('tcp', 'udp', 'icmp', 'sctp'),
      dport: fc.integer({ min: 0, max: 70 }),
      chain: fc.constantFrom('INPUT', 'INPUT', 'OUTPUT', 'FORWARD'),
      dt: fc.integer({ min: 0, max: 400_000 }),
      sigs: fc.integer({ min: 0, max: 3 }),
    });
    const tcfg = cfgWith({ MAX_TRACKED_SOURCES: 100, SCAN_TIMEOUT: 120, HOME_NET: '10.0.0.0/8' });
    fc.assert(fc.property(fc.array(packet, { maxLength: 120 }), (list) => {
      const { packed, plain, feed } = pair(tcfg);
      let ts = T0;
      for (const x of list) {
        ts += x.dt;
        const v6 = x.src.includes(':');
        const dst = v6 === x.dst.includes(':') ? x.dst : v6 ? '2001:db8::1' : '198.51.100.1';
        const base = { src: x.src, dst, chain: x.chain, ts };
        const p = x.proto === 'icmp' ? icmp(base) : pkt({ ...base, proto: x.proto, dport: x.dport });
        const hits = x.sigs === 0 ? null : Array.from({ length: x.sigs }, (_, k) => hit(2000 + k, 1 + k, 'label'));
        feed(p, hits);
      }
      expectSame(packed, plain, tcfg);
    }), { numRuns: 150 });
  });
});
