/**
 * Tokenizer for the nf_log payload that iptables LOG, ip6tables LOG and
 * nftables `log` write (net/netfilter/nf_log_syslog.c): `IN= OUT= [PHYSIN=]
 * [MAC=] SRC= DST= LEN= ... PROTO= ...`: KEY=VALUE tokens and bare flag words
 * separated by spaces, `OPT (HEX)` groups, and for ICMP errors the quoted
 * packet in `[ ... ]` (kept apart in p.inner, never overwriting outer fields).
 *
 * One pass with indexOf/charCodeAt: no regex, and no substring for numbers.
 */
import { normalizeIPv6, parseIPv4 } from '../net/address.js';
import {
  IP_CE, IP_DF, IP_MF, TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG,
  type InnerPacket, type Packet, type SkipReason,
} from '../model/packet.js';

/** Decimal digits in s[from, to) as a number; -2 when empty or not all digits. */
export function decimal(s: string, from: number, to: number): number {
  if (from >= to || to - from > 15) return -2;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -2;
    v = v * 10 + d;
  }
  return v;
}

/** `0x1F` or bare hex in s[from, to); -2 when invalid. */
export function hex(s: string, from: number, to: number): number {
  if (to - from > 2 && s.charCodeAt(from) === 48 && (s.charCodeAt(from + 1) | 32) === 120) from += 2;
  if (from >= to || to - from > 12) return -2;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) | 32;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -2;
    v = v * 16 + d;
  }
  return v;
}

const PROTO_BY_NAME: Readonly<Record<string, readonly [string, number]>> = {
  TCP: ['tcp', 6], UDP: ['udp', 17], UDPLITE: ['udplite', 136], SCTP: ['sctp', 132],
  ICMP: ['icmp', 1], ICMPv6: ['icmp6', 58], AH: ['ah', 51], ESP: ['esp', 50],
};

/** Numbered protocols get their usual name, so `PROTO=6` and `PROTO=TCP` are one key. */
const NAME_BY_NUMBER: Readonly<Record<number, string>> = {
  1: 'icmp', 6: 'tcp', 17: 'udp', 50: 'esp', 51: 'ah', 58: 'icmp6', 132: 'sctp', 136: 'udplite',
};

export function protoFromText(s: string, from: number, to: number): readonly [string, number] | null {
  const n = decimal(s, from, to);
  if (n >= 0) return n > 255 ? null : [NAME_BY_NUMBER[n] ?? String(n), n];
  return PROTO_BY_NAME[s.slice(from, to)] ?? null;
}

export function emptyPacket(raw: string): Packet {
  return {
    ts: Number.NaN, host: '', prefix: '', chain: 'INPUT', inIf: '', outIf: '', physIn: '', physOut: '', mac: '',
    family: 4, src: '', dst: '', len: -1, tos: -1, prec: -1, ttl: -1, id: -1, tc: -1, flowLabel: -1,
    ipFlags: 0, frag: -1, ipOpts: '', proto: '', protoNum: -1, sport: -1, dport: -1, seq: -1, ack: -1,
    window: -1, res: -1, tcpFlags: 0, urgp: -1, tcpOpts: '', udpLen: -1, icmpType: -1, icmpCode: -1,
    icmpId: -1, icmpSeq: -1, icmpParam: -1, icmpMtu: -1, icmpGateway: '', inner: null,
    uid: -1, gid: -1, mark: -1, raw,
  };
}

/**
 * ip6tables writes every address in full (2001:0db8:0000:...); normalizing one
 * costs far more than a map probe, and a log repeats the same few addresses.
 * Bounded: the map is dropped when it grows past the limit.
 */
const v6Cache = new Map<string, string>();
const V6_CACHE_MAX = 65_536;

/** Address token value, normalized; '' when invalid. Dotted quads are already canonical. */
function address(s: string, from: number, to: number): string {
  const text = s.slice(from, to);
  if (to - from <= 15 && s.charCodeAt(from + 1) !== 58 && s.charCodeAt(from + 2) !== 58 && s.charCodeAt(from + 3) !== 58 && s.charCodeAt(from + 4) !== 58) {
    return parseIPv4(text) === null ? '' : text;
  }
  let v = v6Cache.get(text);
  if (v === undefined) {
    v = text.indexOf(':') >= 0 ? normalizeIPv6(text) ?? '' : parseIPv4(text) === null ? '' : text;
    if (v6Cache.size >= V6_CACHE_MAX) v6Cache.clear();
    v6Cache.set(text, v);
  }
  return v;
}

