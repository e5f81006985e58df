/**
 * Golden tests on real captures: every scan of fixtures/captured/manifest.json
 * (iptables and nftables rulesets) and the detect stage's own captures in
 * fixtures/detect/nmap, parsed with the real parser and scored with the
 * default configuration. Danger levels are psad's for the same packets
 * (computed by hand from its ladders); scan types are the manifest's.
 * Derived cases replay the same real packets with other timestamps, source
 * addresses or an auto_dl file: a slow sweep, expiry, IPv6 address hopping.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createParseContext, parseLine } from '../../src/parse/index.js';
import { defaultConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/keys/index.js';
import type { Packet } from '../../src/model/packet.js';
import type { SourceReport } from '../../src/model/report.js';
import {
  ScanTracker, createPacketFilter, loadFingerprints, parseAutoDl, shippedFingerprintsPath, sourceReports, type AutoDl,
} from '../../src/detect/index.js';
import { cfgWith } from './packet-builder.js';

interface ManifestScan {
  ruleset: string;
  name: string;
  family: 4 | 6;
  scanTypes: string[];
  scanner: string;
  packets: number;
  observed: { destinations: number };
  files: { rfc3164: string };
}

const manifest = JSON.parse(readFileSync('fixtures/captured/manifest.json', 'utf8')) as { scans: ManifestScan[] };
const year = 2026;

function packets(file: string): Packet[] {
  const ctx = createParseContext({ year });
  const out: Packet[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const p = parseLine(line, ctx);
    if (p !== null && typeof p === 'object') out.push(p);
    else if (typeof p === 'string') throw new Error(`${file}: parser skipped a line (${p}): ${line}`);
  }
  return out;
}

interface Scored {
  reports: SourceReport[];
  skipped: Record<string, number>;
  tracker: ScanTracker;
}

function score(list: Packet[], cfg: Config = defaultConfig(), autoDl?: AutoDl): Scored {
  const { db } = loadFingerprints(shippedFingerprintsPath(), cfg.MAX_HOPS);
  const tracker = new ScanTracker(cfg, { osFingerprints: db, autoDl });
  const filter = createPacketFilter(cfg, { autoDl });
  const skipped: Record<string, number> = {};
  for (const p of list) {
    const why = filter(p);
    if (why === null) tracker.observe(p, null);
    else skipped[why] = (skipped[why] ?? 0) + 1;
  }
  return { reports: sourceReports(tracker, cfg, 0), skipped, tracker };
}

/** dl, tool and OS per capture; danger levels as psad's ladders give them for these packets. */
const EXPECTED: Record<string, { dl: number; tool: string | null; os?: string }> = {
  syn: { dl: 3, tool: 'nmap' },
  connect: { dl: 3, tool: null, os: 'Linux 2.6-6.x' },
  fin: { dl: 2, tool: 'nmap' },
  xmas: { dl: 2, tool: 'nmap' },
  null: { dl: 2, tool: 'nmap' },
  ack: { dl: 2, tool: 'nmap' },
  maimon: { dl: 2, tool: 'nmap' },
  window: { dl: 2, tool: 'nmap' },
  udp: { dl: 2, tool: 'nmap' },
  proto: { dl: 2, tool: 'nmap' },
  pingsweep: { dl: 2, tool: 'nmap' },
  portsweep: { dl: 2, tool: 'nmap' },
  os: { dl: 2, tool: 'nmap' },
  slow: { dl: 0, tool: 'nmap' },
  syn6: { dl: 3, tool: 'nmap' },
  pingsweep6: { dl: 0, tool: null },
  udp6: { dl: 2, tool: null },
  'udp-packet': { dl: 0, tool: null },
  'tcp-connect': { dl: 0, tool: null, os: 'Linux 2.6-6.x' },
  'tcp-connect6': { dl: 0, tool: null, os: 'Linux 2.6-6.x' },
  ping: { dl: 0, tool: null },
  ping6: { dl: 0, tool: null },
};

/** nmap -sA and -sW send identical probes, so each reports both labels. */
const COMPANIONS: Record<string, string[]> = { ACK: ['WINDOW'], WINDOW: ['ACK'] };

describe.each(manifest.scans.map((s) => [`${s.ruleset}/${s.name}`, s] as const))('captured %s', (_name, scan) => {
  const { reports, skipped } = score(packets(`fixtures/captured/${scan.files.rfc3164}`));
  const r = reports[0] as SourceReport;
  const want = EXPECTED[scan.name];

  test('one source, every packet scored', () => {
    expect(reports).toHaveLength(1);
    expect(skipped).toEqual({});
    expect(r.src).toBe(scan.family === 6 ? `${scan.scanner.split('::')[0]}::/64` : scan.scanner);
    expect(r.packets).toBe(scan.packets);
    expect(r.destinations).toBe(scan.observed.destinations);
    expect(r.direction).toBe('inbound');
  });

  test('scan types as the manifest says', () => {
    const allowed = new Set([...scan.scanTypes, ...scan.scanTypes.flatMap((t) => COMPANIONS[t] ?? [])]);
    expect(new Set(r.scanTypes)).toEqual(allowed);
  });

  test('danger level, tool and OS', () => {
    expect(want).toBeDefined();
    expect(r.dl).toBe(want?.dl);
    expect(r.tool).toBe(want?.tool);
    expect(r.os).toBe(want?.os ?? null);
  });
});

