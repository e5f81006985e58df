import { describe, expect, test } from 'vitest';
import { ScanTracker, TrafficClassifier, parseAutoDl, sourceReport, type SourceState } from '../../src/detect/index.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/model/packet.js';
import type { Packet } from '../../src/model/packet.js';
import { T0, cfgWith, icmp, pkt, portScan } from './packet-builder.js';

const MIN = 60_000;

function feed(t: ScanTracker, packets: Packet[]): SourceState {
  let s: SourceState | undefined;
  for (const p of packets) s = t.observe(p, null);
  return s as SourceState;
}

describe('packet ladder through the tracker', () => {
  test.each([
    [4, 0], [5, 1], [14, 1], [15, 2], [149, 2], [150, 3], [1500, 4],
  ])('%i SYNs to as many ports of one host: DL%i', (n, dl) => {
    const t = new ScanTracker(cfgWith());
    expect(feed(t, portScan(n)).dl).toBe(dl);
  });

  test('any number of packets to one port stays at level 0', () => {
    const t = new ScanTracker(cfgWith());
    const s = feed(t, Array.from({ length: 2000 }, (_, i) => pkt({ ts: T0 + i })));
    expect(s.dl).toBe(0);
    expect(s.packets).toBe(2000);
  });

  test('5 pings to one host reach DL1 (portless spread is the packet count); one ping is DL0', () => {
    const t = new ScanTracker(cfgWith());
    expect(feed(t, [icmp()]).dl).toBe(0);
    expect(feed(t, Array.from({ length: 4 }, (_, i) => icmp({ ts: T0 + i }))).dl).toBe(1);
  });

  test('IP protocol scan: PROTOCOL_SCAN_THRESHOLD protocols to one host', () => {
    const t = new ScanTracker(cfgWith());
    const s = feed(t, [2, 3, 4, 5, 7].map((n) => pkt({ proto: String(n), protoNum: n, dport: -1, sport: -1, tcpFlags: 0, len: 20 })));
    expect(s.dl).toBe(1);
    expect(sourceReport(s, cfgWith()).scanTypes).toContain('PROTO');
  });
});

