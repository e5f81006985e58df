/** The rule language: header fields, each option, and the errors (with file:line). */
import { describe, expect, test } from 'vitest';
import { loadSignatureSet } from '../../src/signatures/index.js';
import { config, load, logLine, packet, ruleFile, sids, tcpLine } from './helpers.js';

const EXT = '203.0.113.5';
const HOME = '198.51.100.10';

function one(options: string, header = 'alert tcp any any -> any any', values: Record<string, string> = {}) {
  const { set, problems } = load(`${header} (msg:"t"; ${options} sid:1000001;)\n`, values);
  expect(problems).toEqual([]);
  expect(set.size).toBe(1);
  return set;
}

const fires = (set: ReturnType<typeof one>, line: string) => sids(set, line).includes(1000001);

describe('header', () => {
  test('addresses: any, CIDR, dotted mask, lists, negation, IPv6', () => {
    const h = (src: string) => one('', `alert tcp ${src} any -> any any`);
    expect(fires(h('203.0.113.0/24'), tcpLine(EXT, HOME, 1, 2))).toBe(true);
    expect(fires(h('203.0.113.0/255.255.255.0'), tcpLine(EXT, HOME, 1, 2))).toBe(true);
    expect(fires(h('203.0.112.0/255.255.255.0'), tcpLine(EXT, HOME, 1, 2))).toBe(false);
    expect(fires(h('[192.0.2.1,203.0.113.5]'), tcpLine(EXT, HOME, 1, 2))).toBe(true);
    expect(fires(h('!203.0.113.5'), tcpLine(EXT, HOME, 1, 2))).toBe(false);
    expect(fires(h('![192.0.2.0/24,198.51.100.0/24]'), tcpLine(EXT, HOME, 1, 2))).toBe(true);
    expect(fires(h('[203.0.113.0/24,!203.0.113.5]'), tcpLine(EXT, HOME, 1, 2))).toBe(false);
    expect(fires(h('[203.0.113.0/24,!203.0.113.5]'), tcpLine('203.0.113.6', HOME, 1, 2))).toBe(true);
    expect(fires(h('2001:db8:bad::/48'), tcpLine('2001:db8:bad::1', '2001:db8::2', 1, 2))).toBe(true);
    expect(fires(h('2001:db8:bad::/48'), tcpLine(EXT, HOME, 1, 2))).toBe(false);
    expect(fires(h('0.0.0.0/0'), tcpLine('2001:db8:bad::1', '2001:db8::2', 1, 2))).toBe(false);
    expect(fires(h('any'), tcpLine('2001:db8:bad::1', '2001:db8::2', 1, 2))).toBe(true);
  });

  test('$VARS come from the configuration, nested and negated', () => {
    const values = { HOME_NET: '[198.51.100.0/24, 2001:db8:100::/48]', EXTERNAL_NET: '!$HOME_NET', SQL_SERVERS: '198.51.100.10', AIM_SERVERS: '$SQL_SERVERS' };
    const ext = one('', 'alert tcp $EXTERNAL_NET any -> $SQL_SERVERS any', values);
    expect(fires(ext, tcpLine(EXT, HOME, 1, 1433))).toBe(true);
    expect(fires(ext, tcpLine('198.51.100.7', HOME, 1, 1433))).toBe(false);
    expect(fires(ext, tcpLine(EXT, '198.51.100.11', 1, 1433))).toBe(false);
    expect(fires(one('', 'alert tcp any any -> $AIM_SERVERS any', values), tcpLine(EXT, HOME, 1, 2))).toBe(true);
    for (const v of ['HTTP_SERVERS', 'SMTP_SERVERS', 'DNS_SERVERS', 'TELNET_SERVERS']) {
      expect(fires(one('', `alert tcp any any -> $${v} any`, { HOME_NET: HOME }), tcpLine(EXT, HOME, 1, 2))).toBe(true);
      expect(fires(one('', `alert tcp any any -> $${v} any`, { HOME_NET: HOME }), tcpLine(EXT, '198.51.100.99', 1, 2))).toBe(false);
    }
  });

  test('ports: N, N:M, N:, :M, !, lists, $HTTP_PORTS, $SHELLCODE_PORTS, $ORACLE_PORTS', () => {
    const p = (dport: string, values = {}) => one('', `alert tcp any any -> any ${dport}`, values);
    const at = (set: ReturnType<typeof one>, port: number) => fires(set, tcpLine(EXT, HOME, 40000, port));
    expect([at(p('1000:1002'), 999), at(p('1000:1002'), 1000), at(p('1000:1002'), 1002), at(p('1000:1002'), 1003)]).toEqual([false, true, true, false]);
    expect([at(p('1024:'), 1023), at(p('1024:'), 65535)]).toEqual([false, true]);
    expect([at(p(':1023'), 1023), at(p(':1023'), 1024)]).toEqual([true, false]);
    expect([at(p('!80'), 80), at(p('!80'), 81)]).toEqual([false, true]);
    expect([at(p('![1:1024]'), 22), at(p('![1:1024]'), 2222)]).toEqual([false, true]);
    expect([at(p('[22,80,8000:8080]'), 22), at(p('[22,80,8000:8080]'), 8079), at(p('[22,80,8000:8080]'), 23)]).toEqual([true, true, false]);
    expect([at(p('$HTTP_PORTS'), 80), at(p('$HTTP_PORTS', { HTTP_PORTS: '[80,8080]' }), 8080)]).toEqual([true, true]);
    expect([at(p('$SHELLCODE_PORTS'), 80), at(p('$SHELLCODE_PORTS'), 8080)]).toEqual([false, true]);
    expect(at(p('$ORACLE_PORTS'), 1521)).toBe(true);
    const src = one('', 'alert tcp any 10101 -> any any');
    expect([fires(src, tcpLine(EXT, HOME, 10101, 1)), fires(src, tcpLine(EXT, HOME, 10102, 1))]).toEqual([true, false]);
  });

  test('directions: -> one way, <- swapped, <> both ways', () => {
    const fwd = one('', `alert tcp ${EXT} any -> ${HOME} 23`);
    const back = one('', `alert tcp ${HOME} 23 <- ${EXT} any`);
    const both = one('', `alert tcp ${EXT} any <> ${HOME} 23`);
    const inbound = tcpLine(EXT, HOME, 40000, 23);
    const reply = tcpLine(HOME, EXT, 23, 40000, 'ACK SYN', { chain: 'OUTPUT' });
    expect([fires(fwd, inbound), fires(fwd, reply)]).toEqual([true, false]);
    expect([fires(back, inbound), fires(back, reply)]).toEqual([true, false]);
    expect([fires(both, inbound), fires(both, reply)]).toEqual([true, true]);
  });

  test('protocols: ip covers every protocol and both families; icmp is ICMPv4 only; udplite, sctp', () => {
    const ip = one('', 'alert ip any any -> any any');
    expect(fires(ip, tcpLine(EXT, HOME, 1, 2))).toBe(true);
    expect(fires(ip, tcpLine('2001:db8::1', '2001:db8::2', 1, 2))).toBe(true);
    const udplite = logLine(`IN=eth0 OUT= SRC=${EXT} DST=${HOME} LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=UDPLITE SPT=1 DPT=9 LEN=20`);
    expect(fires(one('', 'alert udplite any any -> any 9'), udplite)).toBe(true);
    expect(fires(one('', 'alert udp any any -> any 9'), udplite)).toBe(false);
    const sctp = logLine(`IN=eth0 OUT= SRC=${EXT} DST=${HOME} LEN=52 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=SCTP SPT=5000 DPT=38412`);
    expect(fires(one('', 'alert sctp any any -> any 38412'), sctp)).toBe(true);
    const icmp6 = logLine('IN=eth0 OUT= SRC=2001:db8::1 DST=2001:db8::2 LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=1 SEQ=1');
    const icmp4 = logLine(`IN=eth0 OUT= SRC=${EXT} DST=${HOME} LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1`);
    expect([fires(one('itype:8;', 'alert icmp any any -> any any'), icmp4), fires(one('itype:128;', 'alert icmp any any -> any any'), icmp6)]).toEqual([true, false]);
    expect([fires(one('itype:128;', 'alert icmp6 any any -> any any'), icmp6), fires(one('itype:128; tsad_icmp6;', 'alert icmp any any -> any any'), icmp6)]).toEqual([true, true]);
    expect(fires(one('itype:128; tsad_icmp6;', 'alert icmp any any -> any any'), icmp4)).toBe(false);
  });
});

