/** The index must return exactly what trying every rule returns (fast-check property). */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { buildRules } from '../../src/signatures/build-rules.js';
import { SignatureSet } from '../../src/signatures/signature-set.js';
import { varsFromConfig } from '../../src/signatures/vars.js';
import { shippedSignaturesDir } from '../../src/signatures/load.js';
import { readRuleSources } from '../../src/signatures/rule-files.js';
import { rng } from '../helpers/rng.js';
import { config, logLine, packet, SHIPPED_TEST_CONFIG } from './helpers.js';

const port = fc.integer({ min: 0, max: 12 });
const portSpec = fc.oneof(
  fc.constant('any'),
  port.map(String),
  fc.tuple(port, port).map(([a, b]) => `${Math.min(a, b)}:${Math.max(a, b)}`),
  fc.tuple(port, port).map(([a, b]) => `[${a},${b}]`),
  port.map((p) => `!${p}`),
  port.map((p) => `${p}:`),
  fc.constant('1000:65535'),
);
const addr = fc.constantFrom('any', '10.0.0.0/8', '!10.0.0.0/8', '192.0.2.0/24', '2001:db8::/32', '[10.0.0.0/8,2001:db8::/32]', '$HOME_NET');
const proto = fc.constantFrom('tcp', 'udp', 'icmp', 'icmp6', 'ip');
const extra = fc.constantFrom('', 'flags:S;', 'flags:SF,12;', 'flags:0;', 'flags:A+;', 'itype:8;', 'itype:>2;', 'itype:3; icode:1;', 'ttl:<64;', 'dsize:0;', 'sameip;');
const rule = fc.tuple(proto, addr, portSpec, fc.constantFrom('->', '<>'), addr, portSpec, extra);

const packetLine = fc.oneof(
  fc.tuple(fc.constantFrom('TCP', 'UDP'), fc.constantFrom('10.1.2.3', '192.0.2.9'), fc.constantFrom('10.9.9.9', '192.0.2.9'), port, port, fc.constantFrom('SYN', 'SYN FIN', '', 'ACK', 'CWR ECE SYN'), fc.integer({ min: 1, max: 128 }))
    .map(([p, s, d, sp, dp, fl, ttl]) => logLine(`IN=eth0 OUT= SRC=${s} DST=${d} LEN=40 TOS=0x00 PREC=0x00 TTL=${ttl} ID=1 PROTO=${p} SPT=${sp} DPT=${dp} ${p === 'TCP' ? `WINDOW=512 RES=0x00 ${fl} URGP=0` : 'LEN=20'}`)),
  fc.tuple(fc.constantFrom('2001:db8::1', '2001:dead::1'), port, port).map(([s, sp, dp]) => logLine(`IN=eth0 OUT= SRC=${s} DST=2001:db8::2 LEN=60 TC=0 HOPLIMIT=60 FLOWLBL=0 PROTO=TCP SPT=${sp} DPT=${dp} WINDOW=512 RES=0x00 SYN URGP=0`)),
  fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom(28, 84)).map(([t, c, len]) => logLine(`IN=eth0 OUT= SRC=10.1.2.3 DST=10.1.2.3 LEN=${len} TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=${t} CODE=${c}${t === 8 || t === 0 ? ' ID=1 SEQ=1' : ''}`)),
  fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 3 })).map(([t, c]) => logLine(`IN=eth0 OUT= SRC=2001:db8::1 DST=2001:db8::2 LEN=64 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=${t} CODE=${c}`)),
  fc.constant(logLine('IN=eth0 OUT= SRC=10.1.2.3 DST=10.9.9.9 LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=47')),
);

test('index and brute force give the same hits in the same order', () => {
  const cfg = config({ HOME_NET: '[10.0.0.0/8,2001:db8::/32]' });
  fc.assert(
    fc.property(fc.array(rule, { minLength: 1, maxLength: 60 }), fc.array(packetLine, { minLength: 1, maxLength: 30 }), (specs, lines) => {
      const text = specs.map(([p, s, sp, dir, d, dp, x], i) => `alert ${p} ${s} ${sp} ${dir} ${d} ${dp} (msg:"r${i}"; ${x} sid:${i + 1};)`);
      const { rules, problems } = buildRules(text.map((t, i) => ({ file: 'prop', line: i + 1, text: t, fires: [], quiet: [], testConfig: '' })), varsFromConfig(cfg), new Map());
      expect(problems).toEqual([]);
      const indexed = new SignatureSet(rules);
      const brute = new SignatureSet(rules, undefined, false);
      for (const line of lines) {
        const p = packet(line);
        expect(indexed.match(p)).toEqual(brute.match(p));
        expect(indexed.explain(p).filter((e) => e.matched).map((e) => e.sid)).toEqual((brute.match(p) ?? []).map((h) => h.sid));
      }
    }),
    { numRuns: 300 },
  );
});

