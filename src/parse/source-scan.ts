/**
 * A cheap look at a line for a partitioned analysis (pipeline/pipeline.ts):
 * the source address of a firewall line with a plain IPv4 source (or the
 * first 64 bits of an IPv6 one, in full as ip6tables writes them or
 * shortened with `::`), read from the bytes without parsing the line, and whether the packet is an INPUT
 * TCP or ICMP packet, or UDP that cannot be a late answer (not from port 53
 * or 123, nor from a LAN address: the classifier keeps reply budgets only
 * for those), whose only lessons for the traffic classifier are then its
 * input interface and its destination (the fields are located for the
 * caller to compare). A thread that does not score the source skips such a
 * line when those lessons are known already.
 *
 * It must agree with the parser: the same payload start (findPayload), the
 * first ` SRC=` token after it (the parser takes no other: a repeated one
 * makes the line malformed), an address only as the parser reads one.
 */
import { findPayload } from './envelope.js';
import { bytesAre, findText, indexIn } from './line-bytes.js';
import { ipv4 } from './netfilter-payload.js';

export interface LineScan {
  family: 4 | 6;
  /** The IPv4 source address as a 32-bit number; of IPv6, its first 32 bits (and the next 32 in `lo`). */
  src: number;
  lo: number;
  /** An INPUT-chain TCP, ICMP or plain UDP packet (see above) to an address of the source's family written the same way. */
  plainInbound: boolean;
  /** Where the input interface's name and the destination address are in the line. */
  inFrom: number;
  inTo: number;
  dstFrom: number;
  dstTo: number;
}

export function emptyScan(): LineScan {
  return { family: 4, src: 0, lo: 0, plainInbound: false, inFrom: 0, inTo: 0, dstFrom: 0, dstTo: 0 };
}

/** RFC 1918 and link-local IPv4 (isLanScope of net/address-scope.ts, on the number). */
function lanIPv4(n: number): boolean {
  const a = n >>> 24;
  const b = (n >>> 16) & 255;
  return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
}

/** fe80::/10 and fc00::/7 by the first group (isLanScope of net/address-scope.ts). */
function lanIPv6(g0: number): boolean {
  return (g0 & 0xffc0) === 0xfe80 || (g0 & 0xfe00) === 0xfc00;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Groups of an IPv6 address before and after its `::` (one more than 8 shows too many). */
const groups = new Int32Array(20);

/**
 * The colon-separated groups of b[from, to) into groups[at...], as
 * parseIPv6 (net/address.ts) reads them but without a dotted quad: 1-4 hex
 * digits each. Returns how many, 0 for an empty range, -1 when invalid or
 * more than 8.
 */
function readGroups(b: Uint8Array, from: number, to: number, at: number): number {
  if (from === to) return 0;
  let n = 0;
  let v = 0;
  let digits = 0;
  for (let i = from; i <= to; i++) {
    if (i === to || b[i] === 58) {
      if (digits === 0 || n > 8) return -1;
      groups[at + n++] = v;
      v = digits = 0;
      continue;
    }
    const d = hexDigit(b[i] as number);
    if (d < 0 || ++digits > 4) return -1;
    v = v * 16 + d;
  }
  return n > 8 ? -1 : n;
}

/** Where `::` first is in b[from, to), or -1. */
function doubleColon(b: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 1 < to; i++) if (b[i] === 58 && b[i + 1] === 58) return i;
  return -1;
}

/** The first 64 bits of the IPv6 address read by ipv6Head, in two halves. */
let v6Hi = 0;
let v6Lo = 0;

/**
 * Whether b[from, to) is an IPv6 address as parseIPv6 accepts one (without
 * a dotted quad at its end), in full or shortened with `::`; its first 64
 * bits (what picks a source's thread) into v6Hi and v6Lo.
 */
