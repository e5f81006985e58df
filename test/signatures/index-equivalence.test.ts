/** The index must return exactly what trying every rule returns (fast-check property). */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { buildRules } from '../../src/signatures/build-rules.js';
import { SignatureSet } from '../../src/signatures/signature-set.js';
import { varsFromConfig } from '../../src/signatures/vars.js';
import { config, logLine, packet } from './helpers.js';

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
