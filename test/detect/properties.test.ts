/** Invariants of the tracker, checked on random packet sequences (fast-check). */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { ScanTracker, createPacketFilter, loadFingerprints, shippedFingerprintsPath, sourceReports } from '../../src/detect/index.js';
import type { Packet } from '../../src/model/packet.js';
import type { SignatureHit } from '../../src/model/signature.js';
import { T0, cfgWith, pkt } from './packet-builder.js';

const cfg = cfgWith({ SCAN_TIMEOUT: 3600 });
const { db } = loadFingerprints(shippedFingerprintsPath(), cfg.MAX_HOPS);
const LINUX = '020405B40402080A61A19162000000000103030A';

const packetArb: fc.Arbitrary<Packet> = fc.record({
  v6: fc.boolean(),
  src: fc.integer({ min: 1, max: 4 }),
  dst: fc.integer({ min: 1, max: 14 }),
  proto: fc.constantFrom('tcp', 'tcp', 'tcp', 'udp', 'icmp', '47'),
  dport: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(23, 80, 443, 2323)),
  flags: fc.constantFrom(2, 2, 2, 1, 0, 41, 16, 17, 194, 4),
  window: fc.constantFrom(1024, 1025, 64240, 65535, 7),
  opts: fc.constantFrom('', '020405B4', LINUX),
  len: fc.constantFrom(40, 44, 60),
  id: fc.constantFrom(1, 54321, 777),
  ttl: fc.integer({ min: 30, max: 255 }),
  df: fc.constantFrom(0, 2),
  icmpType: fc.constantFrom(0, 3, 8, 13, 99),
  icmpCode: fc.constantFrom(0, 1, 20),
  seq: fc.constantFrom(-1, 0, 3325256705),
  chain: fc.constantFrom('INPUT', 'INPUT', 'FORWARD', 'OUTPUT'),
}).map((r) => {
  const icmp = r.proto === 'icmp';
  const src = r.v6 ? `2001:db8:${r.src}::${r.src}` : `203.0.113.${r.src}`;
  const dst = r.v6 ? `2001:db8:ff::${r.dst}` : `198.51.100.${r.dst}`;
  return pkt({
    src, dst, family: r.v6 ? 6 : 4, chain: r.chain as Packet['chain'],
    proto: icmp && r.v6 ? 'icmp6' : r.proto, protoNum: icmp ? (r.v6 ? 58 : 1) : r.proto === 'tcp' ? 6 : r.proto === 'udp' ? 17 : 47,
    dport: icmp || r.proto === '47' ? -1 : r.dport, tcpFlags: r.proto === 'tcp' ? r.flags : 0, window: r.window, tcpOpts: r.proto === 'tcp' ? r.opts : '',
    len: r.len, id: r.v6 ? -1 : r.id, ttl: r.ttl, ipFlags: r.v6 ? 0 : r.df, icmpType: icmp ? (r.v6 ? r.icmpType + 128 : r.icmpType) : -1,
    icmpCode: icmp ? r.icmpCode : -1, seq: r.seq,
  });
});

const hitsArb = fc.option(fc.array(fc.record({ sid: fc.integer({ min: 1, max: 3 }), msg: fc.constant('sig'), dl: fc.integer({ min: 0, max: 5 }), classtype: fc.constant('') }), { maxLength: 2 }), { nil: null, freq: 5 });

/** Groups of packets sharing one timestamp; gaps between groups from a second to two hours. */
const groupsArb = fc.array(fc.record({
  gap: fc.constantFrom(0, 1000, 60_000, 20 * 60_000, 2 * 3600_000),
  items: fc.array(fc.tuple(packetArb, hitsArb), { minLength: 1, maxLength: 12 }),
}), { minLength: 1, maxLength: 25 });

function run(groups: Array<{ gap: number; items: Array<[Packet, SignatureHit[] | null]> }>, onStep?: (t: ScanTracker, p: Packet) => void, t = new ScanTracker(cfg, { osFingerprints: db })): ScanTracker {
  const filter = createPacketFilter(cfg);
  let ts = T0;
  for (const g of groups) {
    ts += g.gap;
    for (const [p, hits] of g.items) {
      const q = { ...p, ts };
      if (filter(q) !== null) continue;
      t.observe(q, hits);
      onStep?.(t, q);
    }
  }
  return t;
}

/** The report without the fields that describe which packet raised the level, or which SYNs were fingerprinted first. */
function comparable(t: ScanTracker): unknown {
  return sourceReports(t, cfg, 0).map(({ reasons: _r, os: _o, osBasis: _b, ...rest }) => rest);
}

test('more packets never lower a level', () => {
  fc.assert(fc.property(groupsArb, (groups) => {
    const peak = new Map<string, number>();
    const current = new Map<string, { dl: number; last: number }>();
    run(groups, (t, p) => {
      const s = t.get(t.keyOf(p.src));
      expect(s).toBeDefined();
      if (s === undefined) return;
      expect(s.peakDl).toBeGreaterThanOrEqual(peak.get(s.key) ?? 0);
      peak.set(s.key, s.peakDl);
      const before = current.get(s.key);
      // Within one episode (no silence of SCAN_TIMEOUT) the current level never drops either.
      if (before !== undefined && p.ts - before.last <= cfg.SCAN_TIMEOUT * 1000) expect(s.dl).toBeGreaterThanOrEqual(before.dl);
      current.set(s.key, { dl: s.dl, last: s.lastSeen });
    });
  }), { numRuns: 150 });
});