describe('options', () => {
  test('flags: exact, +, *, !, ignore part; flags:0 is NULL; ECN ignored unless named', () => {
    const f = (v: string, flags: string) => fires(one(`flags:${v};`), tcpLine(EXT, HOME, 1, 2, flags));
    expect([f('S', 'SYN'), f('S', 'ACK SYN'), f('S', 'CWR ECE SYN')]).toEqual([true, false, true]);
    expect([f('0', ''), f('0', 'FIN'), f('0', 'CWR ECE')]).toEqual([true, false, true]);
    expect([f('SE', 'ECE SYN'), f('SE', 'SYN'), f('SC', 'CWR SYN')]).toEqual([true, false, true]);
    expect([f('S+', 'ACK SYN'), f('+S', 'FIN'), f('A+', 'ACK PSH')]).toEqual([true, false, true]);
    expect([f('*SF', 'FIN'), f('*SF', 'ACK')]).toEqual([true, false]);
    expect([f('!A', 'SYN'), f('!A', 'ACK SYN')]).toEqual([true, false]);
    expect([f('S,12', 'CWR ECE SYN'), f('S,U', 'URG SYN'), f('S,12', 'URG SYN')]).toEqual([true, true, false]);
    expect([f('FPU', 'URG PSH FIN'), f('SRAFPU', 'URG ACK PSH RST SYN FIN')]).toEqual([true, true]);
    expect(fires(one('flags:S;'), logLine(`IN=eth0 OUT= SRC=${EXT} DST=${HOME} LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=UDP SPT=1 DPT=2 LEN=8`))).toBe(false);
  });

  test('flow:established adds ACK (psad); other flow words are accepted', () => {
    expect([fires(one('flags:S; flow:established;'), tcpLine(EXT, HOME, 1, 2, 'ACK SYN')), fires(one('flags:S; flow:established;'), tcpLine(EXT, HOME, 1, 2, 'SYN'))]).toEqual([true, false]);
    expect([fires(one('flow:established,to_server;'), tcpLine(EXT, HOME, 1, 2, 'ACK PSH')), fires(one('flow:to_server;'), tcpLine(EXT, HOME, 1, 2, 'SYN'))]).toEqual([true, true]);
  });

  test('integer options: ttl, id, window, tos, seq, ack with < > <= >= ! and ranges', () => {
    const at = (opt: string, extra: Parameters<typeof tcpLine>[5]) => fires(one(opt), tcpLine(EXT, HOME, 1, 2, 'SYN', extra));
    expect([at('ttl:>220;', { ttl: 221 }), at('ttl:>220;', { ttl: 220 }), at('ttl:<=5;', { ttl: 5 }), at('ttl:>=5;', { ttl: 4 })]).toEqual([true, false, true, false]);
    expect([at('ttl:3-5;', { ttl: 5 }), at('ttl:3-5;', { ttl: 6 }), at('ttl:3<>5;', { ttl: 3 }), at('ttl:3<>5;', { ttl: 4 }), at('ttl:3<=>5;', { ttl: 3 })]).toEqual([true, false, false, true, true]);
    expect([at('ttl:!64;', { ttl: 64 }), at('ttl:!64;', { ttl: 63 }), at('ttl:!60:70;', { ttl: 64 }), at('ttl:< 10;', { ttl: 9 })]).toEqual([false, true, false, true]);
    expect([at('id:39426;', { id: 39426 }), at('id:39426;', { id: 1 }), at('window:55808;', { window: 55808 }), at('window:>1024;', { window: 1024 })]).toEqual([true, false, true, false]);
    expect([at('seq:1958810375;', { seq: 1958810375 }), at('seq:1958810375;', {}), at('ack:0;', { seq: 5 })]).toEqual([true, false, true]);
    const tos = logLine(`IN=eth0 OUT= SRC=${EXT} DST=${HOME} LEN=40 TOS=0x10 PREC=0x00 TTL=64 ID=1 PROTO=TCP SPT=1 DPT=2 WINDOW=1 RES=0x00 SYN URGP=0`);
    expect([fires(one('tos:16;'), tos), fires(one('tos:!16;'), tos)]).toEqual([true, false]);
  });

  test('IPv6: ttl is the hop limit; id never matches (psad skipped both)', () => {
    const v6 = tcpLine('2001:db8::1', '2001:db8::2', 1, 2, 'SYN', { ttl: 250 });
    expect([fires(one('ttl:>220;'), v6), fires(one('ttl:<220;'), v6), fires(one('id:1;'), v6), fires(one('id:!1;'), v6)]).toEqual([true, false, false, false]);
  });

  test('dsize from real header lengths: IPv4 options, TCP options, IPv6, UDP, ICMP', () => {
    const d = (v: string, line: string) => fires(one(`dsize:${v};`, 'alert ip any any -> any any'), line);
    expect([d('0', tcpLine(EXT, HOME, 1, 2, 'SYN', { len: 40 })), d('4', tcpLine(EXT, HOME, 1, 2, 'SYN', { len: 44 }))]).toEqual([true, true]);
    const withOpts = `${tcpLine(EXT, HOME, 1, 2, 'SYN', { len: 60 })} OPT (020405B40402080A000000010000000001030307)`;
    expect([d('0', withOpts), d('>0', withOpts)]).toEqual([true, false]);
    const ipOpts = logLine(`IN=eth0 OUT= SRC=${EXT} DST=${HOME} LEN=48 TOS=0x00 PREC=0x00 TTL=64 ID=1 OPT (8307040A00000100) PROTO=TCP SPT=1 DPT=2 WINDOW=1 RES=0x00 SYN URGP=0`);
    expect(d('0', ipOpts)).toBe(true);
    expect([d('0', tcpLine('2001:db8::1', '2001:db8::2', 1, 2, 'SYN', { len: 60 })), d('20', tcpLine('2001:db8::1', '2001:db8::2', 1, 2, 'SYN', { len: 80 }))]).toEqual([true, true]);
    expect(d('376', logLine(`IN=eth0 OUT= SRC=${EXT} DST=${HOME} LEN=404 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=UDP SPT=1 DPT=1434 LEN=384`))).toBe(true);
    expect(d('56', logLine(`IN=eth0 OUT= SRC=${EXT} DST=${HOME} LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=8 CODE=0 ID=1 SEQ=1`))).toBe(true);
    expect(d('56', logLine('IN=eth0 OUT= SRC=2001:db8::1 DST=2001:db8::2 LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=1 SEQ=1'))).toBe(true);
    const psad = one('psad_dsize:>130; psad_ip_len:404;', 'alert udp any any -> any any');
    expect(fires(psad, logLine(`IN=eth0 OUT= SRC=${EXT} DST=${HOME} LEN=404 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=UDP SPT=1 DPT=1434 LEN=384`))).toBe(true);
  });

  test('itype, icode (with ranges), icmp_id and icmp_seq from the right fields', () => {
    const echo = (id: number, seq: number, code = 0) => logLine(`IN=eth0 OUT= SRC=${EXT} DST=${HOME} LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=0 CODE=${code} ID=${id} SEQ=${seq}`);
    const tfn = one('itype:0; icmp_id:456; icmp_seq:0;', 'alert icmp any any -> any any');
    expect([fires(tfn, echo(456, 0)), fires(tfn, echo(0, 456)), fires(tfn, echo(456, 1))]).toEqual([true, false, false]);
    const code = one('itype:0; icode:1:3;', 'alert icmp any any -> any any');
    expect([fires(code, echo(1, 1, 0)), fires(code, echo(1, 1, 2)), fires(code, echo(1, 1, 4))]).toEqual([false, true, false]);
    const unreach = logLine(`IN=eth0 OUT= SRC=${EXT} DST=${HOME} LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=ICMP TYPE=3 CODE=3 [SRC=${HOME} DST=${EXT} LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=2 PROTO=UDP SPT=1 DPT=2 LEN=8 ]`);
    expect([fires(one('icmp_id:0;', 'alert icmp any any -> any any'), unreach), fires(one('itype:3; icode:>2;', 'alert icmp any any -> any any'), unreach)]).toEqual([false, true]);
  });

  test('ipopts, ip_proto, sameip, fragbits, fragoffset, tsad_chain', () => {
    const lsrr = logLine(`IN=eth0 OUT= SRC=${EXT} DST=${HOME} LEN=48 TOS=0x00 PREC=0x00 TTL=64 ID=1 OPT (01018307040A000001) PROTO=TCP SPT=1 DPT=2 WINDOW=1 RES=0x00 SYN URGP=0`);
    expect([fires(one('ipopts:lsrr;'), lsrr), fires(one('ipopts:rr;'), lsrr), fires(one('ipopts:any;'), lsrr), fires(one('ipopts:any;'), tcpLine(EXT, HOME, 1, 2))]).toEqual([true, false, true, false]);
    const gre = logLine(`IN=eth0 OUT= SRC=${EXT} DST=${HOME} LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=47`);
    expect([fires(one('ip_proto:47;', 'alert ip any any -> any any'), gre), fires(one('ip_proto:gre;', 'alert ip any any -> any any'), gre), fires(one('ip_proto:!47;', 'alert ip any any -> any any'), gre)]).toEqual([true, true, false]);
    expect([fires(one('sameip;', 'alert ip any any -> any any'), tcpLine(HOME, HOME, 1, 2)), fires(one('sameip;', 'alert ip any any -> any any'), tcpLine(EXT, HOME, 1, 2))]).toEqual([true, false]);
    const frag = logLine(`IN=eth0 OUT= SRC=${EXT} DST=${HOME} LEN=1500 TOS=0x00 PREC=0x00 TTL=64 ID=7 MF FRAG:0 PROTO=UDP SPT=1 DPT=2 LEN=3000`);
    const mfOnly = one('fragbits:M;', 'alert ip any any -> any any');
    expect([fires(mfOnly, frag), fires(mfOnly, tcpLine(EXT, HOME, 1, 2))]).toEqual([true, false]);
    const out = one('tsad_chain:OUTPUT,FORWARD;');
    expect([fires(out, tcpLine(HOME, EXT, 1, 2, 'SYN', { chain: 'OUTPUT' })), fires(out, tcpLine(HOME, EXT, 1, 2, 'SYN', { chain: 'FORWARD' })), fires(out, tcpLine(EXT, HOME, 1, 2))]).toEqual([true, true, false]);
  });

  test('metadata options and psad options are read', () => {
    const { set } = load('alert tcp any any -> any 1 (msg:"a \\"quoted\\" msg; with ;"; reference:url,example.org/a\\;b; reference:cve,2002-0012; metadata:policy balanced; classtype:trojan-activity; rev:3; psad_id:100001; psad_derived_sids:109, 110; flags:S;;)\n');
    const r = set.rules()[0];
    expect(r).toMatchObject({ msg: 'a "quoted" msg; with ;', sid: 100001, sidIsPsadId: true, rev: 3, classtype: 'trojan-activity', priority: 1, references: ['url,example.org/a;b', 'cve,2002-0012'], metadata: ['policy balanced'], derivedSids: [109, 110] });
  });

  test('danger level: psad_dl, else priority, else classtype priority, else 2', () => {
    const { set } = load([
      'alert tcp any any -> any 1 (msg:"a"; psad_dl:4; classtype:trojan-activity; sid:1;)',
      'alert tcp any any -> any 1 (msg:"b"; priority:3; classtype:trojan-activity; sid:2;)',
      'alert tcp any any -> any 1 (msg:"c"; classtype:trojan-activity; sid:3;)',
      'alert tcp any any -> any 1 (msg:"d"; classtype:tcp-connection; sid:4;)',
      'alert tcp any any -> any 1 (msg:"e"; priority:9; sid:5;)',
      'alert tcp any any -> any 1 (msg:"f"; classtype:made-up; sid:6;)',
    ].join('\n'));
    expect(set.rules().map((r) => [r.sid, r.dl, r.dlSource])).toEqual([
      [1, 4, 'psad_dl'], [2, 3, 'priority'], [3, 5, 'classtype'], [4, 2, 'classtype'], [5, 1, 'priority'], [6, 2, 'default'],
    ]);
  });

  test('a rule continued with a backslash reads as one rule at its first line', () => {
    const { set } = load('# c\nalert tcp any any -> any 1 \\\n  (msg:"x"; \\\n  sid:7;)\n');
    expect(set.rules().map((r) => [r.sid, r.line])).toEqual([[7, 2]]);
  });
});

