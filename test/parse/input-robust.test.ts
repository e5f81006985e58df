/**
 * Hostile and damaged input at the parse stage (issue 14 items 1-3, issue 13
 * item 11), on real captured lines (fixtures/captured, fixtures/sample):
 * impossible times are skipped as `bad-time`, every number is range-checked
 * (`bad-number`), a repeated key is `malformed`, control bytes before the
 * date do not hide it, and the real-world formats that lost data parse.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/model/packet.js';
import { createParseContext, parseLine, parseUlogdJson, type ParseResult } from '../../src/parse/index.js';

const CAP = new URL('../../fixtures/captured/', import.meta.url).pathname;
const SAMPLE = new URL('../../fixtures/sample/kern.log', import.meta.url).pathname;
/** The documented range of event times: 1990-01-01 up to (not including) 2050-01-01 UTC. */
const TS_MIN = Date.UTC(1990, 0, 1);
const TS_MAX = Date.UTC(2050, 0, 1);
const BOOT = Date.parse((JSON.parse(readFileSync(`${CAP}manifest.json`, 'utf8')) as { captureBaseTime: string }).captureBaseTime);

/** The first line of a capture file that holds `needle`. */
function real(file: string, needle = 'SRC='): string {
  const path = file.startsWith('/') ? file : `${CAP}${file}`;
  const line = readFileSync(path, 'utf8').split('\n').find((l) => l.includes(needle));
  if (line === undefined) throw new Error(`no line with ${needle} in ${file}`);
  return line;
}

const ctx = () => createParseContext({ bootTime: BOOT, refTime: BOOT + 86_400_000 });
const parse = (line: string): ParseResult => parseLine(line, ctx());

function pkt(line: string): Packet {
  const r = parse(line);
  if (r === null || typeof r === 'string') throw new Error(`not parsed (${String(r)}): ${JSON.stringify(line)}`);
  return r;
}

const SYN = real('nft/syn.kern.log'); // RFC 3164 + kernel uptime stamp, TCP SYN
const SYN_KMSG = real('nft/syn.kmsg');
const SYN_DMESG = real('nft/syn.dmesg.txt');
const SYN_JSON = real('nft/syn.json.txt');
const SYN_ISO = real('nft/syn.rfc3339.log');
const SEQ = real(SAMPLE, 'SEQ='); // IPv4 TCP with SEQ= ACK= and TCP options
const UDP = real('nft/udp.kern.log', 'PROTO=UDP');
const PING = real('nft/ping.kern.log', 'PROTO=ICMP ');
const SYN6 = real('nft/syn6.kern.log');
const PING6 = real('nft/ping6.kern.log', 'PROTO=ICMPv6');

