/**
 * Every shipped signature fires on its "# fires:" lines and stays quiet on
 * its "# quiet:" lines, parsed by the real parser (parseLine).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createParseContext, parseLine } from '../../src/parse/index.js';
import { exampleConfig, loadSignatureSet, readRuleSources, replayExamples, shippedSignaturesDir } from '../../src/signatures/index.js';
import { config, packet, ruleFile, SHIPPED_TEST_CONFIG } from './helpers.js';

const dir = shippedSignaturesDir();
const files = readdirSync(dir).filter((f) => f.endsWith('.rules')).sort();

test('the shipped set has one file per family', () => {
  expect(files).toEqual(['backdoor.rules', 'ddos.rules', 'egress.rules', 'icmp.rules', 'p2p.rules', 'scan.rules', 'services.rules']);
});

test('the shipped set loads without problems, with the test configuration and with the defaults', () => {
  for (const values of [SHIPPED_TEST_CONFIG, {}]) {
    const { set, problems } = loadSignatureSet({ paths: ['shipped'], cfg: config({ SNORT_RULE_DL_FILE: '""', ...values }) });
    expect(problems).toEqual([]);
    expect(set.size).toBeGreaterThan(140);
  }
});

test('danger levels are graded and a plain ping is not a signature hit', () => {
  const { set } = loadSignatureSet({ paths: ['shipped'], cfg: config({ SNORT_RULE_DL_FILE: '""' }) });
  const levels = new Set(set.rules().map((r) => r.dl));
  expect([...levels].sort()).toEqual([1, 2, 3, 4]);
  const ping = 'Nov 21 08:00:00 gw kernel: DROP IN=eth0 OUT= SRC=203.0.113.9 DST=198.51.100.10 LEN=84 TOS=0x00 PREC=0x00 TTL=52 ID=4242 DF PROTO=ICMP TYPE=8 CODE=0 ID=3100 SEQ=1';
  expect(set.match(packet(ping))).toBeNull();
  const windowsPing = 'Nov 21 08:00:00 gw kernel: DROP IN=eth0 OUT= SRC=2001:db8:bad::9 DST=2001:db8:100::10 LEN=72 TC=0 HOPLIMIT=120 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=1 SEQ=9';
  expect(set.match(packet(windowsPing))).toBeNull();
});

const { sources } = readRuleSources([dir]);

test('every file states the configuration its test lines assume', () => {
  for (const file of files) {
    const first = sources.find((s) => s.file === join(dir, file));
    const cfg = first === undefined ? null : exampleConfig(first);
    expect(cfg?.HOME_NET, file).toBe(SHIPPED_TEST_CONFIG.HOME_NET);
    expect(cfg?.EXTERNAL_NET, file).toBe(`!${SHIPPED_TEST_CONFIG.HOME_NET}`);
  }
});

const read = (line: string) => {
  const p = parseLine(line, createParseContext({ year: 2026 }));
  return p === null || typeof p === 'string' ? `not a packet (${String(p)})` : p;
};

test('replaying the examples (as "tsad signatures check" does) finds no problem, and finds a broken one', () => {
  expect(replayExamples(sources, read)).toEqual([]);
  const broken = ruleFile([
    '# test-config: HOME_NET 198.51.100.0/24;',
    '# fires: Nov 21 08:00:00 gw kernel: DROP IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.10 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=1 DPT=24 WINDOW=1 RES=0x00 SYN URGP=0',
    '# quiet: Nov 21 08:00:00 gw kernel: DROP IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.10 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=1 DPT=23 WINDOW=1 RES=0x00 SYN URGP=0',
    '# quiet: not a log line',
    'alert tcp any any -> $HOME_NET 23 (msg:"telnet"; flags:S; sid:5;)',
  ].join('\n'));
  const problems = replayExamples(readRuleSources([broken]).sources, read);
  expect(problems.map((p) => [p.line, p.sid, p.skipped])).toEqual([[5, 5, false], [5, 5, false], [5, 5, false]]);
  expect(problems.map((p) => p.reason.replace(/^.*": /, ''))).toEqual(['the rule does not fire', 'the rule fires', 'not a packet (null)']);
});

describe.each(files)('%s', (file) => {
  const rules = sources.filter((s) => s.file === join(dir, file));
  const first = rules[0];
  const { set } = loadSignatureSet({ paths: [join(dir, file)], cfg: first === undefined ? config() : exampleConfig(first) });
  test('every rule has test lines both ways', () => {
    expect(rules.length).toBeGreaterThan(5);
    for (const r of rules) {
      expect(r.fires.length, `${file}:${r.line} has no "# fires:" line`).toBeGreaterThan(0);
      expect(r.quiet.length, `${file}:${r.line} has no "# quiet:" line`).toBeGreaterThan(0);
    }
  });
  test.each(rules.map((r) => [r.line, r] as const))('rule at line %i fires and stays quiet as its test lines say', (_line, r) => {
    const rule = set.rules().find((x) => x.file === r.file && x.line === r.line);
    expect(rule, `rule at ${file}:${r.line} did not load`).toBeDefined();
    const sid = rule?.sid as number;
    for (const line of r.fires) expect((set.match(packet(line)) ?? []).map((h) => h.sid), `should fire: ${line}`).toContain(sid);
    for (const line of r.quiet) expect((set.match(packet(line)) ?? []).map((h) => h.sid), `should stay quiet: ${line}`).not.toContain(sid);
  });
});