/** TCP flag words as the kernel prints them (CWR ECE URG ACK PSH RST SYN FIN) and IPv4 CE DF MF. */
function bareWord(s: string, i: number, j: number, p: Packet): void {
  const n = j - i;
  const a = s.charCodeAt(i);
  const b = s.charCodeAt(i + 1);
  if (n === 3) {
    const c = s.charCodeAt(i + 2);
    if (a === 83 && b === 89 && c === 78) p.tcpFlags |= TCP_SYN;
    else if (a === 65 && b === 67 && c === 75) p.tcpFlags |= TCP_ACK;
    else if (a === 70 && b === 73 && c === 78) p.tcpFlags |= TCP_FIN;
    else if (a === 82 && b === 83 && c === 84) p.tcpFlags |= TCP_RST;
    else if (a === 80 && b === 83 && c === 72) p.tcpFlags |= TCP_PSH;
    else if (a === 85 && b === 82 && c === 71) p.tcpFlags |= TCP_URG;
    else if (a === 69 && b === 67 && c === 69) p.tcpFlags |= TCP_ECE;
    else if (a === 67 && b === 87 && c === 82) p.tcpFlags |= TCP_CWR;
  } else if (n === 2) {
    if (a === 68 && b === 70) p.ipFlags |= IP_DF;
    else if (a === 77 && b === 70) p.ipFlags |= IP_MF;
    else if (a === 67 && b === 69) p.ipFlags |= IP_CE;
  } else if (a === 70 && b === 82 && n > 5 && s.charCodeAt(i + 4) === 58) {
    // FRAG:n (IPv4 offset, IPv6 fragment header)
    p.frag = decimal(s, i + 5, j);
  }
}

function innerField(s: string, i: number, klen: number, v0: number, j: number, q: InnerPacket): void {
  const a = s.charCodeAt(i);
  if (klen === 3) {
    const b = s.charCodeAt(i + 1);
    if (a === 83 && b === 82) q.src = address(s, v0, j);
    else if (a === 68 && b === 83) q.dst = address(s, v0, j);
    else if (a === 76 && q.len < 0) q.len = decimal(s, v0, j);
    else if (a === 83 && b === 80) q.sport = decimal(s, v0, j);
    else if (a === 68 && b === 80) q.dport = decimal(s, v0, j);
  } else if (klen === 5 && a === 80) {
    const pr = protoFromText(s, v0, j);
    q.proto = pr === null ? s.slice(v0, j) : pr[0];
  }
}

/** End index of the last number read by num()/hexNum(): lets a value be parsed and skipped in one pass. */
let numEnd = 0;