describe('absurd timestamps (issue 14 item 1)', () => {
  const payload = SYN_KMSG.slice(SYN_KMSG.indexOf(';') + 1);

  it.each([
    ['a kernel uptime stamp (dmesg)', `[ 9999999999999999999036.198848] ${payload}`],
    ['a /dev/kmsg record', `4,17579,9999999999999999991626634362,-;${payload}`],
    ['journal json __REALTIME_TIMESTAMP', SYN_JSON.replace(/"__REALTIME_TIMESTAMP":"\d+"/, '"__REALTIME_TIMESTAMP":"17952508095263999999999999"')],
    ['journal json __REALTIME_TIMESTAMP that is not a number', SYN_JSON.replace(/"__REALTIME_TIMESTAMP":"\d+"/, '"__REALTIME_TIMESTAMP":"soon"')],
    ['an ISO date in year 9999', SYN_ISO.replace(/^2026/, '9999')],
    ['an ISO date before 1990', SYN_ISO.replace(/^2026/, '1989')],
    ['an ISO year below 100 (Date would make it 19xx)', SYN_ISO.replace(/^2026/, '0075')],
    ['a kernel uptime stamp after the kernel tag, with no date', `fw1 kernel: [ 9999999999999999999036.198848] ${payload}`],
  ])('%s: skipped as bad-time', (_name, line) => {
    expect(parse(line)).toBe('bad-time');
  });

  it('a journal export record with an absurd __REALTIME_TIMESTAMP is skipped as bad-time', () => {
    const lines = readFileSync(`${CAP}nft/syn.export.txt`, 'utf8').split('\n');
    const end = lines.indexOf('');
    const c = ctx();
    const results = lines.slice(0, end + 1).map((l) => parseLine(l.startsWith('__REALTIME_TIMESTAMP=') ? '__REALTIME_TIMESTAMP=9999999999999999999999999' : l, c));
    expect(results.filter((r) => r !== null)).toEqual(['bad-time']);
  });

  it('an absurd uptime stamp inside a line with a good syslog date keeps the date (the envelope time)', () => {
    const line = SYN.replace(/\[\s*[\d.]+\]/, '[ 9999999999999999999036.198848]');
    expect(pkt(line).ts).toBe(pkt(SYN).ts);
  });

  it('times at the ends of the accepted range', () => {
    expect(pkt(SYN_ISO.replace(/^2026-11-21T08:44:15.435242\+00:00/, '1990-01-01T00:00:00+00:00')).ts).toBe(TS_MIN);
    expect(pkt(SYN_ISO.replace(/^2026-11-21T08:44:15.435242\+00:00/, '2049-12-31T23:59:59+00:00')).ts).toBe(TS_MAX - 1000);
    expect(parse(SYN_ISO.replace(/^2026-11-21T08:44:15.435242\+00:00/, '2050-01-01T00:00:00+00:00'))).toBe('bad-time');
    expect(parseLine(SYN, createParseContext({ year: 1989 }))).toBe('bad-time');
  });

  it('ulogd JSON with an absurd oob.time.sec is skipped as bad-time', () => {
    const rec = { 'oob.time.sec': 99999999999999, 'oob.prefix': 'DROP', 'oob.in': 'eth0', src_ip: '198.51.100.10', dest_ip: '198.51.100.20', 'ip.protocol': 6, src_port: 1, dest_port: 2, 'tcp.syn': 1, 'tcp.window': 1024 };
    expect(parseUlogdJson(JSON.stringify(rec))).toBe('bad-time');
    expect(parseUlogdJson(JSON.stringify({ ...rec, 'oob.time.sec': 1795250655 }))).not.toBeTypeOf('string');
  });
});

