/**
 * ulogd2 JSON output of NFLOG packets. The fixture is real output: ulogd
 * 2.0.8 (stack NFLOG,BASE,IFINDEX,IP2STR,HWHDR,JSON) in a namespace whose
 * nftables rules `log group 7` the SYNs of nmap -sS (IPv4 and IPv6), UDP
 * probes and pings. Each record must give the same Packet as the kernel's
 * LOG text of the same packet would.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseUlogdJson } from '../../src/parse/ulogd-json.js';
import { createParseContext, parseLine } from '../../src/parse/index.js';
import type { Packet } from '../../src/model/packet.js';

const LINES = readFileSync(new URL('./fixtures/ulogd-nflog.json', import.meta.url), 'utf8').trim().split('\n');

function packet(line: string): Packet {
  const r = parseUlogdJson(line);
  if (r === null || typeof r === 'string') throw new Error(`not a packet: ${String(r)}`);
  return r;
}

/** The nf_log text of a ulogd record (what `log prefix` instead of `log group` would have written). */
function logText(o: Record<string, number | string>): string {
  const v6 = o['oob.family'] === 10;
  const parts = [`${String(o['oob.prefix']).trim()} IN=${o['oob.in']} OUT=${o['oob.out']} MAC=${o['mac.str']} SRC=${o.src_ip} DST=${o.dest_ip}`];
  if (v6) parts.push(`LEN=${Number(o['ip6.payloadlen']) + 40} TC=${o['ip6.priority']} HOPLIMIT=${o['ip6.hoplimit']} FLOWLBL=${o['ip6.flowlabel']}`);
  else parts.push(`LEN=${o['ip.totlen']} TOS=0x00 PREC=0x00 TTL=${o['ip.ttl']} ID=${o['ip.id']}${Number(o['ip.fragoff']) & 0x4000 ? ' DF' : ''}`);
  const proto = Number(o['ip.protocol']);
  if (proto === 6) parts.push(`PROTO=TCP SPT=${o.src_port} DPT=${o.dest_port} WINDOW=${o['tcp.window']} RES=0x00 SYN URGP=0`);
  else if (proto === 17) parts.push(`PROTO=UDP SPT=${o.src_port} DPT=${o.dest_port} LEN=${o['udp.len']}`);
  else if (proto === 1) parts.push(`PROTO=ICMP TYPE=${o['icmp.type']} CODE=${o['icmp.code']} ID=${o['icmp.echoid']} SEQ=${o['icmp.echoseq']}`);
  else parts.push(`PROTO=ICMPv6 TYPE=${o['icmpv6.type']} CODE=${o['icmpv6.code']} ID=${o['icmpv6.echoid']} SEQ=${o['icmpv6.echoseq']}`);
  return parts.join(' ');
}

const COMPARED = ['prefix', 'chain', 'inIf', 'outIf', 'mac', 'family', 'src', 'dst', 'len', 'ttl', 'ipFlags', 'proto', 'protoNum', 'sport', 'dport', 'window', 'tcpFlags', 'udpLen', 'icmpType', 'icmpCode', 'icmpId', 'icmpSeq'] as const;

describe('ulogd2 JSON (real NFLOG output)', () => {
  it('covers TCP, UDP, ICMP and ICMPv6 over IPv4 and IPv6', () => {
    const protos = new Set(LINES.map((l) => packet(l).proto));
    expect([...protos].sort()).toEqual(['icmp', 'icmp6', 'tcp', 'udp']);
  });

  it.each(LINES.map((l, i) => [i, l] as const))('record %i maps to the packet its LOG line gives', (_i, line) => {
    const fromJson = packet(line);
    const text = logText(JSON.parse(line) as Record<string, number | string>);
    const fromLog = parseLine(text, createParseContext());
    if (fromLog === null || typeof fromLog === 'string') throw new Error(`LOG text did not parse: ${String(fromLog)}: ${text}`);
    const pick = (p: Packet): Record<string, unknown> => Object.fromEntries(COMPARED.map((k) => [k, p[k]]));
    expect(pick(fromJson)).toEqual(pick(fromLog));
    expect(fromJson.ts).toBeGreaterThan(Date.UTC(2026, 0, 1));
  });

  it('takes the event time from oob.time.sec/usec (UTC), else from the local timestamp', () => {
    const o = JSON.parse(LINES[0] as string) as Record<string, number>;
    const p = packet(LINES[0] as string);
    expect(p.ts).toBe(o['oob.time.sec']! * 1000 + o['oob.time.usec']! / 1000);
    const noEpoch = { ...o } as Record<string, unknown>;
    delete noEpoch['oob.time.sec'];
    noEpoch.timestamp = '2026-11-21T08:51:30.845236+00:00';
    expect(packet(JSON.stringify(noEpoch)).ts).toBe(Date.UTC(2026, 10, 21, 8, 51, 30, 845.236));
  });

  it('reads the older key names, and skips what is not a packet', () => {
    const old = JSON.stringify({ 'oob.prefix': 'DROP', 'oob.in': 'eth0', 'oob.out': '', 'ip.saddr.str': '2001:0db8:0000::0001', 'ip.daddr.str': '2001:db8::2', 'ip.protocol': 17, 'udp.sport': 5, 'udp.dport': 53, 'ip6.payloadlen': 20 });
    const p = packet(old);
    expect([p.src, p.dst, p.proto, p.sport, p.dport, p.family, p.len, p.chain]).toEqual(['2001:db8::1', '2001:db8::2', 'udp', 5, 53, 6, 60, 'INPUT']);
    expect(parseUlogdJson('{"orig.ip.protocol": 6, "flow.start.sec": 1}')).toBeNull();
    expect(parseUlogdJson('{"src_ip": "999.1.1.1", "dest_ip": "198.51.100.2", "ip.protocol": 6}')).toBe('bad-address');
    expect(parseUlogdJson('{"src_ip": "198.51.100.1", "dest_ip": "198.51.100.2", "ip.protocol": 6}')).toBe('truncated');
    expect(parseUlogdJson('not json')).toBe('malformed');
    expect(parseUlogdJson('[1,2]')).toBe('malformed');
    expect(parseUlogdJson('')).toBeNull();
  });
});
