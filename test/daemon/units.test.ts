/** Pure pieces of the daemon: protocol parsing, status filters, metrics text, rule words, source specs. */
import { describe, expect, it } from 'vitest';
import { parseRequest } from '../../src/daemon/control-protocol.js';
import { blocksSection, filterReport, markBlocked } from '../../src/daemon/status-view.js';
import { renderMetrics } from '../../src/daemon/metrics.js';
import { words, parseIptablesSave } from '../../src/daemon/fw-check/iptables-ruleset.js';
import { reachableLogs } from '../../src/daemon/fw-check/ruleset-model.js';
import { resolveSources, SourceSpecError } from '../../src/daemon/source-spec.js';
import { metricsListenProblem, sourceSpecProblem } from '../../src/config/keys/daemon.js';
import { cursorOf } from '../../src/sources/journal-follower.js';
import type { Report, SourceReport } from '../../src/model/report.js';

function src(s: string, dl: number): SourceReport {
  return { src: s, dl: dl as SourceReport['dl'], packets: 1, destinations: 1, direction: 'inbound', protocols: {}, scanTypes: [], tool: null, signatures: [], invalidIcmp: [], os: null, country: null, asn: null, reputation: [], firstSeen: '', lastSeen: '', blocked: null };
}

const report: Report = {
  version: 1,
  summary: { lines: 0, firewallLines: 0, skipped: {}, sources: 4, dangerLevels: { 1: 1, 2: 1, 3: 1, 4: 0, 5: 0 }, firstSeen: null, lastSeen: null },
  sources: [src('198.51.100.7', 3), src('2001:db8:1:2::/64', 2), src('203.0.113.9', 1), src('2001:db8:9::1', 0)],
  topPorts: [],
  topSignatures: [],
  logPrefixes: {},
};

describe('control protocol', () => {
  it('parses requests and names what is wrong', () => {
    expect(parseRequest('{"cmd":"status"}')).toEqual({ cmd: 'status', args: {} });
    expect(parseRequest('{"cmd":"block","args":{"target":"198.51.100.7"}}')).toEqual({ cmd: 'block', args: { target: '198.51.100.7' } });
    expect(parseRequest('{"cmd":"status","args":[1]}')).toBe('"args" must be an object');
    expect(parseRequest('{"command":"status"}')).toBe('request must be an object with a "cmd" string');
    expect(parseRequest('{"cmd":"shutdown"}')).toMatch(/^unknown command "shutdown"/);
    expect(parseRequest('{')).toBe('request is not valid JSON');
  });
});

describe('status filters', () => {
  it('--ip matches the address, a network, and the prefix that contains the address', () => {
    const ips = (ip: string): string[] => filterReport(report, { ip }).sources.map((s) => s.src);
    expect(ips('198.51.100.7')).toEqual(['198.51.100.7']);
    expect(ips('198.51.100.0/24')).toEqual(['198.51.100.7']);
    expect(ips('2001:db8:1:2::abcd')).toEqual(['2001:db8:1:2::/64']);
    expect(ips('2001:db8::/32')).toEqual(['2001:db8:1:2::/64', '2001:db8:9::1']);
    expect(ips('192.0.2.1')).toEqual([]);
    expect(filterReport(report, { minDl: 2 }).sources.map((s) => s.src)).toEqual(['198.51.100.7', '2001:db8:1:2::/64']);
    expect(report.sources).toHaveLength(4); // the input is not changed
  });

  it('marks sources inside a blocked network, and prints the time left', () => {
    const r = structuredClone(report);
    const blocks = [
      { cidr: '2001:db8:1::/48', family: 6 as const, createdAt: '', expiresAt: '2026-11-21T10:00:00.000Z', secondsLeft: 120, reason: 'auto', dl: 4, manual: false, coveredBy: null },
      { cidr: '203.0.113.9', family: 4 as const, createdAt: '', expiresAt: null, secondsLeft: null, reason: 'manual', dl: null, manual: true, coveredBy: null },
    ];
    markBlocked(r, blocks);
    expect(r.sources.map((s) => s.blocked)).toEqual([null, { until: '2026-11-21T10:00:00.000Z' }, { until: null }, null]);
    expect(blocksSection(blocks)).toEqual(['[+] Auto-blocked IPs:', '      2001:db8:1::/48 (120 seconds remaining) [DL 4]', '      203.0.113.9 (unlimited timeout) [manual]']);
    expect(blocksSection([])).toEqual(['[+] Auto-blocked IPs:', '        [NONE]']);
  });
});

describe('metrics text', () => {
  it('writes HELP and TYPE once per name and escapes label values', () => {
    const text = renderMetrics([
      { name: 'tsad_x_total', help: 'X.', type: 'counter', value: 3, labels: { source: 'file:/var/log/"a"\\b' } },
      { name: 'tsad_x_total', help: 'X.', type: 'counter', value: 4, labels: { source: 'kmsg' } },
      { name: 'tsad_y', help: 'Y.', type: 'gauge', value: Number.NaN },
    ]);
    expect(text).toBe([
      '# HELP tsad_x_total X.', '# TYPE tsad_x_total counter',
      'tsad_x_total{source="file:/var/log/\\"a\\"\\\\b"} 3', 'tsad_x_total{source="kmsg"} 4',
      '# HELP tsad_y Y.', '# TYPE tsad_y gauge', 'tsad_y NaN', '',
    ].join('\n'));
  });
});