describe('every number is range-checked (issue 14 item 2)', () => {
  // [field, real line, the token as it is there (regex), the largest valid value as written, the Packet field]
  const cases: Array<[string, string, RegExp, string, string, keyof Packet, number]> = [
    ['SPT', SYN, /SPT=\d+/, 'SPT=65535', 'SPT=65536', 'sport', 65535],
    ['DPT', SYN, /DPT=\d+/, 'DPT=65535', 'DPT=70000', 'dport', 65535],
    ['LEN (IPv4)', SYN, /LEN=\d+/, 'LEN=65535', 'LEN=65536', 'len', 65535],
    ['LEN (IPv6: payload + 40)', SYN6, /LEN=\d+/, 'LEN=65575', 'LEN=65576', 'len', 65575],
    ['LEN (UDP)', UDP, /LEN=\d+ $/, 'LEN=65535 ', 'LEN=65536 ', 'udpLen', 65535],
    ['TTL', SYN, /TTL=\d+/, 'TTL=255', 'TTL=256', 'ttl', 255],
    ['HOPLIMIT', SYN6, /HOPLIMIT=\d+/, 'HOPLIMIT=255', 'HOPLIMIT=256', 'ttl', 255],
    ['TC', SYN6, /TC=\d+/, 'TC=255', 'TC=256', 'tc', 255],
    ['FLOWLBL', PING6, /FLOWLBL=\d+/, 'FLOWLBL=1048575', 'FLOWLBL=1048576', 'flowLabel', 1048575],
    ['ID (IPv4)', SYN, /ID=\d+/, 'ID=65535', 'ID=65536', 'id', 65535],
    ['ID (ICMP echo)', PING, / ID=\d+ SEQ/, ' ID=65535 SEQ', ' ID=65536 SEQ', 'icmpId', 65535],
    ['SEQ (ICMP echo)', PING, /SEQ=\d+/, 'SEQ=65535', 'SEQ=65536', 'icmpSeq', 65535],
    ['TYPE', PING, /TYPE=\d+/, 'TYPE=255', 'TYPE=256', 'icmpType', 255],
    ['CODE', PING, /CODE=\d+/, 'CODE=255', 'CODE=256', 'icmpCode', 255],
    ['TOS', SYN, /TOS=0x\w+/, 'TOS=0xFF', 'TOS=0x100', 'tos', 255],
    ['PREC', SYN, /PREC=0x\w+/, 'PREC=0xE0', 'PREC=0x100', 'prec', 0xe0],
    ['WINDOW', SYN, /WINDOW=\d+/, 'WINDOW=65535', 'WINDOW=65536', 'window', 65535],
    ['URGP', SYN, /URGP=\d+/, 'URGP=65535', 'URGP=65536', 'urgp', 65535],
    ['RES', SYN, /RES=0x\w+/, 'RES=0xFF', 'RES=0x100', 'res', 255],
    ['SEQ (TCP)', SEQ, /SEQ=\d+/, 'SEQ=4294967295', 'SEQ=4294967296', 'seq', 4294967295],
    ['ACK=', SEQ, /ACK=\d+/, 'ACK=4294967295', 'ACK=4294967296', 'ack', 4294967295],
    ['UID', SYN, /URGP=0 /, 'URGP=0 UID=4294967295 ', 'URGP=0 UID=4294967296 ', 'uid', 4294967295],
    ['GID', SYN, /URGP=0 /, 'URGP=0 GID=4294967295 ', 'URGP=0 GID=4294967296 ', 'gid', 4294967295],
    ['MARK', SYN, /URGP=0 /, 'URGP=0 MARK=0xffffffff ', 'URGP=0 MARK=0x100000000 ', 'mark', 0xffffffff],
    ['FRAG (IPv4: 13 bits)', SYN, /PROTO=/, 'FRAG:8191 PROTO=', 'FRAG:8192 PROTO=', 'frag', 8191],
    ['MTU (ICMP: 16 bits)', PING, /SEQ=\d+/, 'MTU=65535', 'MTU=65536', 'icmpMtu', 65535],
    ['PARAMETER', PING, /SEQ=\d+/, 'PARAMETER=255', 'PARAMETER=256', 'icmpParam', 255],
    ['MTU (ICMPv6: 32 bits)', PING6, /SEQ=\d+/, 'MTU=4294967295', 'MTU=4294967296', 'icmpMtu', 4294967295],
    ['POINTER (ICMPv6)', PING6, /SEQ=\d+/, 'POINTER=ffffffff', 'POINTER=100000000', 'icmpParam', 0xffffffff],
    ['PROTO (number)', SYN, /PROTO=TCP SPT=\d+ DPT=\d+ WINDOW=\d+ RES=0x00 SYN URGP=0/, 'PROTO=255', 'PROTO=256', 'protoNum', 255],
  ];

  it.each(cases)('%s: the largest value parses, one more is bad-number', (_name, line, token, ok, bad, field, value) => {
    expect(line).toMatch(token);
    expect(pkt(line.replace(token, ok))[field]).toBe(value);
    expect(parse(line.replace(token, bad))).toBe('bad-number');
  });

  it.each([
    ['a 12-digit port', SYN.replace(/DPT=\d+/, 'DPT=999999999999')],
    ['a 40-digit port', SYN.replace(/DPT=\d+/, `DPT=${'9'.repeat(40)}`)],
    ['a 30-digit TTL', SYN.replace(/TTL=\d+/, `TTL=${'9'.repeat(30)}`)],
    ['a huge hex TOS', SYN.replace(/TOS=0x\w+/, 'TOS=0xFFFFFFFFFFFFFFFFFFFF')],
    ['a huge ICMP type', PING.replace(/TYPE=\d+/, 'TYPE=99999999999')],
    ['a negative port', SYN.replace(/DPT=\d+/, 'DPT=-1')],
    ['a quoted port above 65535', 'Nov 21 08:35:11 gw kernel: DROP IN=eth0 OUT= SRC=203.0.113.9 DST=198.51.100.2 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=0 PROTO=ICMP TYPE=3 CODE=3 [SRC=198.51.100.2 DST=203.0.113.9 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=9 PROTO=UDP SPT=53 DPT=400000 LEN=8 ] '],
  ])('%s is bad-number', (_name, line) => {
    expect(parse(line)).toBe('bad-number');
  });

  it('a value cut at the end of the line is truncated, not a bad number', () => {
    expect(parse(SYN.replace(/ WINDOW=.*$/, ' WINDOW='))).toBe('truncated');
    expect(parse(SYN.replace(/ RES=.*$/, ' RES=0x'))).toBe('truncated');
  });

  it.each([
    ['SRC', (l: string) => l.replace(/ DST=/, ' SRC=192.0.2.99 DST=')],
    ['DST', (l: string) => l.replace(/ LEN=/, ' DST=192.0.2.99 LEN=')],
    ['DPT', (l: string) => l.replace(/ WINDOW=/, ' DPT=22 WINDOW=')],
    ['SPT', (l: string) => l.replace(/ WINDOW=/, ' SPT=22 WINDOW=')],
    ['TTL', (l: string) => l.replace(/ ID=/, ' TTL=1 ID=')],
    ['PROTO', (l: string) => l.replace(/ SPT=/, ' PROTO=UDP SPT=')],
    ['IN', (l: string) => l.replace(/ MAC=/, ' IN=eth9 MAC=')],
    ['OUT', (l: string) => l.replace(/ MAC=/, ' OUT=eth9 MAC=')],
    ['MAC', (l: string) => l.replace(/ SRC=/, ' MAC=00:11:22:33:44:55 SRC=')],
    ['WINDOW', (l: string) => l.replace(/ RES=/, ' WINDOW=5 RES=')],
  ])('%s twice outside the quoted packet is malformed, not "the last one wins"', (_key, edit) => {
    const line = edit(SYN);
    expect(line).not.toBe(SYN);
    expect(parse(line)).toBe('malformed');
  });

  it('the ICMP-quoted packet may repeat SRC/DST/ports: it is kept apart', () => {
    const p = pkt('Nov 21 08:35:11 gw kernel: DROP IN=eth0 OUT= SRC=203.0.113.9 DST=198.51.100.2 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=0 PROTO=ICMP TYPE=3 CODE=3 [SRC=198.51.100.2 DST=203.0.113.9 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=9 PROTO=UDP SPT=53 DPT=40000 LEN=8 ] ');
    expect([p.src, p.inner?.src, p.inner?.dport]).toEqual(['203.0.113.9', '198.51.100.2', 40000]);
  });

  it('ulogd JSON numbers are range-checked too', () => {
    const rec = { 'oob.time.sec': 1795250655, 'oob.in': 'eth0', src_ip: '198.51.100.10', dest_ip: '198.51.100.20', 'ip.protocol': 6, src_port: 1, dest_port: 2, 'tcp.syn': 1, 'tcp.window': 1024, 'ip.ttl': 64 };
    expect(parseUlogdJson(JSON.stringify(rec))).not.toBeTypeOf('string');
    for (const [k, v] of [['dest_port', 70000], ['src_port', 65536], ['ip.ttl', 256], ['tcp.window', 65536], ['tcp.seq', 2 ** 32], ['dest_port', 1.5], ['ip.ttl', 'x']] as const) {
      expect(parseUlogdJson(JSON.stringify({ ...rec, [k]: v })), `${k}=${v}`).toBe('bad-number');
    }
  });
});