describe('destinations and sweeps over the event-time window', () => {
  const sweep = (n: number, gapMs = 1000, port = 445): Packet[] =>
    Array.from({ length: n }, (_, i) => pkt({ dst: `198.51.100.${(i % 250) + 1}`, ...(i >= 250 ? { dst: `192.0.2.${i - 249}` } : {}), dport: port, ts: T0 + i * gapMs }));

  test.each([[4, 0], [9, 0], [10, 1], [20, 2], [50, 3], [100, 4], [500, 5]])('one port across %i hosts gives DL%i', (n, dl) => {
    const cfg = cfgWith();
    const t = new ScanTracker(cfg);
    const s = feed(t, sweep(n));
    expect(s.dl).toBe(dl);
    const r = sourceReport(s, cfg);
    expect(r.destinations).toBe(n);
    if (n >= 5) expect(r.scanTypes[0]).toBe('SWEEP'); // SWEEP_MIN_DESTINATIONS
    else expect(r.scanTypes).not.toContain('SWEEP');
  });

  test('a slow sweep (one host every 5 minutes) is caught: psad counted one 5-second batch', () => {
    const t = new ScanTracker(cfgWith());
    const s = feed(t, sweep(12, 5 * MIN));
    expect(s.dl).toBe(1);
  });

  test('hosts reached further apart than SCAN_TIMEOUT never add up', () => {
    const t = new ScanTracker(cfgWith());
    const s = feed(t, sweep(30, 2 * 60 * MIN));
    expect(s.dl).toBe(0);
    expect(s.dsts.active).toBe(1);
    expect(sourceReport(s, cfgWith()).destinations).toBeGreaterThanOrEqual(29);
  });

  test('reaching DL1_UNIQUE_HOSTS lifts a busy single-port host to its packet ladder', () => {
    const t = new ScanTracker(cfgWith());
    feed(t, Array.from({ length: 200 }, (_, i) => pkt({ dport: 80, ts: T0 + i })));
    const s = feed(t, sweep(9, 1000, 80).map((p, i) => ({ ...p, dst: `192.0.2.${i + 1}`, ts: T0 + 10_000 + i })));
    expect(s.dl).toBe(3);
  });

  test('a port scan across a dozen hosts is multi-destination, not a sweep', () => {
    const cfg = cfgWith();
    const t = new ScanTracker(cfg);
    const packets: Packet[] = [];
    for (let port = 20; port <= 40; port++) for (let h = 1; h <= 12; h++) packets.push(pkt({ dst: `198.51.100.${h}`, dport: port, ts: T0 + port * 100 + h }));
    const r = sourceReport(feed(t, packets), cfg);
    expect(r.dl).toBe(2);
    expect(r.scanTypes).toEqual(['SYN']);
    expect(r.multiDestination).toBe(true);
    expect(r.destinations).toBe(12);
  });

  test('with ENABLE_PERSISTENCE destinations never age out', () => {
    const t = new ScanTracker(cfgWith({ ENABLE_PERSISTENCE: 'Y' }));
    expect(feed(t, sweep(10, 2 * 60 * MIN)).dl).toBe(1);
  });

  test('more destinations than MAX_DESTINATIONS_PER_SOURCE: packets exact, distinct count estimated', () => {
    const cfg = cfgWith({ MAX_DESTINATIONS_PER_SOURCE: 10, DL2_UNIQUE_HOSTS: 12, DL3_UNIQUE_HOSTS: 14, DL4_UNIQUE_HOSTS: 16, DL5_UNIQUE_HOSTS: 20 });
    const t = new ScanTracker(cfg);
    const s = feed(t, sweep(400));
    const r = sourceReport(s, cfg);
    expect(r.packets).toBe(400);
    expect(s.dsts.active).toBe(20); // at least DL5_UNIQUE_HOSTS are kept
    expect(r.destinationsEstimated).toBe(true);
    expect(Math.abs(r.destinations - 400)).toBeLessThan(40);
    expect(r.dl).toBe(5);
  });
});

describe('expiry, episodes and persistence', () => {
  test('expire() forgets sources silent for SCAN_TIMEOUT (no slow-scan window)', () => {
    const t = new ScanTracker(cfgWith({ SCAN_TIMEOUT: 600, SLOW_SCAN_WINDOW: 0 }));
    feed(t, portScan(20));
    feed(t, [pkt({ src: '203.0.113.9', ts: T0 + 20 * MIN })]);
    expect(t.expire(T0 + 10 * MIN)).toBe(0);
    expect(t.expire(T0 + 11 * MIN)).toBe(1);
    expect(t.get('203.0.113.7')).toBeUndefined();
    expect(t.get('203.0.113.9')).toBeDefined();
    expect(t.stats.expired).toBe(1);
  });

  test('outside sources that probed several ports are kept for SLOW_SCAN_WINDOW (at least a day), others for SCAN_TIMEOUT', () => {
    const DAY = 24 * 60 * MIN;
    const t = new ScanTracker(cfgWith({ SCAN_TIMEOUT: 600, SLOW_SCAN_WINDOW: 3600 }));
    feed(t, portScan(3));
    feed(t, [pkt({ src: '203.0.113.9' })]);
    feed(t, portScan(3, { chain: 'OUTPUT', dir: 'outbound', src: '192.168.1.5', inIf: '', outIf: 'eth0' }));
    expect(t.expire(T0 + 11 * MIN)).toBe(2); // the one-port source and the local host
    expect(t.get('203.0.113.7')).toBeDefined();
    expect(t.expire(T0 + DAY - MIN)).toBe(0);
    expect(t.expire(T0 + DAY + MIN)).toBe(1);
  });

  test('ENABLE_PERSISTENCE keeps every source', () => {
    const t = new ScanTracker(cfgWith({ ENABLE_PERSISTENCE: 'Y' }));
    feed(t, portScan(20));
    expect(t.expire(T0 + 1000 * 24 * 60 * MIN)).toBe(0);
  });

  test('a source back after SCAN_TIMEOUT starts a new episode; the report keeps its peak', () => {
    const cfg = cfgWith({ SLOW_SCAN_WINDOW: 0 });
    const t = new ScanTracker(cfg);
    const s = feed(t, portScan(20));
    expect(s.dl).toBe(2);
    feed(t, portScan(5, { ts: T0 + 3 * 60 * MIN }));
    expect(s.dl).toBe(1);
    const r = sourceReport(s, cfg);
    expect(r.dl).toBe(2);
    expect(r.currentDl).toBe(1);
    expect(r.packets).toBe(25);
  });
});