test('the index keys rules by destination port and ICMP type (few candidates per packet)', () => {
  const text = [];
  for (let i = 0; i < 2000; i++) text.push(`alert tcp any any -> any ${1000 + i} (msg:"p${i}"; flags:S; sid:${i + 1};)`);
  text.push('alert icmp any any -> any any (msg:"ts"; itype:13; sid:9001;)', 'alert tcp any any -> any any (msg:"null"; flags:0; sid:9002;)');
  const { rules } = buildRules(text.map((t, i) => ({ file: 'x', line: i + 1, text: t, fires: [], quiet: [], testConfig: '' })), varsFromConfig(config()), new Map());
  const set = new SignatureSet(rules);
  const syn = packet(logLine('IN=eth0 OUT= SRC=10.1.2.3 DST=10.9.9.9 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=TCP SPT=5 DPT=1500 WINDOW=512 RES=0x00 SYN URGP=0'));
  expect(set.explain(syn).map((e) => e.sid)).toEqual([501, 9002]);
  expect(set.match(syn)?.map((h) => h.sid)).toEqual([501]);
});

/** Random netfilter lines with every field the checks read: any flag byte, options, fragments, ICMP echo fields. */
function randomLine(next: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length] as T;
  const flagWords = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];
  const flags = flagWords.filter((_, k) => (next() & 7) === 0 || (k === 1 && (next() & 1) === 0)).join(' ');
  const v6 = next() % 5 === 0;
  const src = v6 ? pick(['2001:db8::1', '2001:dead::7', 'ff02::1', '2001:db8:100::5']) : pick(['10.1.2.3', '192.0.2.9', '198.51.100.7', '224.0.0.5', '0.0.0.0', '10.9.9.9']);
  const dst = v6 ? pick(['2001:db8::2', '2001:db8:100::5', 'ff02::1']) : pick(['10.9.9.9', '198.51.100.2', '224.0.0.5', '10.1.2.3']);
  const len = pick([20, 28, 40, 44, 60, 84, 300, 1500]);
  const ttl = pick([0, 1, 50, 64, 128, 255]);
  const ip = v6
    ? `SRC=${src} DST=${dst} LEN=${len + 20} TC=${pick([0, 16])} HOPLIMIT=${ttl} FLOWLBL=0`
    : `SRC=${src} DST=${dst} LEN=${len} TOS=0x${pick(['00', '10', '08'])} PREC=0x00 TTL=${ttl} ID=${pick([0, 1, 54321, 4162, 256])}${next() % 3 === 0 ? ' DF' : ''}${next() % 9 === 0 ? ' MF' : ''}${next() % 11 === 0 ? ` FRAG=${pick([1, 185])}` : ''}${next() % 7 === 0 ? ` OPT (${pick(['830708', '01010101', '44040000', '94040000'])})` : ''}`;
  const sp = pick([0, 7, 53, 123, 1900, 40000]);
  const dp = pick([0, 1, 7, 12, 22, 80, 445, 1433, 31337, 65535]);
  const kind = next() % 6;
  if (kind <= 2) {
    const seq = next() % 3 === 0 ? `SEQ=${pick([0, 1, 4294967295])} ACK=${pick([0, 7])} ` : '';
    return logLine(`IN=eth0 OUT= ${ip} PROTO=TCP SPT=${sp} DPT=${dp} ${seq}WINDOW=${pick([0, 512, 1024, 31337, 65535])} RES=0x00 ${flags} URGP=0`);
  }
  if (kind === 3) return logLine(`IN=eth0 OUT= ${ip} PROTO=UDP SPT=${sp} DPT=${dp} LEN=${pick([8, 308])}`);
  if (kind === 4) {
    const t = pick([0, 3, 8, 13, 128, 135]);
    return logLine(`IN=eth0 OUT= ${ip} PROTO=${v6 ? 'ICMPv6' : 'ICMP'} TYPE=${t} CODE=${pick([0, 1, 3])}${t === 8 || t === 0 || t === 128 ? ` ID=${pick([0, 1, 7])} SEQ=${pick([0, 1, 99])}` : ''}`);
  }
  return logLine(`IN=${pick(['eth0', 'lo'])} OUT=${pick(['', 'eth1'])} ${ip} PROTO=${pick([47, 50, 146, 200, 253])}`);
}