describe('control bytes before the date (issue 14 item 3)', () => {
  it.each([
    ['NUL padding', '\u0000'.repeat(64)],
    ['one NUL', '\u0000'],
    ['ESC and SOH', '\u001b\u0001'],
    ['a tab', '\t'],
  ])('%s: the syslog date is still the time (not boot time + uptime)', (_name, junk) => {
    const want = pkt(SYN);
    const p = pkt(junk + SYN);
    expect(p.ts).toBe(want.ts);
    expect([p.host, p.prefix, p.src, p.dport]).toEqual([want.host, want.prefix, want.src, want.dport]);
  });

  it('NUL padding before a kmsg record keeps the record time', () => {
    expect(pkt(`\u0000\u0000${SYN_KMSG}`).ts).toBe(pkt(SYN_KMSG).ts);
    expect(pkt(`\u0000${SYN_DMESG}`).ts).toBe(pkt(SYN_DMESG).ts);
  });
});

describe('parsing gaps seen on real logs (issue 13 item 11)', () => {
  it('journalctl -o json-seq (RFC 7464: RS before each record) keeps the timestamp', () => {
    const p = pkt(`\u001e${SYN_JSON}`);
    const want = pkt(SYN_JSON);
    expect(p.ts).toBe(want.ts);
    expect(Number.isFinite(p.ts)).toBe(true);
    expect([p.host, p.prefix]).toEqual(['fw1', 'DROP']);
  });

  // pvefw-logger (/var/log/pve-firewall.log): VMID LOGLEVEL CHAIN DD/Mon/YYYY:HH:MM:SS +ZZZZ PREFIX IN=... ;
  // IN= and OUT= are written only for the devices the packet has.
  const fields = SYN.slice(SYN.indexOf(' MAC=') + 1);
  const mac = (fields.match(/MAC=([0-9a-f:]+)/) as RegExpMatchArray)[1];
  it('Proxmox pve-firewall lines without OUT= are inbound firewall lines, with their time', () => {
    const p = pkt(`0 5 - 21/Nov/2026:08:44:15 +0100 policy DROP: IN=vmbr0 PHYSIN=eno1 ${fields}`);
    expect([p.chain, p.inIf, p.outIf, p.physIn, p.prefix, p.src, p.dport]).toEqual(['INPUT', 'vmbr0', '', 'eno1', 'policy DROP:', '198.51.100.10', 1025]);
    expect(p.ts).toBe(Date.UTC(2026, 10, 21, 7, 44, 15));
    expect(pkt(`100 6 tap100i0-IN 21/Nov/2026:08:44:15 +0000 policy DROP: IN=fwbr100i0 ${fields.replace(`MAC=${mac} `, '')}`).chain).toBe('INPUT');
  });

  it('Proxmox pve-firewall lines without IN= are outbound firewall lines', () => {
    const p = pkt(`0 5 - 21/Nov/2026:08:44:15 +0000 policy REJECT: OUT=vmbr0 ${fields.replace(`MAC=${mac} `, '')}`);
    expect([p.chain, p.inIf, p.outIf, p.src]).toEqual(['OUTPUT', '', 'vmbr0', '198.51.100.10']);
  });

  it('other programs\' text with IN= or OUT= is still not a firewall line', () => {
    expect(parse('Nov 21 08:44:15 fw1 app: OUT=done IN=0 tasks')).toBeNull();
  });

  it('ESP (and AH) lines with a hex SPI= parse', () => {
    const esp = SYN.replace(/PROTO=TCP .*$/, 'PROTO=ESP SPI=0x1f2e3d4c ');
    const p = pkt(esp);
    expect([p.proto, p.protoNum, p.sport, p.dport]).toEqual(['esp', 50, -1, -1]);
    expect(pkt(SYN.replace(/PROTO=TCP .*$/, 'PROTO=AH SPI=0xffffffff ')).proto).toBe('ah');
    expect(parse(SYN.replace(/PROTO=TCP .*$/, 'PROTO=ESP SPI=0x1ffffffff '))).toBe('bad-number');
    expect(parse(SYN.replace(/PROTO=TCP .*$/, 'PROTO=ESP SPI=0x1 SPI=0x2 '))).toBe('malformed');
  });

  it('a line whose firewall fields start at DPT= (cut before SRC) is skipped as truncated', () => {
    const cut = SYN.replace(/DROP IN=.* DPT=/, 'DPT=');
    expect(cut).toMatch(/kernel: \[\s*[\d.]+\] DPT=\d+ WINDOW=/);
    expect(parse(cut)).toBe('truncated');
    expect(parse(SYN.replace(/DROP IN=.* SRC=/, 'SRC='))).toBe('truncated');
    expect(parse(SYN_JSON.replace(/DROP IN=[^"]* DPT=/, 'DPT='))).toBe('truncated');
  });
});