describe('slow scans (SLOW_SCAN_WINDOW)', () => {
  const HOUR = 60 * MIN;
  /** SYNs to `ports` distinct ports, one every `gap` ms, each port once except `retries` repeats of the first. */
  const slow = (ports: number, gap: number, retries = 0): Packet[] =>
    Array.from({ length: ports + retries }, (_, i) => pkt({ dport: 1000 + Math.max(0, i - retries), ts: T0 + i * gap }));

  test('73 SYNs to 71 ports at one or two an hour for a week reach DL2; 186 ports DL3', () => {
    const cfg = cfgWith();
    const a = feed(new ScanTracker(cfg), slow(71, 2.3 * HOUR, 2));
    expect(a.dl).toBe(2);
    expect(a.reasons?.at(-1)).toMatch(/^DL2: 15 distinct ports in \d/);
    expect(sourceReport(a, cfg).dl).toBe(2);
    expect(feed(new ScanTracker(cfg), slow(186, 0.9 * HOUR)).dl).toBe(3);
  });

  test('a crawler sending 5 SYNs to 80 and 443 over four days stays at level 0', () => {
    const t = new ScanTracker(cfgWith());
    const s = feed(t, [80, 443, 80, 443, 443].map((dport, i) => pkt({ dport, ts: T0 + i * 20 * HOUR, tcpOpts: '', len: 60, ipFlags: 2, window: 64240 })));
    expect(s.packets).toBe(5);
    expect(s.dl).toBe(0);
  });

  test('the slow level survives an episode reset without a new level change; local hosts and psad mode are not counted', () => {
    const changes: number[] = [];
    const t = new ScanTracker(cfgWith(), { onLevelChange: (_s, _f, to) => changes.push(to) });
    const s = feed(t, slow(20, 2 * HOUR));
    expect(changes).toEqual([1, 2]);
    feed(t, [pkt({ dport: 5000, ts: T0 + 60 * HOUR })]);
    expect(s.dl).toBe(2);
    expect(changes).toEqual([1, 2]);
    const local = feed(new ScanTracker(cfgWith()), slow(20, 2 * HOUR).map((p) => ({ ...p, chain: 'OUTPUT' as const, dir: 'outbound' as const, src: '192.168.1.5', inIf: '', outIf: 'eth0' })));
    expect(local.dl).toBe(0);
    expect(feed(new ScanTracker(cfgWith({ SLOW_SCAN_WINDOW: 0 })), slow(20, 2 * HOUR)).dl).toBe(0);
  });

  test('a source that is also a local host counts only the ports it probed from outside, in any order, and keeps them across a restart', () => {
    const out = (i: number): Packet => pkt({ chain: 'OUTPUT', dir: 'outbound', inIf: '', outIf: 'eth0', dport: 3000 + i, ts: T0 + i * 2 * HOUR });
    const inb = (i: number): Packet => pkt({ dport: 1000 + i, ts: T0 + i * 2 * HOUR });
    const mixed = Array.from({ length: 20 }, (_, i) => [out(i), inb(i)]).flat();
    const a = new ScanTracker(cfgWith());
    const b = new ScanTracker(cfgWith());
    const sa = feed(a, mixed.slice(0, 4).concat(mixed.slice(4)));
    const sb = feed(b, [...mixed.slice(0, 4)].reverse().concat(mixed.slice(4)));
    expect([sa.outsidePorts(), sb.outsidePorts()]).toEqual([20, 20]);
    expect([sa.dl, sb.dl]).toEqual([2, 2]);
    const c = new ScanTracker(cfgWith());
    c.importState(JSON.parse(JSON.stringify(a.exportState())));
    expect(c.get(sa.key)?.outsidePorts()).toBe(20);
  });
});

