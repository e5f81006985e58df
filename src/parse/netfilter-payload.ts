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

/** The direction a chain implies; detection refines FORWARD. */
export const CHAIN_DIRECTION = { INPUT: 'inbound', OUTPUT: 'outbound', FORWARD: 'forward' } as const;

export function emptyPacket(raw: string): Packet {
  return {
    ts: Number.NaN, host: '', prefix: '', chain: 'INPUT', dir: 'inbound', inIf: '', outIf: '', physIn: '', physOut: '', mac: '',
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

/** True when the token at i is exactly `len` chars long (followed by a space or the end). */
function tokenIs(s: string, i: number, len: number, end: number): boolean {
  return i + len === end || s.charCodeAt(i + len) === 32;
}

/**
 * Parses the payload starting at `start` (the `I` of `IN=`) into `p`.
 * Returns null on success or the reason the line is unusable.
 *
 * A hand-written lexer: the first two characters of a token select the key,
 * '=' is checked at the key's fixed offset, numbers are read in place (their
 * end found while reading), and only string values are skipped with indexOf.
 * On this project's machines a JavaScript loop over every character costs
 * several times more than these native searches.
 */
export function parsePayload(s: string, start: number, p: Packet): SkipReason | null {
  const end = s.length;
  let i = start;
  let inner: InnerPacket | null = null;
  let protoSeen = false;
  let afterUrgp = false;
  let incomplete = false;
  while (i < end) {
    const c0 = s.charCodeAt(i);
    if (c0 === 32) { i++; continue; }
    if (c0 === 91 /* [ */) {
      if (inner !== null) return 'malformed'; // the kernel quotes one level only
      const close = s.indexOf(']', i);
      if (close < 0) return 'truncated';
      inner = { src: '', dst: '', len: -1, proto: '', sport: -1, dport: -1 };
      parseInner(s, i + 1, close, inner);
      i = close + 1;
      continue;
    }
    const c1 = s.charCodeAt(i + 1);
    let j = -1; // end of the token when the value has been consumed
    switch (c0) {
      case 83: // S
        if (c1 === 82 && s.charCodeAt(i + 3) === 61) { j = wordEnd(s, i + 4, end); p.src = address(s, i + 4, j); if (p.src === '') return 'bad-address'; } // SRC=
        else if (c1 === 80 && s.charCodeAt(i + 3) === 61) { p.sport = num(s, i + 4, end); j = numEnd; } // SPT=
        else if (c1 === 69 && s.charCodeAt(i + 3) === 61) { const v = num(s, i + 4, end); if (p.protoNum === 6) p.seq = v; else p.icmpSeq = v; j = numEnd; } // SEQ=
        else if (c1 === 89 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_SYN; j = i + 3; } // SYN
        break;
      case 68: // D
        if (c1 === 83 && s.charCodeAt(i + 3) === 61) { j = wordEnd(s, i + 4, end); p.dst = address(s, i + 4, j); if (p.dst === '') return 'bad-address'; } // DST=
        else if (c1 === 80 && s.charCodeAt(i + 3) === 61) { p.dport = num(s, i + 4, end); j = numEnd; } // DPT=
        else if (c1 === 70 && tokenIs(s, i, 2, end)) { p.ipFlags |= IP_DF; j = i + 2; } // DF
        break;
      case 76: // L
        if (c1 === 69 && s.charCodeAt(i + 3) === 61) { const v = num(s, i + 4, end); if (protoSeen) p.udpLen = v; else p.len = v; j = numEnd; } // LEN=
        break;
      case 84: // T
        if (c1 === 84 && s.charCodeAt(i + 3) === 61) { p.ttl = num(s, i + 4, end); j = numEnd; } // TTL=
        else if (c1 === 79 && s.charCodeAt(i + 3) === 61) { p.tos = hexNum(s, i + 4, end); j = numEnd; } // TOS=
        else if (c1 === 89 && s.charCodeAt(i + 4) === 61) { p.icmpType = num(s, i + 5, end); j = numEnd; } // TYPE=
        else if (c1 === 67 && s.charCodeAt(i + 2) === 61) { p.tc = num(s, i + 3, end); j = numEnd; } // TC=
        break;
      case 80: // P
        if (c1 === 82 && s.charCodeAt(i + 5) === 61) { // PROTO=
          j = wordEnd(s, i + 6, end);
          const pr = protoFromText(s, i + 6, j);
          if (pr === null) return 'no-protocol';
          p.proto = pr[0];
          p.protoNum = pr[1];
          protoSeen = true;
        } else if (c1 === 82 && s.charCodeAt(i + 4) === 61) { p.prec = hexNum(s, i + 5, end); j = numEnd; } // PREC=
        else if (c1 === 83 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_PSH; j = i + 3; } // PSH
        else if (c1 === 72 && s.charCodeAt(i + 6) === 61) { j = wordEnd(s, i + 7, end); p.physIn = s.slice(i + 7, j); } // PHYSIN=
        else if (c1 === 72 && s.charCodeAt(i + 7) === 61) { j = wordEnd(s, i + 8, end); p.physOut = s.slice(i + 8, j); } // PHYSOUT=
        else if (c1 === 65 && s.charCodeAt(i + 9) === 61) { p.icmpParam = num(s, i + 10, end); j = numEnd; } // PARAMETER=
        else if (c1 === 79 && s.charCodeAt(i + 7) === 61) { p.icmpParam = hexNum(s, i + 8, end); j = numEnd; } // POINTER= (ICMPv6, hex)
        break;
      case 73: // I
        if (c1 === 78 && s.charCodeAt(i + 2) === 61) { j = wordEnd(s, i + 3, end); p.inIf = s.slice(i + 3, j); } // IN=
        else if (c1 === 68 && s.charCodeAt(i + 2) === 61) { const v = num(s, i + 3, end); if (protoSeen) p.icmpId = v; else p.id = v; j = numEnd; } // ID=
        else if (c1 === 78 && s.startsWith('INCOMPLETE', i)) {
          // `INCOMPLETE [N bytes]`: the kernel could not read the L4 header (nmap -sO sends
          // bare protocol headers). Not a quoted packet: skip the bracket group.
          incomplete = true;
          j = i + 10;
          if (s.charCodeAt(j + 1) === 91) {
            const close = s.indexOf(']', j + 2);
            j = close < 0 ? end : close + 1;
          }
        }
        break;
      case 79: // O
        if (c1 === 85 && s.charCodeAt(i + 3) === 61) { j = wordEnd(s, i + 4, end); p.outIf = s.slice(i + 4, j); } // OUT=
        else if (c1 === 80 && s.charCodeAt(i + 2) === 84 && s.charCodeAt(i + 3) === 32) { // OPT (HEX)
          // IP options / IPv6 extension headers before PROTO=, TCP options after URGP=.
          if (s.charCodeAt(i + 4) !== 40 /* ( */) return 'malformed';
          const close = s.indexOf(')', i + 5);
          if (close < 0) return 'truncated';
          const h = s.slice(i + 5, close);
          if (afterUrgp) p.tcpOpts = h;
          else p.ipOpts = p.ipOpts === '' ? h : `${p.ipOpts} ${h}`;
          j = close + 1;
        }
        break;
      case 77: // M
        if (c1 === 65 && s.charCodeAt(i + 3) === 61) { j = wordEnd(s, i + 4, end); p.mac = s.slice(i + 4, j); } // MAC=
        else if (c1 === 65 && s.charCodeAt(i + 4) === 61) { p.mark = hexNum(s, i + 5, end); j = numEnd; } // MARK=
        else if (c1 === 65 && s.charCodeAt(i + 6) === 61 && s.charCodeAt(i + 3) === 83) { j = wordEnd(s, i + 7, end); if (p.mac === '') p.mac = s.slice(i + 7, j); } // MACSRC= (bridge)
        else if (c1 === 84 && s.charCodeAt(i + 3) === 61) { p.icmpMtu = num(s, i + 4, end); j = numEnd; } // MTU=
        else if (c1 === 70 && tokenIs(s, i, 2, end)) { p.ipFlags |= IP_MF; j = i + 2; } // MF
        break;
      case 87: // W
        if (s.charCodeAt(i + 6) === 61) { p.window = num(s, i + 7, end); j = numEnd; } // WINDOW=
        break;
      case 82: // R
        if (c1 === 69 && s.charCodeAt(i + 3) === 61) { p.res = hexNum(s, i + 4, end); j = numEnd; } // RES=
        else if (c1 === 83 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_RST; j = i + 3; } // RST
        break;
      case 85: // U
        if (c1 === 82 && s.charCodeAt(i + 4) === 61) { p.urgp = num(s, i + 5, end); j = numEnd; afterUrgp = true; } // URGP=
        else if (c1 === 82 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_URG; j = i + 3; } // URG
        else if (c1 === 73 && s.charCodeAt(i + 3) === 61) { p.uid = num(s, i + 4, end); j = numEnd; } // UID=
        break;
      case 65: // A
        if (c1 === 67 && s.charCodeAt(i + 3) === 61) { p.ack = num(s, i + 4, end); j = numEnd; } // ACK=n (sequence number)
        else if (c1 === 67 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_ACK; j = i + 3; } // ACK (flag)
        break;
      case 70: // F
        if (c1 === 73 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_FIN; j = i + 3; } // FIN
        else if (c1 === 76 && s.charCodeAt(i + 7) === 61) { p.flowLabel = num(s, i + 8, end); j = numEnd; } // FLOWLBL=
        else if (c1 === 82 && (s.charCodeAt(i + 4) === 58 || s.charCodeAt(i + 4) === 61)) { p.frag = num(s, i + 5, end); j = numEnd; } // FRAG:n (FRAG=n)
        break;
      case 67: // C
        if (c1 === 79 && s.charCodeAt(i + 4) === 61) { p.icmpCode = num(s, i + 5, end); j = numEnd; } // CODE=
        else if (c1 === 87 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_CWR; j = i + 3; } // CWR
        else if (c1 === 69 && tokenIs(s, i, 2, end)) { p.ipFlags |= IP_CE; j = i + 2; } // CE
        break;
      case 69: // E
        if (c1 === 67 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_ECE; j = i + 3; } // ECE
        break;
      case 71: // G
        if (c1 === 73 && s.charCodeAt(i + 3) === 61) { p.gid = num(s, i + 4, end); j = numEnd; } // GID=
        else if (c1 === 65 && s.charCodeAt(i + 7) === 61) { j = wordEnd(s, i + 8, end); p.icmpGateway = address(s, i + 8, j); } // GATEWAY=
        break;
      case 72: // H
        if (s.charCodeAt(i + 8) === 61) { p.ttl = num(s, i + 9, end); p.family = 6; j = numEnd; } // HOPLIMIT=
        break;
      default:
        break;
    }
    i = (j < 0 ? wordEnd(s, i, end) : j) + 1; // unknown tokens are skipped whole
  }
  p.inner = inner;
  return validate(p, incomplete);
}

/** The quoted packet of an ICMP error, `[SRC=... DST=... ]`, between from and close. */
function parseInner(s: string, from: number, close: number, q: InnerPacket): void {
  let i = from;
  while (i < close) {
    let j = s.indexOf(' ', i);
    if (j < 0 || j > close) j = close;
    const eq = s.indexOf('=', i);
    if (eq > i && eq < j) innerField(s, i, eq - i, eq + 1, j, q);
    i = j + 1;
  }
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
  p.dir = CHAIN_DIRECTION[p.chain];
  return null;
}