export function ipv6Head(b: Uint8Array, from: number, to: number): boolean {
  if (to - from < 2 || to - from > 45) return false;
  const dbl = doubleColon(b, from, to);
  if (dbl >= 0 && doubleColon(b, dbl + 1, to) >= 0) return false;
  const head = readGroups(b, from, dbl >= 0 ? dbl : to, 0);
  if (head < 0) return false;
  let tail = 0;
  if (dbl < 0) {
    if (head !== 8) return false;
  } else {
    tail = readGroups(b, dbl + 2, to, head);
    if (tail < 0 || head + tail > 7) return false;
  }
  v6Hi = ((groupAt(0, head, tail) << 16) | groupAt(1, head, tail)) >>> 0;
  v6Lo = ((groupAt(2, head, tail) << 16) | groupAt(3, head, tail)) >>> 0;
  return true;
}

/** Group i (0-7) of the address whose `head` groups before `::` and `tail` after are in `groups`. */
function groupAt(i: number, head: number, tail: number): number {
  return i < head ? (groups[i] as number) : i >= 8 - tail ? (groups[head + i - (8 - tail)] as number) : 0;
}

function tokenEnd(b: Uint8Array, from: number, end: number): number {
  const sp = indexIn(b, 32, from, end);
  return sp < 0 ? end : sp;
}

/**
 * Reads the line b[start, end) (ASCII, outside a journal export record) into
 * `out`; false when it is not a firewall line with a plain IPv4 source (or
 * starts as the parser's other forms do: control bytes, JSON, export fields).
 */
export function scanLine(b: Uint8Array, start: number, end: number, out: LineScan): boolean {
  if (start >= end) return false;
  const c0 = b[start] as number;
  if (c0 <= 32 || c0 === 95 /* _ */ || c0 === 123 /* { */) return false;
  const payload = findPayload(b as Buffer, start, end);
  if (payload < 0) return false;
  const at = findText(b, ' SRC=', payload, end);
  if (at < 0) return false;
  const v0 = at + 5;
  const v1 = tokenEnd(b, v0, end);
  const src = ipv4(b, v0, v1);
  if (src >= 0) {
    out.family = 4;
    out.src = src;
  } else if (ipv6Head(b, v0, v1)) {
    out.family = 6;
    out.src = v6Hi;
    out.lo = v6Lo;
  } else return false;
  out.plainInbound = false;
  // INPUT: `IN=<name> OUT= ` (the parser's chain: no output interface).
  if (!bytesAre(b, payload, end, 'IN=')) return true;
  const inTo = tokenEnd(b, payload + 3, end);
  if (inTo === payload + 3 || !bytesAre(b, inTo, end, ' OUT= ') || !bytesAre(b, v1, end, ' DST=')) return true;
  const d1 = tokenEnd(b, v1 + 5, end);
  if (out.family === 4 ? ipv4(b, v1 + 5, d1) < 0 : !ipv6Head(b, v1 + 5, d1)) return true;
  const proto = findText(b, ' PROTO=', d1, end);
  if (proto < 0) return true;
  if (bytesAre(b, proto + 7, end, 'UDP ')) {
    if ((out.family === 4 ? lanIPv4(src) : lanIPv6(out.src >>> 16)) || !bytesAre(b, proto + 11, end, 'SPT=')) return true;
    const p1 = tokenEnd(b, proto + 15, end);
    // Ports 53 and 123 as the parser reads them (leading zeros included).
    let port = 0;
    for (let i = proto + 15; i < p1; i++) port = port * 10 + ((b[i] as number) - 48);
    if (p1 === proto + 15 || port === 53 || port === 123) return true;
  } else if (!(bytesAre(b, proto + 7, end, 'TCP ') || bytesAre(b, proto + 7, end, out.family === 4 ? 'ICMP ' : 'ICMPv6 '))) return true;
  out.plainInbound = true;
  out.inFrom = payload + 3;
  out.inTo = inTo;
  out.dstFrom = v1 + 5;
  out.dstTo = d1;
  return true;
}
