/**
 * ulogd2's JSON output of NFLOG packets (stack NFLOG,BASE,IFINDEX,IP2STR,
 * [HWHDR,]JSON): one object per line. Field names are the CIM names newer
 * ulogd writes (src_ip, dest_ip, src_port, dest_port) or the plain key names
 * of older versions (ip.saddr.str, tcp.sport, ...); both are read.
 *
 * Mapping onto Packet: oob.prefix -> prefix, oob.in/oob.out -> interfaces
 * (and the chain, as for LOG lines; oob.hook when both are missing),
 * ip.protocol (ip6.nexthdr) -> protocol, tcp.syn/ack/fin/rst/psh/urg ->
 * flags (tcp.res2, the two ECN bits folded into one, -> CWR ECE),
 * ip.fragoff -> DF/MF and FRAG, oob.time.sec/usec (else `timestamp`, local
 * time unless it carries a zone) -> ts. Records without packet addresses
 * (flow records of NFCT in the same file) are not firewall lines: null.
 * As for LOG lines, every number is checked against its field's width
 * (bad-number) and a time outside TS_MIN..TS_MAX is bad-time.
 */
import {
  IP_DF, IP_MF, TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, TS_MAX, TS_MIN, type Chain, type Packet,
} from '../model/packet.js';
import { normalizeAddress } from '../net/address.js';
import { CHAIN_DIRECTION, emptyPacket, protoFromText } from './netfilter-payload.js';
import type { ParseResult } from './parse-line.js';

type Rec = Record<string, unknown>;

const U8 = 0xff;
const U16 = 0xffff;
const U32 = 0xffffffff;

/** Set when a field held a value that is not a whole number within its width (reset per record). */
let badNumber = false;

/**
 * A numeric field at most max (whole numbers, booleans and digit strings are
 * accepted); -1 when absent (or null), and -1 with badNumber set when invalid.
 */
function num(r: Rec, key: string, max: number): number {
  const v = r[key];
  if (v === undefined || v === null) return -1;
  let n = -1;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'boolean') n = v ? 1 : 0;
  else if (typeof v === 'string' && /^\d{1,15}$/.test(v)) n = Number(v);
  if (Number.isInteger(n) && n >= 0 && n <= max) return n;
  badNumber = true;
  return -1;
}

function first(r: Rec, keys: readonly string[], max: number): number {
  for (const k of keys) {
    const v = num(r, k, max);
    if (v >= 0) return v;
  }
  return -1;
}

function text(r: Rec, key: string): string {
  const v = r[key];
  return typeof v === 'string' ? v : '';
}

function address(r: Rec, keys: readonly string[]): string | null | undefined {
  for (const k of keys) {
    const v = r[k];
    if (typeof v === 'string' && v !== '') return normalizeAddress(v);
  }
  return undefined;
}

const SRC_KEYS = ['src_ip', 'ip.saddr.str', 'ip.saddr'];
const DST_KEYS = ['dest_ip', 'ip.daddr.str', 'ip.daddr'];
const SPORT_KEYS = ['src_port', 'tcp.sport', 'udp.sport', 'sctp.sport'];
const DPORT_KEYS = ['dest_port', 'tcp.dport', 'udp.dport', 'sctp.dport'];
const FLAG_KEYS: ReadonlyArray<readonly [string, number]> = [
  ['tcp.fin', TCP_FIN], ['tcp.syn', TCP_SYN], ['tcp.rst', TCP_RST], ['tcp.psh', TCP_PSH],
  ['tcp.ack', TCP_ACK], ['tcp.urg', TCP_URG], ['tcp.res2', TCP_ECE | TCP_CWR],
];
/** NF_INET_* hook numbers (oob.hook) to the chain a LOG rule there reports. */
const HOOK_CHAIN: readonly Chain[] = ['INPUT', 'INPUT', 'FORWARD', 'OUTPUT', 'OUTPUT'];

const LOCAL_STAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

function eventTime(r: Rec): number {
  const sec = num(r, 'oob.time.sec', Number.MAX_SAFE_INTEGER);
  if (sec >= 0) return sec * 1000 + Math.max(0, num(r, 'oob.time.usec', 999_999)) / 1000;
  const t = text(r, 'timestamp');
  if (t === '') return Number.NaN;
  const m = LOCAL_STAMP.exec(t);
  if (m === null) return Date.parse(t); // with a zone (or NaN)
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = frac === undefined ? 0 : Number(frac.padEnd(6, '0')) / 1000;
  return new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)).getTime() + ms;
}

