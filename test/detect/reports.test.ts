import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { compareSourceStates, GlobalCounters, listedSources, ScanTracker, sourceReport, sourceReports, type SourceState } from '../../src/detect/index.js';
import { TCP_ACK } from '../../src/model/packet.js';
import { T0, cfgWith, icmp, pkt, portScan } from './packet-builder.js';

describe('GlobalCounters', () => {
  test('ports and protocols of scored packets, prefixes of every firewall line, signatures', () => {
    const c = new GlobalCounters(cfgWith());
    for (const p of portScan(3)) c.observe(p, null);
    c.observe(pkt({ dport: 2, prefix: '[UFW BLOCK]' }), [{ sid: 7, msg: 'x', dl: 2, classtype: '' }]);
    c.observe(pkt({ dport: 2, src: '192.0.2.9' }), [{ sid: 7, msg: 'x', dl: 3, classtype: '' }]);
    c.observe(pkt({ proto: 'udp', dport: 53 }), null);
    c.observe(icmp(), null);
    c.skipped(pkt({ dport: 9999 }), 'conntrack-leftover');
    c.skipped(pkt({ dport: 8888, prefix: 'AUDIT' }), 'ignored-prefix');
    c.skipped(pkt({ dport: 7777 }), 'auto-dl-ignore');
    expect(c.topPorts(3)).toEqual([
      { proto: 'tcp', port: 2, packets: 3 },
      { proto: 'tcp', port: 1, packets: 1 },
      { proto: 'tcp', port: 3, packets: 1 },
    ]);
    expect(c.topPorts(100).map((x) => x.port)).toContain(7777);
    expect(c.topPorts(100).map((x) => x.port)).not.toContain(9999);
    expect(c.logPrefixes()).toEqual({ DROP: 8, '[UFW BLOCK]': 1 });
    expect(c.protocols()).toEqual({ tcp: 6, udp: 1, icmp: 1 });
    expect(c.topSignatures(5)).toEqual([{ msg: 'x', sid: 7, dl: 3, hits: 2, sources: 2, proto: 'tcp' }]);
    expect(c.skipReasons()).toEqual({ 'auto-dl-ignore': 1, 'conntrack-leftover': 1, 'ignored-prefix': 1 });
  });

  test('observe() with a skip reason is the same as skipped()', () => {
    const c = new GlobalCounters();
    c.observe(pkt(), null, 'ignored-port');
    expect(c.topPorts(5)).toEqual([]);
    expect(c.logPrefixes()).toEqual({ DROP: 1 });
  });
});

describe('sourceReport follows the JSON contract', () => {
  const cfg = cfgWith();

  test('fields and types', () => {
    const t = new ScanTracker(cfg);
    for (const p of portScan(20)) t.observe(p, null);
    t.observe(pkt({ tcpFlags: TCP_ACK, dport: 80, len: 40, tcpOpts: '', ts: T0 + 30_000 }), null);
    const r = sourceReport(t.get('203.0.113.7')!, cfg);
    expect(r).toMatchObject({
      src: '203.0.113.7', dl: 2, packets: 21, destinations: 1, direction: 'inbound', scanTypes: ['SYN'], tool: 'nmap',
      signatures: [], invalidIcmp: [], os: null, country: null, asn: null, reputation: [], blocked: null,
      firstSeen: new Date(T0).toISOString(), lastSeen: new Date(T0 + 30_000).toISOString(),
      localHost: false, role: 'external', currentDl: 2, portsScanned: { tcp: '1-20,80' },
    });
    expect(r.protocols).toEqual({ tcp: { packets: 21, portRange: [1, 80], ports: 21, flags: { SYN: 20, ACK: 1 } } });
    expect(r.addresses).toBeUndefined();
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  test('sourceReports: MIN_DANGER_LEVEL filter and the contract order (dl desc, packets desc, src)', () => {
    const t = new ScanTracker(cfg);
    for (const p of portScan(20, { src: '192.0.2.2' })) t.observe(p, null);
    for (const p of portScan(16, { src: '192.0.2.1' })) t.observe(p, null);
    for (const p of portScan(16, { src: '192.0.2.3' })) t.observe(p, null);
    for (const p of portScan(5, { src: '192.0.2.4' })) t.observe(p, null);
    t.observe(pkt({ src: '192.0.2.5' }), null);
    expect(sourceReports(t, cfg).map((r) => [r.src, r.dl])).toEqual([
      ['192.0.2.2', 2], ['192.0.2.1', 2], ['192.0.2.3', 2], ['192.0.2.4', 1],
    ]);
    expect(sourceReports(t, cfg, 0)).toHaveLength(5);
    expect(sourceReports(t, cfgWith({ MIN_DANGER_LEVEL: 2 }))).toHaveLength(3);
  });
});

describe('listedSources', () => {
  test('sorts like compareSourceStates: ties on DL and packets, keys sharing long prefixes, both families', () => {
    const cfg = cfgWith();
    const src = fc.oneof(
      fc.tuple(fc.constantFrom(1, 19, 198, 203), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })).map(([a, b, c]) => `${a}.51.${b}.${c}`),
      fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 1, max: 9 })).map(([g, h]) => `2001:db8:${g.toString(16)}::${h}`),
    );
    fc.assert(fc.property(fc.array(fc.tuple(src, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 9 })), { maxLength: 60 }), (spec) => {
      const t = new ScanTracker(cfg);
      let ts = T0;
      for (const [s, n, port] of spec) for (let i = 0; i < n; i++) t.observe(pkt({ src: s, dport: port * 7 + i, ts: (ts += 1000) }), null);
      for (const minDl of [0, 1, 2]) {
        const naive = [...t.sources()].filter((s) => s.peakDl >= minDl).sort(compareSourceStates).map((s) => s.key);
        expect(listedSources(t, minDl).map((s) => s.key)).toEqual(naive);
      }
    }), { numRuns: 100 });
  });
});

describe('listedSources on odd keys and counts', () => {
  test('orders like compareSourceStates: keys that are prefixes of others, non-ASCII keys, counts past 16 and 32 bits', () => {
    const keys = fc.oneof(fc.string({ maxLength: 6 }), fc.string({ maxLength: 4, unit: 'binary' }), fc.constantFrom('10.0.0.1', '10.0.0.10', '10.0.0', '2001:db8::/64', '2001:db8::1'));
    const packets = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.constantFrom(65_535, 65_536, 65_537, 2 ** 32));
    fc.assert(fc.property(fc.array(fc.tuple(keys, packets, fc.integer({ min: 0, max: 5 })), { maxLength: 80 }), (spec) => {
      const states = spec.map(([key, n, dl]) => ({ key, packets: n, peakDl: dl }) as unknown as SourceState);
      const tracker = { sources: () => states.values() } as unknown as ScanTracker;
      for (const minDl of [0, 3]) {
        const naive = states.filter((s) => s.peakDl >= minDl).sort(compareSourceStates);
        expect(listedSources(tracker, minDl)).toEqual(naive);
      }
    }), { numRuns: 300 });
  });
});