describe('signature roles (tsad_role)', () => {
  const hit = (role: 'level' | 'label' | 'service' | 'anomaly', dl = 2, sid = 7) => [{ sid, msg: `${role} rule`, dl, classtype: '', role }];

  test('a label names, counts and never raises', () => {
    const cfg = cfgWith();
    const t = new ScanTracker(cfg);
    const s = t.observe(pkt(), hit('label', 3));
    expect(s.dl).toBe(0);
    expect(sourceReport(s, cfg).signatures).toEqual([{ msg: 'label rule', sid: 7, dl: 3, hits: 1 }]);
  });

  test('a service match waiting for evidence counts as soon as the evidence comes, and keeps its role across a restart', () => {
    const t = new ScanTracker(cfgWith());
    t.observe(pkt({ dport: 23 }), hit('service', 3));
    const s = feed(t, portScan(4, { ts: T0 + 5000 }, 100));
    expect(s.dl).toBe(3);
    const u = new ScanTracker(cfgWith());
    u.importState(JSON.parse(JSON.stringify(t.exportState())));
    expect(u.get(s.key)?.signature(7)?.role).toBe('service');
  });

  test('a restored service match counts when the scan evidence comes after the restart (no new service hit needed)', () => {
    const t = new ScanTracker(cfgWith());
    const first = t.observe(pkt({ dport: 23 }), hit('service', 3));
    expect(first.dl).toBe(0);
    const u = new ScanTracker(cfgWith());
    u.importState(JSON.parse(JSON.stringify(t.exportState())));
    const s = feed(u, portScan(4, { ts: T0 + 5000 }, 100));
    expect(s.dl).toBe(3);
    expect(s.reasons?.at(-1)).toBe('DL3: signature 7 "service rule" with scan evidence');
  });

  test('a service match after another match is found for the service floor, also in restored state', () => {
    const t = new ScanTracker(cfgWith());
    t.observe(pkt({ dport: 23 }), hit('label', 1, 5));
    const first = t.observe(pkt({ dport: 23 }), hit('service', 3, 7));
    expect(first.topServiceMatch()?.sid).toBe(7);
    const u = new ScanTracker(cfgWith());
    u.importState(JSON.parse(JSON.stringify(t.exportState())));
    expect(u.get(first.key)?.topServiceMatch()?.sid).toBe(7);
    expect(u.get(first.key)?.signatures?.map((g) => [g.sid, g.role])).toEqual([[5, 'label'], [7, 'service']]);
    const s = feed(t, portScan(4, { ts: T0 + 5000 }, 100));
    expect(s.dl).toBe(3);
    expect(s.reasons).toEqual(['DL1: 5 packets to 198.51.100.1, ports 23-102', 'DL3: signature 7 "service rule" with scan evidence']);
  });

  test('a service rule needs scan evidence: one SYN to telnet is DL0, the same after DANGER_LEVEL1 probes gives its level', () => {
    const t = new ScanTracker(cfgWith());
    expect(t.observe(pkt({ dport: 23 }), hit('service')).dl).toBe(0);
    // Five hosts of this network probed on telnet: a sweep too small for the sweep ladder, but scan evidence.
    const sweep = new ScanTracker(cfgWith());
    let s: SourceState | undefined;
    for (let i = 1; i <= 5; i++) s = sweep.observe(pkt({ dport: 23, dst: `198.51.100.${i}`, ts: T0 + i * 1000 }), hit('service'));
    expect(s?.dl).toBe(2);
    expect(s?.reasons?.at(-1)).toBe('DL2: signature 7 "service rule" with scan evidence');
  });

  test('an anomaly is DL1 for a single packet and its level when repeated or nmap-shaped', () => {
    const t = new ScanTracker(cfgWith());
    const one = t.observe(pkt({ src: '203.0.113.50', tcpFlags: 0, window: 64240, ipFlags: 2, tcpOpts: '', len: 40 }), hit('anomaly', 3));
    expect(one.dl).toBe(1);
    expect(one.reasons?.at(-1)).toBe('DL1: signature 7 "anomaly rule" (a single packet)');
    expect(t.observe(pkt({ src: '203.0.113.50', tcpFlags: 0, window: 64240, ipFlags: 2, tcpOpts: '', len: 40, ts: T0 + 1 }), hit('anomaly', 3)).dl).toBe(3);
    // nmap -sN: window 1024, no DF, a bare 20-byte header.
    expect(t.observe(pkt({ src: '203.0.113.51', tcpFlags: 0, tcpOpts: '', len: 40 }), hit('anomaly', 3)).dl).toBe(3);
  });

  test('SIGNATURE_ROLES N: every match sets its level, as in psad', () => {
    const t = new ScanTracker(cfgWith({ SIGNATURE_ROLES: 'N' }));
    expect(t.observe(pkt(), hit('label', 3)).dl).toBe(3);
    expect(t.observe(pkt({ src: '203.0.113.8', dport: 23 }), hit('service')).dl).toBe(2);
  });
});