test('programs and per-flag lists give every check of every rule (random rules with every integer check, random packets)', () => {
  const cfg = config({ HOME_NET: '[10.0.0.0/8,198.51.100.0/24,2001:db8::/32]' });
  const extras = [
    '', 'flags:S;', 'flags:SF,12;', 'flags:0;', 'flags:A+;', 'flags:*FS;', 'flags:!A;', 'flags:SA;', 'flags:S+,12;', 'flags:FPU;', 'flags:12S;',
    'window:1024;', 'window:>31000;', 'window:!512;', 'id:54321;', 'id:<2;', 'ttl:0;', 'ttl:>200;', 'ttl:1-64;', 'tos:16;', 'tos:!0;',
    'seq:0;', 'ack:0;', 'ip_proto:146<>253;', 'ip_proto:!6;', 'ipopts:lsrr;', 'ipopts:any;', 'fragbits:M+;', 'fragbits:D;', 'fragbits:!D;',
    'fragoffset:>0;', 'fragoffset:0;', 'dsize:0;', 'dsize:>200;', 'icmp_id:0;', 'icmp_seq:>0;', 'itype:8; icode:0;', 'itype:>2;', 'icode:!0;',
    'psad_ip_len:>100;', 'sameip;', 'tsad_direction:inbound;', 'tsad_chain:FORWARD;',
  ];
  const next = rng(41);
  const pick = <T>(xs: readonly T[]): T => xs[next() % xs.length] as T;
  for (let round = 0; round < 60; round++) {
    const text: string[] = [];
    const n = 1 + (next() % 50);
    for (let i = 0; i < n; i++) {
      const p = pick(['tcp', 'udp', 'icmp', 'icmp6', 'ip', 'tcp', 'tcp']);
      const name = (e: string): string => e.split(/[:;]/)[0] as string;
      // One of each option; flags on tcp (and ip) rules, ICMP options on icmp rules.
      const x = [pick(extras), next() % 3 === 0 ? pick(extras) : '']
        .filter((e, k, a) => e !== '' && a.findIndex((o) => name(o) === name(e)) === k)
        .filter((e) => (!e.startsWith('flags') || p === 'tcp' || p === 'ip') && (!/^(itype|icode|icmp_)/.test(e) || p.startsWith('icmp')))
        .join(' ');
      const dp = p === 'tcp' || p === 'udp' ? pick(['any', 'any', '80', '[22,445]', '1:1024', '!80', '0']) : 'any';
      text.push(`alert ${p} ${pick(['any', 'any', '$EXTERNAL_NET', '!10.0.0.0/8'])} any ${pick(['->', '->', '<>'])} ${pick(['any', '$HOME_NET', '224.0.0.0/4'])} ${dp} (msg:"r${i}"; ${x} sid:${i + 1};)`);
    }
    const { rules, problems } = buildRules(text.map((t, i) => ({ file: 'prop', line: i + 1, text: t, fires: [], quiet: [], testConfig: '' })), varsFromConfig(cfg), new Map());
    expect(problems).toEqual([]);
    const indexed = new SignatureSet(rules);
    const brute = new SignatureSet(rules, undefined, false);
    for (let k = 0; k < 200; k++) {
      const line = randomLine(next);
      const p = packet(line);
      const want = brute.match(p);
      const got = indexed.match(p);
      if (JSON.stringify(got) !== JSON.stringify(want)) expect([line, text, got]).toEqual([line, text, want]);
    }
  }
});

test('the shipped rules give the same hits indexed as tried one by one, on random packets', () => {
  const cfg = config(SHIPPED_TEST_CONFIG);
  const sources = readRuleSources([shippedSignaturesDir()]).sources;
  const { rules } = buildRules(sources, varsFromConfig(cfg), new Map());
  expect(rules.length).toBeGreaterThan(100);
  const indexed = new SignatureSet(rules);
  const brute = new SignatureSet(rules, undefined, false);
  const next = rng(43);
  let hits = 0;
  for (let k = 0; k < 20_000; k++) {
    const line = randomLine(next);
    const p = packet(line);
    const want = brute.match(p);
    const got = indexed.match(p);
    if (want !== null) hits++;
    if (JSON.stringify(got) !== JSON.stringify(want)) expect([line, got]).toEqual([line, want]);
  }
  expect(hits).toBeGreaterThan(2_000);
});