describe('problems: file:line and reason; the other rules still load', () => {
  const cases: Array<[string, RegExp, boolean]> = [
    ['alert tcp any any -> any 1 (sid:1;)', /no msg/, false],
    ['alert tcp any any -> any 1 (msg:"x";)', /no sid or psad_id/, false],
    ['alert foo any any -> any 1 (msg:"x"; sid:1;)', /unknown protocol "foo"/, false],
    ['alart tcp any any -> any 1 (msg:"x"; sid:1;)', /unknown action/, false],
    ['alert tcp any any => any 1 (msg:"x"; sid:1;)', /direction "=>"/, false],
    ['alert tcp any any -> any (msg:"x"; sid:1;)', /7 fields/, false],
    ['alert tcp any any -> any 1 msg:"x"; sid:1;', /missing "\("/, false],
    ['alert tcp any any -> any 1 (msg:"x; sid:1;)', /unterminated quoted/, false],
    ['alert tcp 300.1.1.1 any -> any 1 (msg:"x"; sid:1;)', /source address: "300.1.1.1"/, false],
    ['alert tcp [1.2.3.4 any -> any 1 (msg:"x"; sid:1;)', /unbalanced/, false],
    ['alert tcp $NOPE any -> any 1 (msg:"x"; sid:1;)', /unknown variable \$NOPE/, false],
    ['alert tcp any any -> any 70000 (msg:"x"; sid:1;)', /destination port: 70000 is out of range/, false],
    ['alert tcp any any -> any 9:1 (msg:"x"; sid:1;)', /empty range/, false],
    ['alert tcp any any -> any 1 (msg:"x"; flags:SQ; sid:1;)', /flags: unknown flag "Q"/, false],
    ['alert tcp any any -> any 1 (msg:"x"; ttl:abc; sid:1;)', /ttl: "abc" is not a whole number/, false],
    ['alert tcp any any -> any 1 (msg:"x"; ttl:1; ttl:2; sid:1;)', /given twice/, false],
    ['alert tcp any any -> any 1 (msg:"x"; psad_dl:7; sid:1;)', /psad_dl: "7" is not a number in 0..5/, false],
    ['alert tcp any any -> any 1 (msg:"x"; ipopts:bogus; sid:1;)', /ipopts: unknown option "bogus"/, false],
    ['alert tcp any any -> any 1 (msg:"x"; tsad_chain:PREROUTING; sid:1;)', /not INPUT, OUTPUT or FORWARD/, false],
    ['alert tcp any any -> any 1 (msg:"x"; tsad_icmp6; sid:1;)', /tsad_icmp6 applies to icmp rules only/, false],
    ['alert tcp any any -> any 1 (msg:"x"; content:"GET"; sid:1;)', /needs packet payload \(content\)/, true],
    ['alert tcp any any -> any 1 (msg:"x"; pcre:"/a/"; sid:1;)', /needs packet payload \(pcre\)/, true],
    ['alert tcp any any -> any 1 (msg:"x"; byte_test:1,>,2,0; sid:1;)', /needs packet payload \(byte_test\)/, true],
    ['alert tcp any any -> any 1 (msg:"x"; flowbits:set,a; sid:1;)', /needs flow state \(flowbits\)/, true],
    ['alert tcp any any -> any 1 (msg:"x"; threshold:type limit, track by_src, count 1, seconds 60; sid:1;)', /needs rate tracking \(threshold\)/, true],
    ['alert http any any -> any any (msg:"x"; sid:1;)', /application-layer protocol "http"/, true],
    ['pass tcp any any -> any 1 (msg:"x"; sid:1;)', /"pass" rules are not supported/, true],
    ['alert tcp any any -> any 1 (msg:"x"; wibble:3; sid:1;)', /unsupported option "wibble"/, true],
  ];
  test.each(cases)('%s', (rule, reason, skipped) => {
    const { set, problems } = load(`# first\nalert tcp any any -> any 5 (msg:"ok"; sid:9;)\n${rule}\nalert tcp any any -> any 6 (msg:"ok too"; sid:10;)\n`);
    expect(set.rules().map((r) => r.sid)).toEqual([9, 10]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 3, skipped });
    expect(problems[0]?.file).toMatch(/test\.rules$/);
    expect(problems[0]?.reason).toMatch(reason);
  });

  test('duplicate ids (sid, psad_id, or one against the other) are reported, the first rule kept', () => {
    const { set, problems } = load([
      'alert tcp any any -> any 1 (msg:"a"; sid:100; psad_id:100100;)',
      'alert tcp any any -> any 2 (msg:"b"; sid:100;)',
      'alert tcp any any -> any 3 (msg:"c"; psad_id:100100;)',
      'alert tcp any any -> any 4 (msg:"d"; sid:100100;)',
      'alert tcp any any -> any 5 (msg:"e"; sid:101;)',
    ].join('\n'));
    expect(set.rules().map((r) => r.msg)).toEqual(['a', 'e']);
    expect(problems.map((p) => [p.line, p.skipped, p.sid])).toEqual([[2, false, 100], [3, false, 100100], [4, false, 100100]]);
    expect(problems[0]?.reason).toMatch(/already used by .*test\.rules:1/);
  });

  test('a missing path is reported with line 0; the other paths load', () => {
    const good = ruleFile('alert tcp any any -> any 1 (msg:"a"; sid:1;)\n');
    const { set, problems } = loadSignatureSet({ paths: ['/nonexistent/tsad.rules', good], cfg: config({ SNORT_RULE_DL_FILE: '""' }) });
    expect(set.size).toBe(1);
    expect(problems).toEqual([{ file: '/nonexistent/tsad.rules', line: 0, reason: 'cannot read: ENOENT', skipped: false }]);
  });
});

test('a parsed packet without a matching rule gives null', () => {
  const set = one('flags:S;', 'alert tcp any any -> any 23');
  expect(set.match(packet(tcpLine(EXT, HOME, 1, 24)))).toBeNull();
});