describe('reasons name the ladder that gave the level', () => {
  test('a sweep says how many destinations in how long; a port scan says packets, destination and ports', () => {
    const t = new ScanTracker(cfgWith());
    let s: SourceState | undefined;
    for (let i = 1; i <= 20; i++) s = t.observe(pkt({ dst: `198.51.100.${i}`, ts: T0 + i * 1000 }), null);
    expect(s?.reasons).toEqual(['DL1: 10 destinations within 1 h', 'DL2: 20 destinations within 1 h']);
    const scan = feed(new ScanTracker(cfgWith()), portScan(15));
    expect(scan.reasons).toEqual(['DL1: 5 packets to 198.51.100.1, ports 1-5', 'DL2: 15 packets to 198.51.100.1, ports 1-15']);
  });
});

describe('per-packet evidence', () => {
  test('invalid ICMP type or code raises to DL2 and is listed', () => {
    const cfg = cfgWith();
    const t = new ScanTracker(cfg);
    const s = feed(t, [icmp({ icmpType: 99 }), icmp({ icmpType: 3, icmpCode: 16 })]);
    expect(s.dl).toBe(2);
    expect(sourceReport(s, cfg).invalidIcmp).toEqual(['Invalid ICMP code: 16 for ICMP "Destination Unreachable"', 'Invalid ICMP type: 99']);
  });

  test('normal IPv6 control traffic is valid (MLDv2 143, Redirect 137, RPL 155)', () => {
    const t = new ScanTracker(cfgWith());
    const s = feed(t, [143, 137, 135, 136].map((ty) => icmp({ src: 'fe80::1', dst: 'ff02::16', icmpType: ty })).concat(icmp({ src: 'fe80::1', dst: 'ff02::1a', icmpType: 155, icmpCode: 1 })));
    expect(s.dl).toBe(0);
    expect(s.invalidIcmp).toBeNull();
  });

  test('signature hits raise the level to the highest hit; DL 0 hits are ignored', () => {
    const cfg = cfgWith();
    const t = new ScanTracker(cfg);
    const s = t.observe(pkt(), [{ sid: 1, msg: 'a', dl: 2, classtype: '' }, { sid: 2, msg: 'b', dl: 3, classtype: '' }, { sid: 3, msg: 'c', dl: 0, classtype: '' }]);
    expect(s.dl).toBe(3);
    expect(sourceReport(s, cfg).signatures).toEqual([{ msg: 'a', sid: 1, dl: 2, hits: 1 }, { msg: 'b', sid: 2, dl: 3, hits: 1 }]);
  });

  test('auto_dl entries raise sources that match their protocol and port', () => {
    const { autoDl } = parseAutoDl('203.0.113.7  4  tcp/22;\n203.0.113.0/24  2;\n');
    const t = new ScanTracker(cfgWith(), { autoDl });
    expect(t.observe(pkt({ dport: 80 }), null).dl).toBe(2);
    expect(t.observe(pkt({ dport: 22 }), null).dl).toBe(4);
  });

  test('IP options are noted by name', () => {
    const cfg = cfgWith();
    const t = new ScanTracker(cfg);
    const s = t.observe(pkt({ ipOpts: '830700000000000000', len: 53 }), null);
    expect(sourceReport(s, cfg).ipOptions).toEqual(['lsrr']);
  });

  test('raise() (reputation, manual) and onLevelChange', () => {
    const changes: Array<[number, number, string]> = [];
    const t = new ScanTracker(cfgWith(), { onLevelChange: (_s, from, to, why) => changes.push([from, to, why]) });
    feed(t, portScan(5));
    t.raise('203.0.113.7', 4, 'feed spamhaus');
    t.raise('203.0.113.7', 2, 'lower: ignored');
    t.raise('192.0.2.99', 5, 'unknown source: ignored');
    expect(changes).toEqual([[0, 1, '5 packets to 198.51.100.1, ports 1-5'], [1, 4, 'feed spamhaus']]);
    expect(t.get('203.0.113.7')?.reasons).toEqual(['DL1: 5 packets to 198.51.100.1, ports 1-5', 'DL4: feed spamhaus']);
  });
});