describe('the detect stage captures', () => {
  test('a port scan across 12 hosts: multi-destination SYN scan, not a sweep', () => {
    const [r, ...rest] = score(packets('fixtures/detect/nmap/multi-destination.log')).reports;
    expect(rest).toEqual([]);
    expect(r).toMatchObject({ src: '203.0.113.77', dl: 2, packets: 504, destinations: 12, scanTypes: ['SYN'], tool: 'nmap', multiDestination: true });
    expect(r?.protocols['tcp']).toMatchObject({ portRange: [20, 40], ports: 21, flags: { SYN: 504 } });
  });

  test('nmap host discovery over 30 hosts is a ping sweep (DL2 for 20+ hosts)', () => {
    const [r] = score(packets('fixtures/detect/nmap/discovery-sweep.log')).reports;
    expect(r).toMatchObject({ dl: 2, packets: 240, destinations: 30, scanTypes: ['SWEEP', 'ICMP'], tool: 'nmap' });
    expect(r?.icmpTypes).toEqual({ '8/0': 60, '13/0': 60 });
  });

  test('IPv6 host discovery', () => {
    const [r] = score(packets('fixtures/detect/nmap/discovery-sweep6.log')).reports;
    expect(r).toMatchObject({ src: '2001:db8:77::/64', addresses: ['2001:db8:77::1'], dl: 1, destinations: 9, scanTypes: ['SWEEP', 'ICMP'], tool: 'nmap' });
  });
});

describe('derived from real captures', () => {
  const sweep = packets('fixtures/captured/ipt/portsweep.kern.log');
  const spread = (gapMs: number): Packet[] => sweep.map((p, i) => ({ ...p, ts: Date.UTC(year, 0, 5) + i * gapMs }));

  test('a slow sweep: one probe every 4 minutes (15 hosts an hour) still reaches DL1 (psad batches: DL0)', () => {
    const r = score(spread(4 * 60_000)).reports[0];
    expect(r).toMatchObject({ dl: 1, destinations: 20, scanTypes: ['SWEEP', 'SYN'] });
    // Never all 20 hosts within one hour, but always at least DL1_UNIQUE_HOSTS.
    expect(r?.peakDestinations).toBeGreaterThanOrEqual(10);
    expect(r?.peakDestinations).toBeLessThan(20);
  });

  test('a SCAN_TIMEOUT of 10 minutes keeps only 5 hosts in the window, and expiry forgets the source', () => {
    const cfg = cfgWith({ SCAN_TIMEOUT: 600 });
    const { reports, tracker } = score(spread(2 * 60_000), cfg);
    expect(reports[0]?.dl).toBe(0);
    expect(reports[0]?.peakDestinations).toBeLessThanOrEqual(6);
    const last = Date.UTC(year, 0, 5) + 39 * 2 * 60_000;
    expect(tracker.expire(last + 600_000)).toBe(0);
    expect(tracker.expire(last + 600_001)).toBe(1);
    expect(tracker.size).toBe(0);
  });

  test('an IPv6 scanner hopping addresses inside its /64 is one source', () => {
    const hop = packets('fixtures/captured/ipt/syn6.kern.log').map((p, i) => ({ ...p, src: `2001:db8:100::${(0x1000 + i).toString(16)}` }));
    const [r, ...rest] = score(hop).reports;
    expect(rest).toEqual([]);
    expect(r).toMatchObject({ src: '2001:db8:100::/64', dl: 3, packets: 202, scanTypes: ['SYN'], addressesTruncated: true });
    expect(r?.addresses).toHaveLength(64);
    const per128 = score(hop, cfgWith({ IPV6_AGGREGATE_PREFIX: 128 })).reports;
    expect(per128).toHaveLength(202);
    expect(Math.max(...per128.map((s) => s.dl))).toBe(0);
  });

  test('auto_dl: level 0 ignores the scanner, a port-limited entry forces its level', () => {
    const syn = packets('fixtures/captured/ipt/syn.kern.log');
    const ignored = score(syn, defaultConfig(), parseAutoDl('198.51.100.10 0;\n').autoDl);
    expect(ignored.reports).toEqual([]);
    expect(ignored.skipped).toEqual({ 'auto-dl-ignore': 202 });
    const forced = score(syn, defaultConfig(), parseAutoDl('198.51.100.0/24  5  tcp/1000-1010;\n').autoDl);
    expect(forced.reports[0]?.dl).toBe(5);
    expect(forced.reports[0]?.reasons).toContain('DL5: auto_dl entry 198.51.100.0/24 (line 1)');
  });
});
