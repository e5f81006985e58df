import { describe, expect, it } from 'vitest';
import { createParseContext, parseLine } from '../../src/parse/index.js';
import type { Packet } from '../../src/model/packet.js';
import { TCP_ACK, TCP_CWR, TCP_ECE, TCP_SYN } from '../../src/model/packet.js';

const PAYLOAD = 'IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 SRC=203.0.113.5 DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=48 ID=21227 PROTO=TCP SPT=48179 DPT=1003 WINDOW=1024 RES=0x00 SYN URGP=0 ';
const REF = Date.UTC(2026, 10, 21, 12);
const BOOT = Date.UTC(2026, 10, 21, 0);

function ctx() {
  return createParseContext({ refTime: REF, bootTime: BOOT });
}

function pkt(line: string, c = ctx()): Packet {
  const r = parseLine(line, c);
  if (r === null || typeof r === 'string') throw new Error(`not parsed: ${String(r)}: ${line}`);
  return r;
}

function local(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number {
  return new Date(y, mo, d, h, mi, s, ms).getTime();
}

describe('parseLine() envelopes', () => {
  it('reads RFC 3164 with kernel uptime and prefix', () => {
    const p = pkt(`Nov 21 08:35:11 fw1 kernel: [  463.251762] DROP ${PAYLOAD}`);
    expect(p.ts).toBe(local(2026, 10, 21, 8, 35, 11));
    expect(p.host).toBe('fw1');
    expect(p.prefix).toBe('DROP');
    expect(p.src).toBe('203.0.113.5');
  });

  it('puts a December line read in January into the previous year', () => {
    const c = createParseContext({ refTime: Date.UTC(2027, 0, 1, 6) });
    expect(pkt(`Dec 31 23:59:59 fw1 kernel: DROP ${PAYLOAD}`, c).ts).toBe(local(2026, 11, 31, 23, 59, 59));
    expect(pkt(`Jan  1 00:00:01 fw1 kernel: DROP ${PAYLOAD}`, c).ts).toBe(local(2027, 0, 1, 0, 0, 1));
  });

  it('honours a forced year', () => {
    const c = createParseContext({ year: 2019 });
    expect(new Date(pkt(`Mar 11 20:35:11 host kernel: DROP ${PAYLOAD}`, c).ts).getFullYear()).toBe(2019);
  });

  it('reads journalctl short-precise fractions', () => {
    expect(pkt(`Nov 21 08:35:11.251762 fw1 kernel: DROP ${PAYLOAD}`).ts).toBeCloseTo(local(2026, 10, 21, 8, 35, 11) + 251.762, 3);
  });

  it('reads RFC 3339 with offset, Z and short-iso +0000', () => {
    expect(pkt(`2026-11-21T08:35:11.251762+01:00 fw1 kernel: DROP ${PAYLOAD}`).ts).toBeCloseTo(Date.UTC(2026, 10, 21, 7, 35, 11) + 251.762, 3);
    expect(pkt(`2026-11-21T08:35:11Z fw1 kernel: DROP ${PAYLOAD}`).ts).toBe(Date.UTC(2026, 10, 21, 8, 35, 11));
    expect(pkt(`2026-11-21T08:35:11+0000 fw1 kernel: DROP ${PAYLOAD}`).ts).toBe(Date.UTC(2026, 10, 21, 8, 35, 11));
  });

  it('reads journalctl short-full', () => {
    expect(pkt(`Sat 2026-11-21 08:35:11 UTC fw1 kernel: DROP ${PAYLOAD}`).ts).toBe(Date.UTC(2026, 10, 21, 8, 35, 11));
  });

  it('reads RFC 5424 with PRI and structured data', () => {
    const p = pkt(`<4>1 2026-11-21T08:35:11.250Z fw1 kernel - - - DROP ${PAYLOAD}`);
    expect(p.ts).toBe(Date.UTC(2026, 10, 21, 8, 35, 11, 250));
    expect(p.host).toBe('fw1');
    expect(p.prefix).toBe('DROP');
    const q = pkt(`<4>1 2026-11-21T08:35:11Z fw1 kernel - - [meta x="1"] DROP ${PAYLOAD}`);
    expect(q.prefix).toBe('DROP');
  });

  it('reads RFC 3164 with a PRI', () => {
    const p = pkt(`<4>Nov 21 08:35:11 fw1 kernel: DROP ${PAYLOAD}`);
    expect(p.host).toBe('fw1');
    expect(p.ts).toBe(local(2026, 10, 21, 8, 35, 11));
  });

  it('reads /dev/kmsg records and bare dmesg on boot time', () => {
    const k = pkt(`4,347,90588870,-;DROP ${PAYLOAD}`);
    expect(k.ts).toBeCloseTo(BOOT + 90588.87, 3);
    expect(k.prefix).toBe('DROP');
    const d = pkt(`[  463.251762] DROP ${PAYLOAD}`);
    expect(d.ts).toBeCloseTo(BOOT + 463251.762, 3);
    expect(d.prefix).toBe('DROP');
  });

  it('skips junk before the timestamp', () => {
    const p = pkt(`/var/log/kern.log:Nov 21 08:35:11 fw1 kernel: DROP ${PAYLOAD}`);
    expect(p.ts).toBe(local(2026, 10, 21, 8, 35, 11));
    expect(p.host).toBe('fw1');
  });

  it('reads journalctl -o json records', () => {
    const line = JSON.stringify({ __REALTIME_TIMESTAMP: '1763714111251762', _HOSTNAME: 'fw1', _TRANSPORT: 'kernel', MESSAGE: `DROP ${PAYLOAD}` });
    const p = pkt(line);
    expect(p.ts).toBeCloseTo(1763714111251.762, 3);
    expect(p.host).toBe('fw1');
    expect(p.prefix).toBe('DROP');
    // binary MESSAGE as a byte array
    const bytes = [...Buffer.from(`DROP ${PAYLOAD}`)];
    expect(pkt(JSON.stringify({ __REALTIME_TIMESTAMP: '1763714111251762', MESSAGE: bytes })).dport).toBe(1003);
  });

  it('reads journalctl -o export records', () => {
    const c = ctx();
    const rec = ['__CURSOR=s=abc', '__REALTIME_TIMESTAMP=1763714111251762', '__MONOTONIC_TIMESTAMP=1', '_HOSTNAME=fw1', '_TRANSPORT=kernel', `MESSAGE=DROP ${PAYLOAD}`];
    for (const l of rec) expect(parseLine(l, c)).toBeNull();
    const p = parseLine('', c) as Packet;
    expect(p.host).toBe('fw1');
    expect(p.dport).toBe(1003);
    expect(p.ts).toBeCloseTo(1763714111251.762, 3);
  });

  it('keeps log prefixes of common front-ends', () => {
    expect(pkt(`Nov 21 08:35:11 fw1 kernel: [12.5] [UFW BLOCK] ${PAYLOAD}`).prefix).toBe('[UFW BLOCK]');
    expect(pkt(`Nov 21 08:35:11 fw1 kernel: INPUT:DROP: ${PAYLOAD}`).prefix).toBe('INPUT:DROP:');
    expect(pkt(`Nov 21 08:35:11 gw kernel: Shorewall:net-fw:DROP:${PAYLOAD}`).prefix).toBe('Shorewall:net-fw:DROP:');
    expect(pkt(`Nov 21 08:35:11 fw1 kernel: ${PAYLOAD}`).prefix).toBe('');
    expect(pkt(`Nov 21 08:35:11 fw1 kernel: [ 12.000001] [1] SID2003 ESTAB ${PAYLOAD}`).prefix).toBe('[1] SID2003 ESTAB');
  });

  it('returns null for lines of other programs', () => {
    const c = ctx();
    expect(parseLine('Nov 21 08:35:11 fw1 sshd[123]: Accepted publickey for root', c)).toBeNull();
    expect(parseLine('', c)).toBeNull();
    expect(parseLine('Nov 21 08:35:11 fw1 app: LOGIN=bob OUTPUT=x', c)).toBeNull();
  });
});

describe('parseLine() payload fields', () => {
  it('normalizes ip6tables addresses and reads IPv6 fields and flags', () => {
    const p = pkt('4,1,1,-;DROP IN=vb OUT= SRC=2001:0db8:0000:0000:0000:0000:0000:0001 DST=2001:0DB8::2 LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=12345 PROTO=TCP SPT=1 DPT=22 SEQ=123 ACK=0 WINDOW=64240 RES=0x00 CWR ECE SYN URGP=0 OPT (020405B40402080A) ');
    expect(p.family).toBe(6);
    expect(p.src).toBe('2001:db8::1');
    expect(p.dst).toBe('2001:db8::2');
    expect(p.ttl).toBe(64);
    expect(p.flowLabel).toBe(12345);
    expect(p.tcpFlags).toBe(TCP_CWR | TCP_ECE | TCP_SYN);
    expect(p.tcpFlags & TCP_ACK).toBe(0);
    expect(p.seq).toBe(123);
    expect(p.ack).toBe(0);
    expect(p.tcpOpts).toBe('020405B40402080A');
    expect(p.ipOpts).toBe('');
  });

  it('keeps the quoted packet of an ICMP error apart', () => {
    const p = pkt('Nov 21 08:35:11 gw kernel: DROP IN=eth0 OUT= SRC=203.0.113.9 DST=198.51.100.2 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=0 PROTO=ICMP TYPE=3 CODE=3 [SRC=198.51.100.2 DST=203.0.113.9 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=9 PROTO=UDP SPT=53 DPT=40000 LEN=8 ] ');
    expect(p.src).toBe('203.0.113.9');
    expect(p.len).toBe(56);
    expect(p.id).toBe(0);
    expect(p.icmpType).toBe(3);
    expect(p.inner).toEqual({ src: '198.51.100.2', dst: '203.0.113.9', len: 28, proto: 'udp', sport: 53, dport: 40000 });
    expect(p.sport).toBe(-1);
  });

  it('reads ICMP echo ID and SEQ from the right fields', () => {
    const p = pkt('Nov 21 08:35:11 fw kernel: DROP IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.2 LEN=84 TOS=0x00 PREC=0x00 TTL=64 ID=4321 DF PROTO=ICMP TYPE=8 CODE=0 ID=77 SEQ=3 ');
    expect([p.id, p.icmpId, p.icmpSeq, p.icmpType, p.icmpCode]).toEqual([4321, 77, 3, 8, 0]);
    expect(p.ipFlags).toBe(2);
  });

  it('reads UDP and UDPLITE lengths, numeric protocols, direction', () => {
    const u = pkt('Nov 21 08:35:11 fw kernel: X IN=eth0 OUT=eth1 SRC=203.0.113.5 DST=198.51.100.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=UDPLITE SPT=1 DPT=2 LEN=20 ');
    expect([u.proto, u.protoNum, u.len, u.udpLen, u.chain]).toEqual(['udplite', 136, 40, 20, 'FORWARD']);
    const n = pkt('Nov 21 08:35:11 fw kernel: X IN= OUT=eth1 SRC=198.51.100.2 DST=203.0.113.5 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=47 ');
    expect([n.proto, n.protoNum, n.chain]).toEqual(['47', 47, 'OUTPUT']);
    const six = pkt('Nov 21 08:35:11 fw kernel: X IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.2 LEN=40 TOS=0x00 PREC=0x00 TTL=64 ID=1 PROTO=6 SPT=5 DPT=6 WINDOW=1 RES=0x00 FIN URGP=0 ');
    expect(six.proto).toBe('tcp');
  });

  it('reads bridge, fragment, IP option, mark and owner fields', () => {
    const p = pkt('Nov 21 08:35:11 fw kernel: B IN=br0 OUT=br0 PHYSIN=eth0 PHYSOUT=eth1 MAC=aa SRC=203.0.113.5 DST=198.51.100.2 LEN=40 TOS=0x10 PREC=0x20 TTL=64 ID=1 CE DF MF FRAG:185 OPT (07270400) PROTO=UDP UID=1000 GID=100 MARK=0x1f ');
    expect([p.physIn, p.physOut, p.tos, p.prec, p.ipFlags, p.frag, p.ipOpts, p.uid, p.gid, p.mark]).toEqual(['eth0', 'eth1', 16, 32, 7, 185, '07270400', 1000, 100, 31]);
    expect(p.sport).toBe(-1); // fragments carry no ports
  });

  it('reads ICMPv6 and its MTU and POINTER fields', () => {
    const p = pkt('Nov 21 08:35:11 fw kernel: DROP IN=eth0 OUT= SRC=2001:db8::5 DST=2001:db8::2 LEN=1280 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=2 CODE=0 MTU=1280 [SRC=2001:db8::2 DST=2001:db8::9 LEN=1400 TC=0 HOPLIMIT=63 FLOWLBL=0 PROTO=TCP SPT=443 DPT=5000 WINDOW=1 RES=0x00 ACK URGP=0 ] ');
    expect([p.proto, p.icmpType, p.icmpMtu, p.inner?.proto, p.inner?.dport]).toEqual(['icmp6', 2, 1280, 'tcp', 5000]);
    const e = pkt('Nov 21 08:35:11 fw kernel: DROP IN=eth0 OUT= SRC=2001:db8::5 DST=2001:db8::2 LEN=64 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=9 SEQ=1 ');
    expect([e.icmpId, e.icmpSeq]).toEqual([9, 1]);
  });
});

describe('parseLine() kernel markers', () => {
  it('accepts a protocol probe whose L4 header the kernel marks INCOMPLETE', () => {
    const p = pkt('Nov 21 08:29:18 fw1 kernel: [  663.520731] DROP IN=eth0 OUT= MAC=52:54:00:7c:a0:14:52:54:00:7c:a0:0a:08:00 SRC=198.51.100.10 DST=198.51.100.20 LEN=20 TOS=0x00 PREC=0x00 TTL=55 ID=62777 PROTO=UDPLITE INCOMPLETE [0 bytes] ');
    expect([p.proto, p.sport, p.dport, p.inner]).toEqual(['udplite', -1, -1, null]);
  });
});

describe('parseLine() bad input', () => {
  const c = ctx();
  it.each([
    ['truncated before the ports', 'Nov 21 08:35:11 fw kernel: DROP IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=48 ID=1 PROTO=TCP SPT=4', 'truncated'],
    ['cut before PROTO', 'Nov 21 08:35:11 fw kernel: DROP IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.2 LEN=44 TOS=0x00 PR', 'truncated'],
    ['bad address', 'Nov 21 08:35:11 fw kernel: DROP IN=eth0 OUT= SRC=203.0.113.500 DST=198.51.100.2 LEN=44 PROTO=UDP SPT=1 DPT=2 LEN=8', 'bad-address'],
    ['bad number', 'Nov 21 08:35:11 fw kernel: DROP IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.2 LEN=4x4 TTL=1 ID=1 PROTO=UDP SPT=1 DPT=2 LEN=8', 'bad-number'],
    ['unknown protocol', 'Nov 21 08:35:11 fw kernel: DROP IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.2 LEN=44 PROTO=BOGUS ', 'no-protocol'],
    ['binary', 'Nov 21 08:35:11 fw kernel: \u0000\u0001 IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.2 LEN=\ufffd PROTO=UDP', 'binary'],
    ['broken json', '{"MESSAGE":"DROP IN=eth0 OUT= SRC=1', 'malformed'],
    ['unclosed OPT', 'Nov 21 08:35:11 fw kernel: DROP IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.2 LEN=44 OPT (0101', 'truncated'],
  ])('%s', (_name, line, reason) => {
    expect(parseLine(line, c)).toBe(reason);
  });
});