describe('aggregation, direction and local hosts', () => {
  test('IPv6 sources are grouped per /64 with the addresses listed', () => {
    const cfg = cfgWith();
    const t = new ScanTracker(cfg);
    for (let i = 1; i <= 6; i++) t.observe(pkt({ src: `2001:db8:1:2::${i}`, dst: '2001:db8:ff::1', dport: i }), null);
    t.observe(pkt({ src: '2001:db8:1:3::1', dst: '2001:db8:ff::1' }), null);
    expect(t.size).toBe(2);
    const r = sourceReport(t.get('2001:db8:1:2::/64') as SourceState, cfg);
    expect(r.src).toBe('2001:db8:1:2::/64');
    expect(r.addresses).toEqual(['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2::3', '2001:db8:1:2::4', '2001:db8:1:2::5', '2001:db8:1:2::6']);
    expect(r.dl).toBe(1);
    expect(t.keyOf('2001:db8:1:2:aaaa::9')).toBe('2001:db8:1:2::/64');
  });

  test('IPv4 per address by default, per prefix when configured; IPv6 per address at 128', () => {
    const t = new ScanTracker(cfgWith({ IPV4_AGGREGATE_PREFIX: 24, IPV6_AGGREGATE_PREFIX: 128 }));
    expect(t.keyOf('203.0.113.77')).toBe('203.0.113.0/24');
    expect(t.keyOf('2001:db8::1')).toBe('2001:db8::1');
    expect(new ScanTracker(cfgWith()).keyOf('203.0.113.77')).toBe('203.0.113.77');
  });

  test('INPUT is inbound; a host scanning out (OUTPUT) is an infected local host', () => {
    const cfg = cfgWith();
    const t = new ScanTracker(cfg);
    const out = feed(t, portScan(20, { chain: 'OUTPUT', dir: 'outbound', src: '192.168.1.5', dst: '203.0.113.50', inIf: '', outIf: 'eth0' }));
    const r = sourceReport(out, cfg);
    expect(r.direction).toBe('outbound');
    expect(r.localHost).toBe(true);
    expect(r.role).toBe('infected-local');
    const inbound = sourceReport(feed(t, [pkt({ src: '198.51.100.9' })]), cfg);
    expect(inbound.direction).toBe('inbound');
    expect(inbound.role).toBe('external');
  });

  test('forwarded packets take the direction the traffic classifier gives them', () => {
    const cfg = cfgWith({ HOME_NET: '[192.168.0.0/16,!192.168.99.0/24]' });
    const t = new ScanTracker(cfg);
    const traffic = new TrafficClassifier(cfg);
    const seen = (list: Packet[]): SourceState => feed(t, list.map((p) => (traffic.classify(p), p)));
    const lan = sourceReport(seen(portScan(10, { chain: 'FORWARD', src: '192.168.1.5', dst: '203.0.113.50', outIf: 'eth1' })), cfg);
    expect([lan.direction, lan.role]).toEqual(['outbound', 'infected-local']);
    const excluded = sourceReport(seen([pkt({ chain: 'FORWARD', src: '192.168.99.3', outIf: 'eth1' })]), cfg);
    expect([excluded.direction, excluded.role]).toEqual(['inbound', 'external']);
    const inside = sourceReport(seen([pkt({ chain: 'FORWARD', src: '192.168.7.7', dst: '192.168.2.2', outIf: 'eth1' })]), cfg);
    expect([inside.direction, inside.localHost]).toEqual(['forward', true]);
  });
});

