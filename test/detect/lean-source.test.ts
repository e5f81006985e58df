/**
 * The compact forms of a source's state read back as the fields they
 * replaced: a plain IPv4 key kept as a number (prefixes, IPv6 and
 * non-canonical keys as text), the table's counters derived from its own
 * first destination until it keeps them, the chains derived from the packet
 * count until a packet does not come in, and the second of tcp/udp/icmp kept
 * apart from the first.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DestinationTable } from '../../src/detect/destination-table.js';
import { ScanTracker } from '../../src/detect/scan-tracker.js';
import { SourceState } from '../../src/detect/source-state.js';
import { SourceTable } from '../../src/detect/source-table.js';
import type { Direction } from '../../src/model/packet.js';
import { T0, cfgWith, pkt } from './packet-builder.js';

const source = (key: string, family: 4 | 6 = 4, prefix = false): SourceState => new SourceState(key, family, prefix, T0, false);

describe('source keys', () => {
  test('a plain IPv4 key is kept as its number and reads back as text', () => {
    for (const [key, n] of [['192.0.2.1', 0xc0000201], ['0.0.0.0', 0], ['255.255.255.255', 0xffffffff], ['10.0.0.1', 0x0a000001]] as const) {
      const s = source(key);
      expect(s.key).toBe(key);
      expect(s.v4Key).toBe(n);
      expect(s.family).toBe(4);
    }
  });

  test('prefixes, IPv6 and non-canonical text stay text', () => {
    for (const [key, family, prefix] of [['192.0.2.0/24', 4, true], ['2001:db8::1', 6, false], ['2001:db8:1:2::/64', 6, true], ['::ffff:192.0.2.1', 6, false], ['010.0.0.1', 4, false]] as const) {
      const s = source(key, family, prefix);
      expect(s.key).toBe(key);
      expect(s.v4Key).toBe(-1);
      expect(s.family).toBe(family);
      expect(s.addresses).toEqual(prefix ? [] : null);
    }
  });

  test('any IPv4 address round-trips through the number', () => {
    fc.assert(fc.property(fc.ipV4(), (a) => {
      expect(source(a).key).toBe(a);
    }), { numRuns: 500 });
  });

  test('the tracker keys IPv4 by address, aggregates prefixes and IPv6 /64, and finds and evicts them by key', () => {
    const t = new ScanTracker(cfgWith({ IPV4_AGGREGATE_PREFIX: 24, MAX_TRACKED_SOURCES: 100 }));
    t.observe(pkt({ src: '192.0.2.7' }), null);
    t.observe(pkt({ src: '192.0.2.9' }), null);
    t.observe(pkt({ src: '2001:db8:1:2::5', family: 6 }), null);
    t.observe(pkt({ src: '2001:db8:1:2::6', family: 6 }), null);
    expect([...t.sources()].map((s) => [s.key, s.packets, s.addresses])).toEqual([
      ['192.0.2.0/24', 2, ['192.0.2.7', '192.0.2.9']],
      ['2001:db8:1:2::/64', 2, ['2001:db8:1:2::5', '2001:db8:1:2::6']],
    ]);
    const plain = new ScanTracker(cfgWith({ MAX_TRACKED_SOURCES: 100 }));
    for (let i = 0; i < 150; i++) plain.observe(pkt({ src: `198.51.100.${i}`, ts: T0 + i }), null);
    plain.observe(pkt({ src: '198.51.100.149', ts: T0 + 200 }), null);
    // Eviction removed the oldest, by number: the newest is still found and counted once.
    expect(plain.size).toBeLessThanOrEqual(100);
    expect(plain.get('198.51.100.149')?.packets).toBe(2);
    expect(plain.get('198.51.100.0')).toBeUndefined();
    expect(new Set([...plain.sources()].map((s) => s.key)).size).toBe(plain.size);
  });

  test('a source table finds, removes and compacts sources kept by number', () => {
    const t = new SourceTable();
    const all = Array.from({ length: 3000 }, (_, i) => source(`10.${i >> 8}.${i & 255}.1`));
    for (const s of all) t.add(s);
    for (let i = 0; i < 2500; i++) expect(t.remove(all[i] as SourceState)).toBe(true);
    t.add(source('192.0.2.1'));
    expect(t.size).toBe(501);
    for (let i = 2500; i < 3000; i++) expect(t.get((all[i] as SourceState).key)).toBe(all[i]);
    expect(t.remove(all[0] as SourceState)).toBe(false);
  });
});

describe('destination table counters', () => {
  test('derived from the own destination, then kept, agree with counting', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 30 }), fc.boolean()), { maxLength: 60 }), (steps) => {
      const t = new DestinationTable();
      let ts = 0;
      let peak = 0;
      const seen = new Set<string>();
      for (const [dst, gap, reset] of steps) {
        ts += gap;
        if (reset && ts % 7 === 0) {
          t.reset();
          continue;
        }
        const d = t.touch(`d${dst}`, ts, ts - 50, 3);
        if (d !== null) {
          d.dstSeen = ts;
          d.dstPackets++;
          t.noteCount(d.dstPackets);
          const was = d.like;
          d.like = d.dstPackets % 2 === 1;
          if (d.like !== was) t.likeChanged(d);
          if (!d.qualified && d.dstPackets >= 2) {
            d.qualified = true;
            t.markQualified(d);
          }
        }
        seen.add(`d${dst}`);
        const snap = t.tableSnapshot();
        const live = snap.entries.map((e) => e[1]);
        expect(t.active).toBe(live.length);
        expect(t.qualifiedDsts).toBe(live.filter((x) => x.qualified).length);
        expect(t.sweepLike).toBe(live.filter((x) => x.like).length);
        expect(t.maxActivePackets()).toBe(Math.max(0, ...live.map((x) => x.dstPackets)));
        peak = Math.max(peak, live.length);
        expect(t.peak).toBe(peak);
        if (t.exact) expect(t.distinct()).toBe(seen.size);
        // A restored copy reads the same.
        const copy = new DestinationTable();
        if (snap.entries.some((e) => e[1] === t)) {
          copy.dstPackets = t.dstPackets;
          copy.dstSeen = t.dstSeen;
          copy.qualified = t.qualified;
          copy.like = t.like;
        }
        copy.restoreTable({ ...snap, entries: snap.entries.map(([k, x]) => [k, x === t ? copy : x]) });
        expect([copy.active, copy.peak, copy.qualifiedDsts, copy.sweepLike, copy.distinct(), copy.overflowPackets]).toEqual([t.active, t.peak, t.qualifiedDsts, t.sweepLike, t.distinct(), t.overflowPackets]);
      }
    }), { numRuns: 300 });
  });

  test('a protocol count follows the protocols added', () => {
    const t = new DestinationTable();
    expect(t.protocols).toBe(0);
    for (const [n, added, count] of [[6, true, 1], [6, false, 1], [17, true, 2], [200, true, 3], [17, false, 3]] as const) {
      expect(t.addProtocol(n)).toBe(added);
      expect(t.protocols).toBe(count);
    }
    t.clearDestination();
    expect(t.protocols).toBe(0);
  });
});

describe('source parts', () => {
  test('packets per chain', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom<Direction>('inbound', 'inbound', 'outbound', 'forward'), { maxLength: 40 }), (dirs) => {
      const s = source('192.0.2.1');
      for (const d of dirs) s.addPacket(d);
      expect([s.packets, s.inbound, s.outbound, s.forward]).toEqual([dirs.length, ...(['inbound', 'outbound', 'forward'] as const).map((x) => dirs.filter((d) => d === x).length)]);
    }));
  });

  test('tcp, udp and icmp records in any order', () => {
    const s = source('192.0.2.1');
    const udp = s.proto('udp', 17);
    expect([s.udp, s.tcp, s.icmp]).toEqual([udp, null, null]);
    const icmp6 = s.proto('icmp6', 58);
    const tcp = s.proto('tcp', 6);
    expect(s.proto('icmp', 1)).toBe(icmp6);
    expect([s.tcp, s.udp, s.icmp].map((p) => p?.name)).toEqual(['tcp', 'udp', 'icmp6']);
    expect(s.protocolStats()).toEqual([tcp, udp, icmp6]);
    expect([tcp.hasPorts, udp.hasPorts, icmp6.hasPorts, icmp6.num]).toEqual([true, true, false, 58]);
    s.restoreNotes(null);
    expect(s.protocolStats()).toEqual([tcp, udp, icmp6]);
  });

  test('a first one-packet record kept inline reads as the record it stands for', () => {
    const protos = [['tcp', 6], ['udp', 17], ['icmp', 1], ['icmp6', 58], ['sctp', 132], ['gre', 47]] as const;
    const view = (s: SourceState): unknown => [s.protocolStats().map((p) => [p.name, p.num, p.hasPorts, p.packets, p.portSnapshot(), p.kinds(), p.toString()]), s.distinctPorts(), s.tcp?.count, s.udp?.packets, s.icmp?.kinds()];
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(...protos), fc.integer({ min: -1, max: 65535 }), fc.oneof(fc.integer({ min: -1, max: 300 }), fc.integer({ min: -1, max: 65535 }))), { minLength: 1, maxLength: 6 }), (packets) => {
      const a = source('192.0.2.1');
      const b = source('192.0.2.1');
      for (const [[name, num], port, kind] of packets) {
        const got = a.countProtocol(name, num, port, kind);
        const ps = b.proto(name, num);
        ps.packets++;
        if (ps.hasPorts && port >= 0) ps.add(port);
        if (num === 6 || kind >= 0) ps.addKind(kind);
        expect([got.name, got.num, got.hasPorts]).toEqual([ps.name, ps.num, ps.hasPorts]);
        expect(view(a)).toEqual(view(b));
      }
    }), { numRuns: 500 });
  });

  test('osTries counts up and saturates', () => {
    const s = source('192.0.2.1');
    s.ttlMin = 12;
    s.osTries++;
    s.osTries++;
    expect([s.osTries, s.ttlMin]).toEqual([2, 12]);
    s.osTries = 1000;
    expect([s.osTries, s.ttlMin]).toEqual([63, 12]);
  });
});

describe('service level kept with the matches', () => {
  test('topServiceDl() is the level of topServiceMatch() for any matches, also after a restore', () => {
    const roles = ['level', 'label', 'service', 'anomaly'] as const;
    const match = fc.record({ sid: fc.integer({ min: 1, max: 6 }), dl: fc.integer({ min: 1, max: 5 }), role: fc.constantFrom(...roles) });
    fc.assert(fc.property(fc.array(match, { maxLength: 40 }), (ms) => {
      const s = source('192.0.2.9');
      for (const m of ms) {
        s.addSignature(m.sid, `rule ${m.sid}`, m.dl, m.role);
        expect(s.topServiceDl()).toBe(s.topServiceMatch()?.dl ?? 0);
      }
      const top = s.topServiceMatch();
      expect(s.topServiceCode() >= 0).toBe(top !== null);
      const copy = source('192.0.2.10');
      copy.restoreSignatures(s.signatures);
      expect(copy.topServiceDl()).toBe(top?.dl ?? 0);
      copy.restoreSignatures(null);
      expect(copy.topServiceDl()).toBe(0);
    }), { numRuns: 200 });
  });
});