test('the order of lines within one timestamp never changes the result', () => {
  fc.assert(fc.property(groupsArb.chain((groups) => fc.tuple(
    fc.constant(groups),
    fc.tuple(...groups.map((g) => fc.shuffledSubarray(g.items, { minLength: g.items.length, maxLength: g.items.length }))),
  )), ([groups, shuffled]) => {
    const a = comparable(run(groups));
    const b = comparable(run(groups.map((g, i) => ({ gap: g.gap, items: shuffled[i] as typeof g.items }))));
    expect(b).toEqual(a);
  }), { numRuns: 150 });
});

test('arbitrary field values never throw', () => {
  const anyPacket = fc.record({
    src: fc.oneof(fc.ipV4(), fc.ipV6().map((s) => s.toLowerCase())),
    dst: fc.oneof(fc.ipV4(), fc.ipV6()),
    protoNum: fc.integer({ min: -1, max: 255 }),
    dport: fc.integer({ min: -2, max: 70000 }),
    tcpFlags: fc.integer({ min: 0, max: 255 }),
    window: fc.integer({ min: -1, max: 65535 }),
    tcpOpts: fc.stringMatching(/^[0-9A-Fa-fZ]{0,40}$/),
    ipOpts: fc.stringMatching(/^[0-9A-F ]{0,60}$/),
    len: fc.integer({ min: -1, max: 70000 }),
    ttl: fc.integer({ min: -1, max: 255 }),
    id: fc.integer({ min: -1, max: 65535 }),
    icmpType: fc.integer({ min: -1, max: 255 }),
    icmpCode: fc.integer({ min: -1, max: 255 }),
    seq: fc.integer({ min: -1, max: 2 ** 32 - 1 }),
    ts: fc.oneof(fc.constant(Number.NaN), fc.integer({ min: 0, max: 2 ** 42 })),
    prefix: fc.string({ maxLength: 12 }),
  }).map((r) => pkt({ ...r, family: r.src.includes(':') ? 6 : 4, proto: String(r.protoNum) }));
  fc.assert(fc.property(fc.array(anyPacket, { maxLength: 40 }), (packets) => {
    const t = new ScanTracker(cfg, { osFingerprints: db });
    const filter = createPacketFilter(cfg);
    for (const p of packets) if (filter(p) === null) t.observe(p, null);
    expect(() => sourceReports(t, cfg, 0)).not.toThrow();
  }), { numRuns: 200 });
});

test('scan types: the in-place class order agrees with a sort by count, then class', async () => {
  const { scanTypes, CLASS_COUNT } = await import('../../src/detect/scan-class.js');
  const labels = [['SYN'], ['CONNECT'], ['FIN'], ['NULL'], ['XMAS'], ['ACK'], ['ACK', 'WINDOW'], ['MAIMON'], ['UDP'], ['ICMP'], [], []];
  // The order as it was worked out with Array.prototype.sort.
  const reference = (counts: number[], sweep: boolean, proto: boolean, minCount: number): string[] => {
    const out: string[] = [];
    if (sweep) out.push('SWEEP');
    if (proto) out.push('PROTO');
    const total = counts.reduce((a, b) => a + b, 0);
    const top = Math.max(0, ...counts);
    const order = counts.map((_, c) => c).filter((c) => counts[c]! > 0 && labels[c]!.length > 0);
    order.sort((a, b) => counts[b]! - counts[a]! || a - b);
    for (const c of order) {
      const n = counts[c]!;
      if (n < minCount || (n !== top && n * 20 < total)) continue;
      for (const t of labels[c]!) if (!out.includes(t)) out.push(t);
    }
    return out;
  };
  const count = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1000 }));
  fc.assert(fc.property(fc.array(count, { minLength: CLASS_COUNT, maxLength: CLASS_COUNT }), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 10 }), (counts, sweep, proto, min) => {
    expect(scanTypes(Uint32Array.from(counts), sweep, proto, min)).toEqual(reference(counts, sweep, proto, min));
  }), { numRuns: 500 });
});

test('the slow-scan ladder, checked only on packets that add a port, raises as checking every packet does', () => {
  // A tracker that imported state checks every packet (its sources' levels were not set by it): the reference.
  fc.assert(fc.property(groupsArb, (groups) => {
    const seen: string[][] = [[], []];
    const make = (i: number): ScanTracker => new ScanTracker(cfg, { osFingerprints: db, onLevelChange: (s, from, to, why) => seen[i]!.push(`${s.key} ${from}>${to} ${why}`) });
    const gated = run(groups, undefined, make(0));
    const reference = make(1);
    reference.importState(new ScanTracker(cfg).exportState());
    const every = run(groups, undefined, reference);
    expect(seen[0]).toEqual(seen[1]);
    expect(sourceReports(gated, cfg, 0)).toEqual(sourceReports(every, cfg, 0));
    expect(gated.exportState()).toEqual(every.exportState());
  }), { numRuns: 200 });
});

test('reasons: the first 15 and the latest are kept, as a list appended to and then capped would', async () => {
  const { SourceState, MAX_REASONS } = await import('../../src/detect/source-state.js');
  fc.assert(fc.property(fc.array(fc.string({ maxLength: 6 }), { maxLength: 40 }), (texts) => {
    const s = new SourceState('203.0.113.9', 4, false, T0, false);
    const model: string[] = [];
    for (const t of texts) {
      s.addReason(t);
      if (model.length < MAX_REASONS) model.push(t);
      else model[MAX_REASONS - 1] = t;
      expect(s.reasons).toEqual(model.length === 0 ? null : model);
    }
    if (texts.length === 0) expect(s.reasons).toBeNull();
  }), { numRuns: 300 });
});