describe('bounded memory', () => {
  test('MAX_TRACKED_SOURCES evicts the lowest-level, least recently seen sources first', () => {
    const t = new ScanTracker(cfgWith({ MAX_TRACKED_SOURCES: 100 }));
    feed(t, portScan(15, { src: '198.51.100.200' })); // DL2, seen first
    for (let i = 0; i < 500; i++) t.observe(pkt({ src: `10.0.${i >> 8}.${i & 255}`, ts: T0 + 60_000 + i }), null);
    expect(t.size).toBeLessThanOrEqual(100);
    expect(t.stats.evicted).toBeGreaterThanOrEqual(400);
    expect(t.get('198.51.100.200')?.dl).toBe(2);
    expect(t.get('10.0.1.243')).toBeDefined(); // the newest survive
    expect(t.get('10.0.0.0')).toBeUndefined();
  });
});

describe('scan classes, tools and OS', () => {
  const types = (packets: Packet[]): string[] => sourceReport(feed(new ScanTracker(cfgWith()), packets), cfgWith()).scanTypes;

  test('TCP flag classes', () => {
    expect(types(portScan(10, { tcpFlags: TCP_FIN, len: 40, tcpOpts: '' }))).toEqual(['FIN']);
    expect(types(portScan(10, { tcpFlags: 0, len: 40, tcpOpts: '' }))).toEqual(['NULL']);
    expect(types(portScan(10, { tcpFlags: 1 | 8 | 32, len: 40, tcpOpts: '' }))).toEqual(['XMAS']);
    expect(types(portScan(10, { tcpFlags: TCP_ACK | TCP_FIN, len: 40, tcpOpts: '' }))).toEqual(['MAIMON']);
    expect(types(portScan(10, { tcpFlags: TCP_ACK, len: 40, tcpOpts: '' }))).toEqual(['ACK', 'WINDOW']);
    expect(types(portScan(10, { tcpFlags: TCP_ACK, len: 40, tcpOpts: '', window: 64 }))).toEqual(['ACK']);
    expect(types(portScan(10, { tcpFlags: TCP_RST, len: 40, tcpOpts: '' }))).toEqual([]);
  });

  test('SYN vs CONNECT from the options, ECN SYNs included', () => {
    const linux = '020405B40402080A61A19162000000000103030A';
    expect(types(portScan(10))).toEqual(['SYN']);
    expect(types(portScan(10, { len: 60, tcpOpts: linux, window: 64240, ttl: 64, ipFlags: 2 }))).toEqual(['CONNECT']);
    expect(types(portScan(10, { len: 60, tcpOpts: linux, window: 64240, ttl: 64, ipFlags: 2, tcpFlags: TCP_SYN | 64 | 128 }))).toEqual(['CONNECT']);
    expect(types(portScan(10, { len: 60, tcpOpts: '' }))).toEqual(['CONNECT']);
    expect(types(portScan(10, { len: 40, tcpOpts: '' }))).toEqual(['SYN']);
  });

  test('UDP and ICMP ping scans', () => {
    expect(types(portScan(10, { proto: 'udp', tcpFlags: 0 }))).toEqual(['UDP']);
    expect(types(Array.from({ length: 12 }, (_, i) => icmp({ dst: `198.51.100.${i + 1}` })))).toEqual(['SWEEP', 'ICMP']);
    expect(types(Array.from({ length: 12 }, (_, i) => icmp({ src: '2001:db8::5', dst: `2001:db8:1::${i + 1}` })))).toEqual(['SWEEP', 'ICMP']);
  });

  test('nmap host discovery (ICMP echo + timestamp, ACK to 80, SYN to 443) is a ping scan', () => {
    const probes: Packet[] = [];
    for (let h = 1; h <= 12; h++) {
      const dst = `198.51.100.${h}`;
      probes.push(icmp({ dst }), icmp({ dst, icmpType: 13 }), pkt({ dst, dport: 443 }), pkt({ dst, dport: 80, tcpFlags: TCP_ACK, len: 40, tcpOpts: '' }));
    }
    expect(types(probes)).toEqual(['SWEEP', 'ICMP']);
  });

  test('a few discovery probes do not relabel a large SYN scan', () => {
    expect(types([icmp(), pkt({ dport: 80, tcpFlags: TCP_ACK, len: 40, tcpOpts: '' }), ...portScan(200)])).toEqual(['SYN']);
  });

  const tool = (packets: Packet[]): string | null => sourceReport(feed(new ScanTracker(cfgWith()), packets), cfgWith()).tool;

  test('tools from the fields', () => {
    expect(tool(portScan(10))).toBe('nmap');
    expect(tool(portScan(10, { id: 54321, window: 65535, ttl: 250, tcpOpts: '', len: 40 }))).toBe('zmap');
    // Mirai: SEQ is the destination address (198.51.100.1 = 3325256705).
    expect(tool(portScan(3, { seq: 3325256705, dport: 23, tcpOpts: '', len: 40, window: 31337, ttl: 60 }))).toBe('mirai');
    expect(tool([23, 2323, 23].map((dport) => pkt({ dport, tcpOpts: '', len: 40, window: 5555, ttl: 60 })))).toBe('mirai');
    // masscan: IP ID = (dst ^ dport ^ seq) & 0xffff; without SEQ: window 1024 and TTL near 255.
    const seq = 0x12345678;
    expect(tool(portScan(5).map((p) => ({ ...p, seq, ttl: 250, id: (3325256705 ^ p.dport ^ seq) & 0xffff })))).toBe('masscan');
    expect(tool(portScan(5, { ttl: 250, tcpOpts: '', len: 40 }))).toBe('masscan');
    const topera = '3A00010400000000 3A00010400000000 3A00010400000000 3A00010400000000 3A00010400000000 3A00010400000000 3A00010400000000';
    expect(tool([pkt({ src: '2001:db8::66', dst: '2001:db8::1', ipOpts: topera, len: 120 })])).toBe('topera');
    expect(tool(portScan(10, { len: 60, tcpOpts: '020405B40402080A61A19162000000000103030A', window: 64240, ttl: 64, ipFlags: 2 }))).toBeNull();
  });

  test('a single UDP packet with ID 54321 is not zmap', () => {
    expect(tool([...portScan(30, { proto: 'udp', tcpFlags: 0, ipFlags: 2, ttl: 60 }), pkt({ proto: 'udp', id: 54321, tcpFlags: 0, ttl: 60, ipFlags: 2 })])).toBeNull();
  });
});