describe('iptables-save reading', () => {
  it('splits quoted prefixes and follows -g into user chains', () => {
    expect(words('-A ufw-logging-deny -m limit --limit 3/min -j LOG --log-prefix "[UFW BLOCK] "')).toEqual(['-A', 'ufw-logging-deny', '-m', 'limit', '--limit', '3/min', '-j', 'LOG', '--log-prefix', '[UFW BLOCK] ']);
    const rs = parseIptablesSave(['*filter', ':INPUT DROP [0:0]', ':zone - [0:0]', '-A INPUT -i eth0 -g zone', '-A zone -j LOG --log-prefix "Z "', 'COMMIT', '*nat', ':PREROUTING ACCEPT [0:0]', '-A PREROUTING -j LOG', 'COMMIT'].join('\n'), 'iptables', 4);
    const logs = reachableLogs(rs);
    expect(logs.map((l) => [l.path.join(' > '), l.prefix, l.hook])).toEqual([['filter INPUT > filter zone', 'Z ', 'input']]);
  });
});

describe('source specs and keys', () => {
  it('accepts the documented forms and refuses double counting', () => {
    expect(sourceSpecProblem('file:/var/log/kern.log')).toBeNull();
    expect(sourceSpecProblem('ulogd:/var/log/ulogd.json')).toBeNull();
    expect(sourceSpecProblem('file:kern.log')).toMatch(/absolute/);
    expect(sourceSpecProblem('syslog')).toMatch(/is not a source/);
    expect(resolveSources(['kmsg', 'file:/var/log/ufw.log'], [], '/var/log/kern.log').specs.map((s) => s.kind)).toEqual(['kmsg', 'file']);
    expect(() => resolveSources(['journald', 'kmsg'], [], '/x')).toThrow(SourceSpecError);
    expect(() => resolveSources(['stdin', 'stdin'], [], '/x')).toThrow(/twice/);
    expect(() => resolveSources(['auto', 'stdin'], [], '/x')).toThrow(/auto/);
  });

  it('takes HOST:PORT for metrics (another host than loopback needs a token: test/report/metrics-access.test.ts)', () => {
    expect(metricsListenProblem('')).toBeNull();
    expect(metricsListenProblem('127.0.0.1:9677')).toBeNull();
    expect(metricsListenProblem('[::1]:9677')).toBeNull();
    expect(metricsListenProblem('0.0.0.0:9677')).toBeNull();
    expect(metricsListenProblem('9677')).toMatch(/HOST:PORT/);
    expect(metricsListenProblem('127.0.0.1:99999')).toMatch(/out of range/);
  });

  it('takes the journal cursor without parsing the record', () => {
    expect(cursorOf('{"MESSAGE":"x","__CURSOR":"s=ab;i=3;b=cd","PRIORITY":"4"}')).toBe('s=ab;i=3;b=cd');
    expect(cursorOf('{"MESSAGE":"x"}')).toBeNull();
  });
});

describe('scan state glue (detect objects with exportState/importState)', () => {
  it('saves and restores through the detect methods, and the pipeline counters exactly', async () => {
    const { exportScan, importScan, scanStateSavable, pipelineCounters, restorePipelineCounters } = await import('../../src/daemon/scan-persistence.js');
    const { Pipeline } = await import('../../src/daemon/pipeline.js');
    type Tracker = Parameters<typeof exportScan>[0];
    type Counters = Parameters<typeof exportScan>[1];
    // Pure logic with stand-ins: the detect stage owns the real methods.
    const box = (v: unknown): { v: unknown; exportState(): unknown; importState(s: unknown): void } => ({ v, exportState() { return this.v; }, importState(s) { this.v = s; } });
    const t = box({ sources: 3 });
    const c = box({ ports: 9 });
    expect(scanStateSavable(t as unknown as Tracker, c as unknown as Counters)).toBe(true);
    expect(scanStateSavable({} as Tracker, c as unknown as Counters)).toBe(false);
    const saved = exportScan(t as unknown as Tracker, c as unknown as Counters);
    const t2 = box(null);
    const c2 = box(null);
    expect(importScan(t2 as unknown as Tracker, c2 as unknown as Counters, saved)).toBe(true);
    expect([t2.v, c2.v]).toEqual([{ sources: 3 }, { ports: 9 }]);
    expect(importScan({} as Tracker, c2 as unknown as Counters, saved)).toBe(false);

    const p = new Pipeline({ filter: () => null, signatures: null, tracker: {} as Tracker, counters: {} as Counters });
    p.lines = 10;
    p.firewallLines = 7;
    p.skip('malformed');
    const copy = new Pipeline({ filter: () => null, signatures: null, tracker: {} as Tracker, counters: {} as Counters });
    restorePipelineCounters(copy, JSON.parse(JSON.stringify(pipelineCounters(p))) as ReturnType<typeof pipelineCounters>);
    expect([copy.lines, copy.firewallLines, copy.skipped, copy.firstSeen]).toEqual([10, 7, { malformed: 1 }, Number.POSITIVE_INFINITY]);
  });
});

describe('listed level', () => {
  it('is --min-dl, else MIN_DANGER_LEVEL, but every level for --ip', async () => {
    const { listedLevel } = await import('../../src/daemon/status-view.js');
    expect(listedLevel({}, 1)).toBe(1);
    expect(listedLevel({ minDl: 3 }, 1)).toBe(3);
    expect(listedLevel({ ip: '198.51.100.7' }, 1)).toBe(0);
    expect(listedLevel({ ip: '198.51.100.7', minDl: 2 }, 1)).toBe(2);
  });
});