function ipFields(r: Rec, p: Packet): void {
  if (p.family === 4) {
    p.len = num(r, 'ip.totlen', U16);
    // Split as nf_log prints it: TOS= the TOS bits, PREC= the precedence bits.
    const tos = num(r, 'ip.tos', U8);
    if (tos >= 0) {
      p.tos = tos & 0x1e;
      p.prec = tos & 0xe0;
    }
    p.ttl = num(r, 'ip.ttl', U8);
    p.id = num(r, 'ip.id', U16);
    const fo = num(r, 'ip.fragoff', U16);
    if (fo >= 0) {
      p.ipFlags = (fo & 0x4000 ? IP_DF : 0) | (fo & 0x2000 ? IP_MF : 0);
      if ((fo & 0x1fff) !== 0) p.frag = fo & 0x1fff;
    }
  } else {
    const pl = num(r, 'ip6.payloadlen', U16);
    p.len = pl >= 0 ? pl + 40 : -1;
    p.tc = num(r, 'ip6.priority', U8);
    p.ttl = num(r, 'ip6.hoplimit', U8);
    p.flowLabel = num(r, 'ip6.flowlabel', 0xfffff);
    const fo = num(r, 'ip6.fragoff', U16);
    if (fo > 0) p.frag = fo;
  }
}

function transportFields(r: Rec, p: Packet): void {
  const pn = p.protoNum;
  if (pn === 6 || pn === 17 || pn === 136 || pn === 132) {
    p.sport = first(r, SPORT_KEYS, U16);
    p.dport = first(r, DPORT_KEYS, U16);
  }
  if (pn === 6) {
    for (const [k, bit] of FLAG_KEYS) if (num(r, k, 1) > 0) p.tcpFlags |= bit;
    p.seq = num(r, 'tcp.seq', U32);
    p.ack = num(r, 'tcp.ackseq', U32);
    p.window = num(r, 'tcp.window', U16);
    p.res = num(r, 'tcp.reserved', U8);
    p.urgp = p.tcpFlags & TCP_URG ? num(r, 'tcp.urgp', U16) : 0;
  } else if (pn === 17 || pn === 136) {
    p.udpLen = num(r, 'udp.len', U16);
  } else if (pn === 1 || pn === 58) {
    const pre = pn === 1 ? 'icmp.' : 'icmpv6.';
    p.icmpType = num(r, `${pre}type`, U8);
    p.icmpCode = num(r, `${pre}code`, U8);
    p.icmpId = num(r, `${pre}echoid`, U16);
    p.icmpSeq = num(r, `${pre}echoseq`, U16);
    if (pn === 1) {
      p.icmpMtu = num(r, 'icmp.fragmtu', U16);
      p.icmpGateway = text(r, 'icmp.gateway.str');
    }
  }
}

function interfaces(r: Rec, p: Packet): void {
  p.inIf = text(r, 'oob.in');
  p.outIf = text(r, 'oob.out');
  p.mac = text(r, 'mac.str');
  p.prefix = text(r, 'oob.prefix').trim();
  p.mark = num(r, 'oob.mark', U32);
  p.uid = num(r, 'oob.uid', U32);
  p.gid = num(r, 'oob.gid', U32);
  if (p.inIf !== '' || p.outIf !== '') p.chain = p.outIf === '' ? 'INPUT' : p.inIf === '' ? 'OUTPUT' : 'FORWARD';
  else p.chain = HOOK_CHAIN[num(r, 'oob.hook', U8)] ?? 'INPUT';
  p.dir = CHAIN_DIRECTION[p.chain];
}

/** One line of ulogd2 JSON output: a Packet, a SkipReason, or null for a record that is not a packet. */
export function parseUlogdJson(line: string): ParseResult {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return line.trim() === '' ? null : 'malformed';
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return 'malformed';
  const r = o as Rec;
  const src = address(r, SRC_KEYS);
  const dst = address(r, DST_KEYS);
  if (src === undefined && dst === undefined) return null;
  if (src === undefined || dst === undefined) return 'truncated';
  if (src === null || dst === null) return 'bad-address';
  const p = emptyPacket(line);
  p.src = src;
  p.dst = dst;
  p.family = src.includes(':') ? 6 : 4;
  badNumber = false;
  p.ts = eventTime(r);
  let pn = num(r, 'ip.protocol', U8);
  if (pn < 0 && p.family === 6) pn = num(r, 'ip6.nexthdr', U8);
  if (badNumber) return 'bad-number';
  if (pn < 0) return 'no-protocol';
  const pr = protoFromText(String(pn), 0, String(pn).length);
  p.proto = pr === null ? String(pn) : pr[0];
  p.protoNum = pn;
  interfaces(r, p);
  ipFields(r, p);
  transportFields(r, p);
  if (badNumber) return 'bad-number';
  if (p.ts === p.ts && !(p.ts >= TS_MIN && p.ts < TS_MAX)) return 'bad-time';
  if ((pn === 6 || pn === 17 || pn === 136) && p.frag <= 0 && (p.sport < 0 || p.dport < 0)) return 'truncated';
  if ((pn === 1 || pn === 58) && p.frag <= 0 && p.icmpType < 0) return 'truncated';
  return p;
}
