/** Builds Packet objects for detection tests: an nmap-like IPv4 SYN unless told otherwise. */
import type { Packet } from '../../src/model/packet.js';
import { TCP_SYN } from '../../src/model/packet.js';
import { buildConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/keys/index.js';

export const T0 = Date.UTC(2026, 2, 10, 12, 0, 0);

const PROTO_NUMS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmp6: 58, udplite: 136, sctp: 132 };

export function pkt(over: Partial<Packet> = {}): Packet {
  const base: Packet = {
    ts: T0, host: 'fw', prefix: 'DROP', chain: 'INPUT', dir: 'inbound', inIf: 'eth0', outIf: '', physIn: '', physOut: '', mac: '',
    family: 4, src: '203.0.113.7', dst: '198.51.100.1', len: 44, tos: 0, prec: 0, ttl: 45, id: 4242, tc: -1, flowLabel: -1,
    ipFlags: 0, frag: -1, ipOpts: '', proto: 'tcp', protoNum: 6, sport: 40000, dport: 22, seq: -1, ack: -1, window: 1024,
    res: 0, tcpFlags: TCP_SYN, urgp: 0, tcpOpts: '020405B4', udpLen: -1, icmpType: -1, icmpCode: -1, icmpId: -1, icmpSeq: -1,
    icmpParam: -1, icmpMtu: -1, icmpGateway: '', inner: null, uid: -1, gid: -1, mark: -1, raw: '',
  };
  const p = { ...base, ...over };
  if (over.proto !== undefined && over.protoNum === undefined) p.protoNum = PROTO_NUMS[over.proto] ?? Number(over.proto);
  if (over.src !== undefined && over.family === undefined && over.src.includes(':')) p.family = 6;
  if (over.dir === undefined) p.dir = p.chain === 'INPUT' ? 'inbound' : p.chain === 'OUTPUT' ? 'outbound' : 'forward';
  if (p.family === 6 && over.ttl === undefined) p.ttl = 64;
  if (p.family === 6 && over.id === undefined) p.id = -1;
  if (p.family === 6 && over.len === undefined && p.protoNum === 6) p.len = 64;
  if (p.protoNum !== 6 && over.tcpFlags === undefined) {
    p.tcpFlags = 0;
    p.window = -1;
    p.tcpOpts = '';
    if (over.len === undefined) p.len = p.protoNum === 17 ? 28 : 84;
  }
  return p;
}

/** ICMP echo request (or another type/code). */
export function icmp(over: Partial<Packet> = {}): Packet {
  const v6 = over.src?.includes(':') === true;
  return pkt({ proto: v6 ? 'icmp6' : 'icmp', icmpType: v6 ? 128 : 8, icmpCode: 0, dport: -1, sport: -1, ...over });
}

export function cfgWith(values: Record<string, string | number> = {}): Config {
  return buildConfig(Object.entries(values).map(([key, v], i) => ({ key, raw: String(v), line: i + 1 })), '(test)');
}

/** `n` packets from one source to ports start.. on one destination, one second apart. */
export function portScan(n: number, over: Partial<Packet> = {}, start = 1): Packet[] {
  return Array.from({ length: n }, (_, i) => pkt({ dport: start + i, ts: T0 + i * 1000, ...over }));
}