/** Decimal number at i up to the next space (or end); -2 when a non-digit comes first. Sets numEnd. */
function num(s: string, i: number, end: number): number {
  let v = 0;
  let k = i;
  for (; k < end; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  if (k < end && s.charCodeAt(k) !== 32) {
    // not a plain number: skip the rest of the token and report it bad
    const sp = s.indexOf(' ', k);
    numEnd = sp < 0 ? end : sp;
    return -2;
  }
  numEnd = k;
  return k === i || k - i > 15 ? -2 : v;
}

/** Hex value (`0x1F` or bare) at i up to the next space. Sets numEnd. */
function hexNum(s: string, i: number, end: number): number {
  let sp = s.indexOf(' ', i);
  if (sp < 0) sp = end;
  numEnd = sp;
  return hex(s, i, sp);
}

function wordEnd(s: string, i: number, end: number): number {
  const sp = s.indexOf(' ', i);
  return sp < 0 ? end : sp;
}

/**
 * Parses the payload starting at `start` (the `I` of `IN=`) into `p`.
 * Returns null on success or the reason the line is unusable.
 */
export function parsePayload(s: string, start: number, p: Packet): SkipReason | null {
  const end = s.length;
  let i = start;
  let inner: InnerPacket | null = null;
  let inInner = false;
  let protoSeen = false;
  let afterUrgp = false;
  let incomplete = false;
  while (i < end) {
    let c0 = s.charCodeAt(i);
    if (c0 === 32) { i++; continue; }
    if (c0 === 91 /* [ */) {
      if (inInner) return 'malformed'; // the kernel quotes one level only
      inInner = true;
      inner = { src: '', dst: '', len: -1, proto: '', sport: -1, dport: -1 };
      c0 = s.charCodeAt(++i);
      if (c0 === 32) continue;
    }
    if (c0 === 93 /* ] */) { inInner = false; i = wordEnd(s, i, end) + 1; continue; }
    // Keys are at most 9 letters: look for '=' in that window only.
    let eq = -1;
    const lim = i + 10 < end ? i + 10 : end;
    for (let k = i + 1; k < lim; k++) {
      const c = s.charCodeAt(k);
      if (c === 61) { eq = k; break; }
      if (c === 32) break;
    }
    if (eq < 0) {
      const j = wordEnd(s, i, end);
      if (c0 === 79 && j - i === 3 && s.charCodeAt(i + 1) === 80 && s.charCodeAt(i + 2) === 84) {
        // OPT (HEX): IP options / IPv6 extension headers before PROTO=, TCP options after URGP=.
        if (s.charCodeAt(j + 1) !== 40 /* ( */) return 'malformed';
        const close = s.indexOf(')', j + 2);
        if (close < 0) return 'truncated';
        if (!inInner) {
          const h = s.slice(j + 2, close);
          if (afterUrgp) p.tcpOpts = h;
          else p.ipOpts = p.ipOpts === '' ? h : `${p.ipOpts} ${h}`;
        }
        i = close + 2;
        continue;
      }
      if (j - i === 10 && c0 === 73 && s.startsWith('INCOMPLETE', i)) {
        // `INCOMPLETE [N bytes]`: the kernel could not read the L4 header (nmap -sO sends
        // bare protocol headers). Not a quoted packet: skip the bracket group.
        if (!inInner) incomplete = true;
        if (s.charCodeAt(j + 1) === 91) {
          const close = s.indexOf(']', j + 2);
          i = close < 0 ? end : close + 1;
          continue;
        }
      } else if (!inInner) bareWord(s, i, j, p);
      i = j + 1;
      continue;
    }
    const v0 = eq + 1;
    const klen = eq - i;
    if (inInner) {
      const j = wordEnd(s, v0, end);
      if (inner !== null) innerField(s, i, klen, v0, j, inner);
      i = j + 1;
      continue;
    }
    const c1 = s.charCodeAt(i + 1);
    let j = -1; // set when the value was consumed by num()/hexNum()
    switch (klen) {
      case 2:
        if (c0 === 73 && c1 === 78) { j = wordEnd(s, v0, end); p.inIf = s.slice(v0, j); } // IN
        else if (c0 === 73 && c1 === 68) { const v = num(s, v0, end); if (protoSeen) p.icmpId = v; else p.id = v; j = numEnd; } // ID
        else if (c0 === 84 && c1 === 67) { p.tc = num(s, v0, end); j = numEnd; } // TC
        break;
      case 3: {
        const c2 = s.charCodeAt(i + 2);
        if (c0 === 83 && c1 === 82 && c2 === 67) { j = wordEnd(s, v0, end); p.src = address(s, v0, j); if (p.src === '') return 'bad-address'; } // SRC
        else if (c0 === 68 && c1 === 83 && c2 === 84) { j = wordEnd(s, v0, end); p.dst = address(s, v0, j); if (p.dst === '') return 'bad-address'; } // DST
        else if (c0 === 83 && c1 === 80 && c2 === 84) { p.sport = num(s, v0, end); j = numEnd; } // SPT
        else if (c0 === 68 && c1 === 80) { p.dport = num(s, v0, end); j = numEnd; } // DPT
        else if (c0 === 76 && c1 === 69) { const v = num(s, v0, end); if (protoSeen) p.udpLen = v; else p.len = v; j = numEnd; } // LEN
        else if (c0 === 84 && c1 === 84) { p.ttl = num(s, v0, end); j = numEnd; } // TTL
        else if (c0 === 84 && c1 === 79) { p.tos = hexNum(s, v0, end); j = numEnd; } // TOS
        else if (c0 === 79 && c1 === 85) { j = wordEnd(s, v0, end); p.outIf = s.slice(v0, j); } // OUT
        else if (c0 === 77 && c1 === 65) { j = wordEnd(s, v0, end); p.mac = s.slice(v0, j); } // MAC
        else if (c0 === 83 && c1 === 69) { const v = num(s, v0, end); if (p.protoNum === 6) p.seq = v; else p.icmpSeq = v; j = numEnd; } // SEQ
        else if (c0 === 65 && c1 === 67) { p.ack = num(s, v0, end); j = numEnd; } // ACK=n (sequence number, not the flag)
        else if (c0 === 82 && c1 === 69) { p.res = hexNum(s, v0, end); j = numEnd; } // RES
        else if (c0 === 85 && c1 === 73) { p.uid = num(s, v0, end); j = numEnd; } // UID
        else if (c0 === 71 && c1 === 73) { p.gid = num(s, v0, end); j = numEnd; } // GID
        else if (c0 === 77 && c1 === 84) { p.icmpMtu = num(s, v0, end); j = numEnd; } // MTU
        break;
      }
      case 4:
        if (c0 === 84 && c1 === 89) { p.icmpType = num(s, v0, end); j = numEnd; } // TYPE
        else if (c0 === 67 && c1 === 79) { p.icmpCode = num(s, v0, end); j = numEnd; } // CODE
        else if (c0 === 80 && c1 === 82) { p.prec = hexNum(s, v0, end); j = numEnd; } // PREC
        else if (c0 === 85 && c1 === 82) { p.urgp = num(s, v0, end); j = numEnd; afterUrgp = true; } // URGP
        else if (c0 === 77 && c1 === 65) { p.mark = hexNum(s, v0, end); j = numEnd; } // MARK
        else if (c0 === 70 && c1 === 82) { p.frag = num(s, v0, end); j = numEnd; } // FRAG= (lenient)
        break;
      case 5:
        if (c0 === 80 && c1 === 82) { // PROTO
          j = wordEnd(s, v0, end);
          const pr = protoFromText(s, v0, j);
          if (pr === null) return 'no-protocol';
          p.proto = pr[0];
          p.protoNum = pr[1];
          protoSeen = true;
        }
        break;
      case 6:
        if (c0 === 87) { p.window = num(s, v0, end); j = numEnd; } // WINDOW
        else if (c0 === 80 && c1 === 72) { j = wordEnd(s, v0, end); p.physIn = s.slice(v0, j); } // PHYSIN
        else if (c0 === 77 && s.charCodeAt(i + 3) === 83) { j = wordEnd(s, v0, end); if (p.mac === '') p.mac = s.slice(v0, j); } // MACSRC (bridge)
        break;
      case 7:
        if (c0 === 70) { p.flowLabel = num(s, v0, end); j = numEnd; } // FLOWLBL
        else if (c0 === 80 && c1 === 72) { j = wordEnd(s, v0, end); p.physOut = s.slice(v0, j); } // PHYSOUT
        else if (c0 === 71) { j = wordEnd(s, v0, end); p.icmpGateway = address(s, v0, j); } // GATEWAY
        else if (c0 === 80 && c1 === 79) { p.icmpParam = hexNum(s, v0, end); j = numEnd; } // POINTER (ICMPv6, hex)
        break;
      case 8:
        if (c0 === 72) { p.ttl = num(s, v0, end); p.family = 6; j = numEnd; } // HOPLIMIT
        break;
      case 9:
        if (c0 === 80 && c1 === 65) { p.icmpParam = num(s, v0, end); j = numEnd; } // PARAMETER
        break;
      default:
        break;
    }
    i = (j < 0 ? wordEnd(s, v0, end) : j) + 1;
  }
  p.inner = inner;
  return validate(p, incomplete);
}

/** Checks what every scored packet needs; a line cut short loses its trailing fields. */
function validate(p: Packet, incomplete: boolean): SkipReason | null {
  if (p.src === '' || p.dst === '') return 'truncated';
  if (p.src.indexOf(':') >= 0) p.family = 6;
  if (p.proto === '') return 'truncated';
  if (p.len === -2 || p.ttl === -2 || p.id === -2 || p.sport === -2 || p.dport === -2 || p.window === -2) return 'bad-number';
  const pn = p.protoNum;
  if (!incomplete && p.frag <= 0) {
    // Headers the kernel prints in full must be there: a missing one means the line was cut.
    // (nf_log has no SCTP decoder: it writes `PROTO=132` and no ports.)
    if ((pn === 6 || pn === 17 || pn === 136) && (p.sport < 0 || p.dport < 0)) return 'truncated';
    if (pn === 6 && p.urgp < 0 && p.window < 0) return 'truncated';
    if ((pn === 1 || pn === 58) && p.icmpType < 0) return 'truncated';
  }
  // Direction from the interfaces, as psad does: IN only = INPUT, OUT only = OUTPUT, both = FORWARD.
  p.chain = p.outIf === '' ? 'INPUT' : p.inIf === '' ? 'OUTPUT' : 'FORWARD';
  return null;
}
