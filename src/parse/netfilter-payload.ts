/**
 * Tokenizer for the nf_log payload that iptables LOG, ip6tables LOG and
 * nftables `log` write (net/netfilter/nf_log_syslog.c): `IN= OUT= [PHYSIN=]
 * [MAC=] SRC= DST= LEN= ... PROTO= ...`: KEY=VALUE tokens and bare flag words
 * separated by spaces, `OPT (HEX)` groups, and for ICMP errors the quoted
 * packet in `[ ... ]` (kept apart in p.inner, never overwriting outer fields).
 *
 * One pass over the line's bytes (line-bytes.ts): no regex, and no
 * substring for numbers or IPv4 addresses.
 */
import { knownIPv4, normalizeIPv6, rememberIPv4 } from '../net/address.js';
import {
  IP_CE, IP_DF, IP_MF, TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG,
  type InnerPacket, type Packet, type SkipReason,
} from '../model/packet.js';
import { asciiLine, at, bytesAre, hashBytes, indexIn, Interner, isDigit, RecentTokens, sameBytes, shortText, str, tokenEnd, wordsOf } from './line-bytes.js';
import { compressedIPv6, FULL_IPV6, fullIPv6 } from './ipv6-bytes.js';

/** Field maxima: nf_log prints u8, u16, u32 and the 20-bit flow label. */
const U8 = 0xff;
const U16 = 0xffff;
const U32 = 0xffffffff;
/** IPv6 LEN= is the payload length plus the 40-byte header. */
const V6_LEN = U16 + 40;
const FLOW_LABEL = 0xfffff;
/** IPv4 FRAG: is the 13-bit offset field (IPv6 prints a 16-bit value). */
const IPV4_FRAG = 0x1fff;

/** A number that is not a plain number (empty, a sign, a letter). */
const BAD = -2;
/** A number above its field's maximum. */
const RANGE = -3;

/** Decimal digits in s[from, to) as a number at most max; BAD when empty or not all digits, RANGE above max. */
function decimal(s: Uint8Array, from: number, to: number, max: number): number {
  if (from >= to) return BAD;
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = (s[i] as number) - 48;
    if (d < 0 || d > 9) return BAD;
    v = v * 10 + d;
  }
  return v > max ? RANGE : v;
}

/** `0x1F` or bare hex in s[from, to) at most max; BAD when invalid, RANGE above max. */
function hex(s: Uint8Array, from: number, to: number, max: number): number {
  if (to - from > 2 && s[from + 1] === 120 && s[from] === 48) from += 2;
  if (from >= to) return BAD;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = (s[i] as number) | 32;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return BAD;
    v = v * 16 + d;
  }
  return v > max ? RANGE : v;
}

/** Numbered protocols get their usual name, so `PROTO=6` and `PROTO=TCP` are one key. */
const NAME_BY_NUMBER: Readonly<Record<number, string>> = {
  1: 'icmp', 6: 'tcp', 17: 'udp', 50: 'esp', 51: 'ah', 58: 'icmp6', 132: 'sctp', 136: 'udplite',
};
const PROTO_NAMES: readonly string[] = Array.from({ length: 256 }, (_, n) => NAME_BY_NUMBER[n] ?? String(n));

/** The report key of protocol number n (0-255): its usual name, or the number as text. */
export function protoName(n: number): string {
  return PROTO_NAMES[n] as string;
}

/** The names nf_log writes for PROTO=, with their numbers (the same places). */
const PROTO_NAMES_WRITTEN: readonly string[] = ['TCP', 'UDP', 'UDPLITE', 'SCTP', 'ICMP', 'ICMPv6', 'AH', 'ESP'];
const PROTO_NUMBERS_WRITTEN: readonly number[] = [6, 17, 136, 132, 1, 58, 51, 50];

/** A protocol name or number in [from, to): its number, or -1 when unknown or above 255. */
function protoAt(s: Uint8Array, from: number, to: number): number {
  if (isDigit(at(s, from, to))) {
    // No name starts with a digit.
    const n = decimal(s, from, to, U8);
    return n >= 0 ? n : -1;
  }
  for (let k = 0; k < PROTO_NAMES_WRITTEN.length; k++) {
    const name = PROTO_NAMES_WRITTEN[k] as string;
    if (name.length === to - from && bytesAre(s, from, to, name)) return PROTO_NUMBERS_WRITTEN[k] as number;
  }
  return -1;
}

/** The direction a chain implies; detection refines FORWARD. */
export const CHAIN_DIRECTION = { INPUT: 'inbound', OUTPUT: 'outbound', FORWARD: 'forward' } as const;

export function emptyPacket(): Packet {
  return {
    ts: Number.NaN, host: '', prefix: '', chain: 'INPUT', dir: 'inbound', inIf: '', outIf: '', physIn: '', physOut: '', mac: '',
    family: 4, src: '', dst: '', len: -1, tos: -1, prec: -1, ttl: -1, id: -1, tc: -1, flowLabel: -1,
    ipFlags: 0, frag: -1, ipOpts: '', proto: '', protoNum: -1, sport: -1, dport: -1, seq: -1, ack: -1,
    window: -1, res: -1, tcpFlags: 0, urgp: -1, tcpOpts: '', udpLen: -1, icmpType: -1, icmpCode: -1,
    icmpId: -1, icmpSeq: -1, icmpParam: -1, icmpMtu: -1, icmpGateway: '', inner: null,
    uid: -1, gid: -1, mark: -1,
  };
}

/** Sets every field of a reused record to emptyPacket()'s values (one record per reader: no object per line). */
export function clearPacket(p: Packet): void {
  p.ts = Number.NaN; p.host = ''; p.prefix = ''; p.chain = 'INPUT'; p.dir = 'inbound'; p.inIf = ''; p.outIf = ''; p.physIn = ''; p.physOut = ''; p.mac = '';
  p.family = 4; p.src = ''; p.dst = ''; p.len = -1; p.tos = -1; p.prec = -1; p.ttl = -1; p.id = -1; p.tc = -1; p.flowLabel = -1;
  p.ipFlags = 0; p.frag = -1; p.ipOpts = ''; p.proto = ''; p.protoNum = -1; p.sport = -1; p.dport = -1; p.seq = -1; p.ack = -1;
  p.window = -1; p.res = -1; p.tcpFlags = 0; p.urgp = -1; p.tcpOpts = ''; p.udpLen = -1; p.icmpType = -1; p.icmpCode = -1;
  p.icmpId = -1; p.icmpSeq = -1; p.icmpParam = -1; p.icmpMtu = -1; p.icmpGateway = ''; p.inner = null;
  p.uid = -1; p.gid = -1; p.mark = -1;
}

/**
 * Interface names and MAC headers: a few distinct values repeated on every
 * line. One interner per field, so that each one's last value (tried first)
 * is the previous line's value of the same field.
 */
const inIfs = new Interner();
const outIfs = new Interner();
const macs = new Interner();
const names = new Interner();
/** Destination addresses: mostly this host's few, kept by every source it scans (one string, not one per source). */
const destinations = new Interner();

/**
 * Other IPv4 addresses (sources, gateways) by value, in a four-way
 * set-associative cache: a log repeats its sources, and one string per
 * address rather than one per line spares an allocation per packet and lets
 * every map that looks the address up reuse the string's hash. Four ways (a
 * set's four values share a cache line) answer some 80% of the mixed
 * bench log's sources where one way answered 69%.
 *
 * An address is cached the second time its set sees it (the first time
 * only its number is noted, with the set's one before): a log of a million
 * addresses seen once each would otherwise keep every fresh string alive in
 * the cache (an old-space array) past the next scavenge or two, which then
 * copies and promotes strings that no one else holds.
 *
 * A flood of spoofed sources (every address new) finds nothing here, and
 * each look is a cache miss (a 512 KiB table): when a window of WINDOW
 * looks finds under 1 in 16, the next SKIP addresses are made without
 * looking, then a window looks again. The strings are the same either way.
 */
const WINDOW = 4096;
const SKIP = 8 * WINDOW;
const SET_BITS = 14;
const WAYS = 4;
/** Int32 slots of a set: its ways' numbers, then the two seen once, then two unused (32 bytes: two sets a cache line). */
const SET_INTS = 8;
const SEEN = WAYS;

class Ipv4Strings {
  /**
   * Per set, the ways' numbers (every way starts as address 0 with its text, so a hit needs no look at the string,
   * whose memory is seldom in cache; newest first) and the two addresses last seen once (not cached yet): one cache
   * line, so a new address (a miss in every way) costs one cache miss, not one here and one in a table of its own.
   */
  readonly #nums = new Int32Array(SET_INTS << SET_BITS);
  readonly #strings: string[] = new Array<string>(WAYS << SET_BITS).fill('0.0.0.0');
  /** Looks left in this window and hits in it; addresses still to make without a look. */
  #looks = WINDOW;
  #hits = 0;
  #skip = 0;

  /** The text of address `n`, which the bytes [from, to) spell. */
  get(n: number, b: Buffer, from: number, to: number): string {
    if (!asciiLine()) return str(b, from, to);
    if (this.#skip > 0) {
      this.#skip--;
      return shortText(b, from, to);
    }
    if (--this.#looks === 0) {
      if (this.#hits * 16 < WINDOW) this.#skip = SKIP;
      this.#looks = WINDOW;
      this.#hits = 0;
    }
    const x = n | 0;
    const set = Math.imul(x, 0x9e3779b1) >>> (32 - SET_BITS);
    const nums = this.#nums;
    const strings = this.#strings;
    const k = set * SET_INTS;
    const w = set * WAYS;
    let way = -1;
    if (nums[k] === x) way = 0;
    else if (nums[k + 1] === x) way = 1;
    else if (nums[k + 2] === x) way = 2;
    else if (nums[k + 3] === x) way = 3;
    if (way >= 0) {
      this.#hits++;
      return strings[w + way] as string;
    }
    const fresh = shortText(b, from, to);
    if (nums[k + SEEN] !== x && nums[k + SEEN + 1] !== x) {
      nums[k + SEEN + 1] = nums[k + SEEN] as number;
      nums[k + SEEN] = x;
      return fresh;
    }
    // In first, the oldest out.
    for (let i = WAYS - 1; i > 0; i--) {
      nums[k + i] = nums[k + i - 1] as number;
      strings[w + i] = strings[w + i - 1] as string;
    }
    nums[k] = x;
    strings[w] = fresh;
    return fresh;
  }
}
const addresses = new Ipv4Strings();

/**
 * ip6tables writes every address in full (2001:0db8:0000:...); normalizing one
 * costs far more than a probe, and a log repeats the same few addresses.
 * Bounded: a direct-mapped table looked up by the line's bytes (as Interner
 * does), holding the token's bytes (no string of them) and the normalized form.
 */
const V6_SLOTS = 1 << 14;
/** Tokens up to this long are kept (an IPv6 address has at most 45 characters; a longer token is no address). */
const V6_TEXT = 48;

class LongAddresses {
  readonly #hashes = new Int32Array(V6_SLOTS);
  readonly #lengths = new Uint8Array(V6_SLOTS);
  readonly #texts = new Uint8Array(V6_SLOTS * V6_TEXT);
  readonly #textView = new DataView(this.#texts.buffer);
  readonly #values: string[] = new Array<string>(V6_SLOTS).fill('');
  /** The last two tokens looked up (a line's IPv6 source and destination; the destination is mostly this host's one). */
  readonly #recent = new RecentTokens();

  /** The normalized address the bytes [from, to) spell ('' when invalid): looked up by the bytes, so a repeated address makes no string. */
  get(b: Buffer, from: number, to: number): string {
    const len = to - from;
    if (!asciiLine() || len > V6_TEXT) return normalizedAddress(str(b, from, to), b, from, to);
    const bv = wordsOf(b);
    const h = hashBytes(bv, b, from, to);
    const slot = h & (V6_SLOTS - 1);
    const texts = this.#texts;
    const at0 = slot * V6_TEXT;
    let v = this.#values[slot] as string;
    if (this.#hashes[slot] !== h || this.#lengths[slot] !== len || !sameBytes(this.#textView, texts, at0, bv, b, from, len)) {
      v = (len === FULL_IPV6 ? fullIPv6(b, from) : compressedIPv6(b, from, to)) ?? normalizedAddress(b.latin1Slice(from, to), b, from, to);
      this.#hashes[slot] = h;
      this.#lengths[slot] = len;
      for (let k = 0; k < len; k++) texts[at0 + k] = b[from + k] as number;
      this.#values[slot] = v;
    }
    this.#recent.keep(b, from, to, v);
    return v;
  }

  /**
   * get() of the token at `from` (up to a space or `end`) when it is one of
   * the last two looked up, found without scanning for its end (tokenEnd is
   * set there); null otherwise.
   */
  recent(b: Buffer, from: number, end: number): string | null {
    return asciiLine() ? this.#recent.token(b, from, end) : null;
  }
}
const longAddresses = new LongAddresses();

function normalizedAddress(text: string, b: Buffer, from: number, to: number): string {
  return text.indexOf(':') >= 0 ? normalizeIPv6(text) ?? '' : ipv4(b, from, to) < 0 ? '' : text;
}

/** A dotted quad in [from, to) as parseIPv4 reads it (no leading zeros, 0-255, four parts); -1 when invalid. */
export function ipv4(s: Uint8Array, from: number, to: number): number {
  const n = quadWord(s, from, to);
  return n >= 0 && numEnd === to ? n : -1;
}

/**
 * The dotted quad that starts at `from` and runs to the next space (or end),
 * read as parseIPv4 reads it (no leading zeros, 0-255, four parts), with
 * numEnd set to the token's end; -1 (numEnd unset) when the token is
 * anything else, which address() then decides. One pass: the token's end
 * is found while its value is read.
 */
function quadWord(s: Uint8Array, from: number, end: number): number {
  let value = 0;
  let part = -1;
  let dots = 0;
  let digits = 0;
  let i = from;
  for (; i < end; i++) {
    const c = s[i] as number;
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero: ambiguous (octal in some tools)
      part = part < 0 ? c - 48 : part * 10 + (c - 48);
      if (part > 255 || ++digits > 3) return -1;
    } else if (c === 46 && part >= 0 && dots < 3) {
      value = value * 256 + part;
      part = -1;
      digits = 0;
      dots++;
    } else if (c === 32) break;
    else return -1;
  }
  if (dots !== 3 || part < 0) return -1;
  numEnd = i;
  return value * 256 + part;
}

/**
 * The SRC=/DST= value at `from` (its end in numEnd); '' when invalid. A
 * dotted quad is read in one pass and its text is remembered with its value
 * (net/address.ts rememberIPv4: later stages parse it again); anything else
 * goes through address().
 */
function hostAddress(s: Buffer, from: number, end: number, kept?: Interner): string {
  if (kept !== undefined) {
    // A destination kept last (this host's few addresses) whose value is still remembered (the previous line's,
    // rememberIPv4): the token neither scanned nor read again.
    const t = kept.recent(s, from, end);
    const v = t === null ? -1 : knownIPv4(t);
    if (v >= 0) {
      numEnd = tokenEnd;
      rememberIPv4(t as string, v);
      return t as string;
    }
  }
  const n = quadWord(s, from, end);
  if (n < 0) {
    // A token address() sent to longAddresses before (same bytes, same way): its value again.
    const again = longAddresses.recent(s, from, end);
    if (again !== null) {
      numEnd = tokenEnd;
      return again;
    }
    numEnd = wordEnd(s, from, end);
    return address(s, from, numEnd, end, kept);
  }
  const text = kept !== undefined ? kept.get(s, from, numEnd) : addresses.get(n, s, from, numEnd);
  rememberIPv4(text, n);
  return text;
}

/** Address token value in [from, to), normalized; '' when invalid. Dotted quads are already canonical (and interned when `kept` is given). */
function address(s: Buffer, from: number, to: number, end: number, kept?: Interner): string {
  if (to - from <= 15 && at(s, from + 1, end) !== 58 && at(s, from + 2, end) !== 58 && at(s, from + 3, end) !== 58 && at(s, from + 4, end) !== 58) {
    const n = ipv4(s, from, to);
    return n < 0 ? '' : kept !== undefined ? kept.get(s, from, to) : addresses.get(n, s, from, to);
  }
  return longAddresses.get(s, from, to);
}

/**
 * One KEY=VALUE of the quoted packet. Returns a skip reason for a bad value or
 * a repeated address or port (the quoted UDP header repeats LEN=: the first,
 * the IP length, is kept).
 */
function innerField(s: Buffer, i: number, klen: number, v0: number, j: number, end: number, q: InnerPacket): SkipReason | null {
  const a = s[i] as number;
  if (klen === 3) {
    const b = s[i + 1] as number;
    if (a === 83 && b === 82) {
      if (q.src !== '') return 'malformed';
      return (q.src = address(s, v0, j, end)) === '' ? 'bad-address' : null;
    }
    if (a === 68 && b === 83) {
      if (q.dst !== '') return 'malformed';
      return (q.dst = address(s, v0, j, end)) === '' ? 'bad-address' : null;
    }
    let v = 0;
    if (a === 76) {
      v = decimal(s, v0, j, V6_LEN);
      if (q.len < 0) q.len = v;
    } else if (a === 83 && b === 80) {
      if (q.sport !== -1) return 'malformed';
      v = q.sport = decimal(s, v0, j, U16);
    } else if (a === 68 && b === 80) {
      if (q.dport !== -1) return 'malformed';
      v = q.dport = decimal(s, v0, j, U16);
    }
    return v < 0 ? 'bad-number' : null;
  }
  if (klen === 5 && a === 80) {
    const n = protoAt(s, v0, j);
    q.proto = n < 0 ? str(s, v0, j) : protoName(n);
  }
  return null;
}

/** End index of the last number read by num()/hexNum(): lets a value be parsed and skipped in one pass. */
let numEnd = 0;

/**
 * Decimal number at i up to the next space (or end), at most max; BAD when not
 * a plain number, RANGE above max. Sets numEnd.
 */
function num(s: Uint8Array, i: number, end: number, max: number): number {
  let v = 0;
  let k = i;
  for (; k < end; k++) {
    const d = (s[k] as number) - 48;
    if (d < 0 || d > 9) break;
    v = v * 10 + d;
  }
  if (k < end && s[k] !== 32) {
    // not a plain number: skip the rest of the token and report it bad
    numEnd = wordEnd(s, k, end);
    return BAD;
  }
  numEnd = k;
  return k === i ? BAD : v > max ? RANGE : v;
}

/** Hex value (`0x1F` or bare) at i up to the next space, at most max. Sets numEnd. */
function hexNum(s: Uint8Array, i: number, end: number, max: number): number {
  // `0x00`, the usual TOS, PREC and RES, without a scan for the token's end.
  if (at(s, i, end) === 48 && at(s, i + 1, end) === 120 && at(s, i + 2, end) === 48 && at(s, i + 3, end) === 48 && (i + 4 === end || s[i + 4] === 32)) {
    numEnd = i + 4;
    return 0;
  }
  const sp = wordEnd(s, i, end);
  numEnd = sp;
  return hex(s, i, sp, max);
}

/** Why a value num()/hexNum() refused is unusable: cut at the end of the line, or a bad number. */
function badValue(v: number, end: number): SkipReason {
  return v === BAD && numEnd >= end ? 'truncated' : 'bad-number';
}

/** The next space at or after i, or end. */
function wordEnd(s: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) if (s[i] === 32) return i;
  return end;
}

/** True when the token at i is exactly `len` chars long (followed by a space or the end). */
function tokenIs(s: Uint8Array, i: number, len: number, end: number): boolean {
  return i + len === end || at(s, i + len, end) === 32;
}

/** Bits of `seen` for the keys whose value may be empty (no -1 / '' sentinel tells a repeat). */
const SEEN_IN = 1;
const SEEN_OUT = 2;
const SEEN_PHYSIN = 4;
const SEEN_PHYSOUT = 8;
const SEEN_MAC = 16;
const SEEN_SPI = 32;

/**
 * Parses the payload starting at `start` (the `I` of `IN=`, or the `O` of
 * `OUT=` on lines without IN=) into `p`. Returns null on success or the
 * reason the line is unusable.
 *
 * A hand-written lexer: the first two characters of a token select the key,
 * '=' is checked at the key's fixed offset, numbers are read in place (their
 * end found while reading), string values are cut once their end is found,
 * and nothing past the line's end is ever read as part of it.
 *
 * Every number is checked against its field's width as nf_log prints it
 * (`bad-number`), and a key that appears twice outside the quoted packet
 * makes the line `malformed`: the kernel writes each once, so a second one
 * means two lines run together or forged text, and neither value can be
 * trusted. Both checks are comparisons on values already read.
 */
export function parsePayload(s: Buffer, start: number, end: number, p: Packet): SkipReason | null {
  let i = start;
  let inner: InnerPacket | null = null;
  let protoSeen = false;
  let afterUrgp = false;
  let incomplete = false;
  let seen = 0;
  let srcV6 = false;
  while (i < end) {
    const c0 = s[i] as number;
    if (c0 === 32) { i++; continue; }
    if (c0 === 91 /* [ */) {
      if (inner !== null) return 'malformed'; // the kernel quotes one level only
      const close = indexIn(s, 93, i, end);
      if (close < 0) return 'truncated';
      inner = { src: '', dst: '', len: -1, proto: '', sport: -1, dport: -1 };
      const bad = parseInner(s, i + 1, close, end, inner);
      if (bad !== null) return bad;
      i = close + 1;
      continue;
    }
    const c1 = at(s, i + 1, end);
    let j = -1; // end of the token when the value has been consumed
    let v = 0; // a number read (negative: bad)
    let dup = false; // the key was seen before
    switch (c0) {
      case 83: // S
        if (c1 === 82 && at(s, i + 3, end) === 61) { // SRC=
          dup = p.src !== '';
          if ((p.src = hostAddress(s, i + 4, end)) === '') return 'bad-address';
          j = numEnd;
          // A token address() would not read as a dotted quad (longer than one, or a colon in its first five): its
          // value, not '', came from longAddresses, and that is IPv6 text (normalized, or ::ffff:a.b.c.d).
          srcV6 = j - i - 4 > 15 || at(s, i + 5, end) === 58 || at(s, i + 6, end) === 58 || at(s, i + 7, end) === 58 || at(s, i + 8, end) === 58;
        } else if (c1 === 80 && at(s, i + 3, end) === 61) {
          if (at(s, i + 2, end) === 73) { dup = (seen & SEEN_SPI) !== 0; seen |= SEEN_SPI; v = hexNum(s, i + 4, end, U32); } // SPI= (AH, ESP)
          else { dup = p.sport !== -1; v = p.sport = num(s, i + 4, end, U16); } // SPT=
          j = numEnd;
        } else if (c1 === 69 && at(s, i + 3, end) === 61) { // SEQ=
          if (p.protoNum === 6) { dup = p.seq !== -1; v = p.seq = num(s, i + 4, end, U32); }
          else { dup = p.icmpSeq !== -1; v = p.icmpSeq = num(s, i + 4, end, U16); }
          j = numEnd;
        } else if (c1 === 89 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_SYN; j = i + 3; } // SYN
        break;
      case 68: // D
        if (c1 === 83 && at(s, i + 3, end) === 61) { // DST=
          dup = p.dst !== '';
          if ((p.dst = hostAddress(s, i + 4, end, destinations)) === '') return 'bad-address';
          j = numEnd;
        } else if (c1 === 80 && at(s, i + 3, end) === 61) { dup = p.dport !== -1; v = p.dport = num(s, i + 4, end, U16); j = numEnd; } // DPT=
        else if (c1 === 70 && tokenIs(s, i, 2, end)) { p.ipFlags |= IP_DF; j = i + 2; } // DF
        break;
      case 76: // L
        if (c1 === 69 && at(s, i + 3, end) === 61) { // LEN= (the IP length; after PROTO= the UDP length)
          if (protoSeen) { dup = p.udpLen !== -1; v = p.udpLen = num(s, i + 4, end, U16); }
          else { dup = p.len !== -1; v = p.len = num(s, i + 4, end, V6_LEN); }
          j = numEnd;
        }
        break;
      case 84: // T
        if (c1 === 84 && at(s, i + 3, end) === 61) { dup = p.ttl !== -1; v = p.ttl = num(s, i + 4, end, U8); j = numEnd; } // TTL=
        else if (c1 === 79 && at(s, i + 3, end) === 61) { dup = p.tos !== -1; v = p.tos = hexNum(s, i + 4, end, U8); j = numEnd; } // TOS=
        else if (c1 === 89 && at(s, i + 4, end) === 61) { dup = p.icmpType !== -1; v = p.icmpType = num(s, i + 5, end, U8); j = numEnd; } // TYPE=
        else if (c1 === 67 && at(s, i + 2, end) === 61) { dup = p.tc !== -1; v = p.tc = num(s, i + 3, end, U8); j = numEnd; } // TC=
        break;
      case 80: // P
        if (c1 === 82 && at(s, i + 5, end) === 61) { // PROTO=
          if (protoSeen) return 'malformed';
          j = wordEnd(s, i + 6, end);
          const n = protoAt(s, i + 6, j);
          if (n < 0) return isDigit(at(s, i + 6, end)) ? 'bad-number' : 'no-protocol';
          p.proto = protoName(n);
          p.protoNum = n;
          protoSeen = true;
        } else if (c1 === 82 && at(s, i + 4, end) === 61) { dup = p.prec !== -1; v = p.prec = hexNum(s, i + 5, end, U8); j = numEnd; } // PREC=
        else if (c1 === 83 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_PSH; j = i + 3; } // PSH
        else if (c1 === 72 && at(s, i + 6, end) === 61) { dup = (seen & SEEN_PHYSIN) !== 0; seen |= SEEN_PHYSIN; j = wordEnd(s, i + 7, end); p.physIn = names.get(s, i + 7, j); } // PHYSIN=
        else if (c1 === 72 && at(s, i + 7, end) === 61) { dup = (seen & SEEN_PHYSOUT) !== 0; seen |= SEEN_PHYSOUT; j = wordEnd(s, i + 8, end); p.physOut = names.get(s, i + 8, j); } // PHYSOUT=
        else if (c1 === 65 && at(s, i + 9, end) === 61) { dup = p.icmpParam !== -1; v = p.icmpParam = num(s, i + 10, end, U8); j = numEnd; } // PARAMETER=
        else if (c1 === 79 && at(s, i + 7, end) === 61) { dup = p.icmpParam !== -1; v = p.icmpParam = hexNum(s, i + 8, end, U32); j = numEnd; } // POINTER= (ICMPv6, hex)
        break;
      case 73: // I
        if (c1 === 78 && at(s, i + 2, end) === 61) { dup = (seen & SEEN_IN) !== 0; seen |= SEEN_IN; p.inIf = inIfs.token(s, i + 3, end); j = tokenEnd; } // IN=
        else if (c1 === 68 && at(s, i + 2, end) === 61) { // ID= (the IP ID; after PROTO= the ICMP echo ID)
          if (protoSeen) { dup = p.icmpId !== -1; v = p.icmpId = num(s, i + 3, end, U16); }
          else { dup = p.id !== -1; v = p.id = num(s, i + 3, end, U16); }
          j = numEnd;
        } else if (c1 === 78 && bytesAre(s, i, end, 'INCOMPLETE')) {
          // `INCOMPLETE [N bytes]`: the kernel could not read the L4 header (nmap -sO sends
          // bare protocol headers). Not a quoted packet: skip the bracket group.
          incomplete = true;
          j = i + 10;
          if (at(s, j + 1, end) === 91) {
            const close = indexIn(s, 93, j + 2, end);
            j = close < 0 ? end : close + 1;
          }
        }
        break;
      case 79: // O
        if (c1 === 85 && at(s, i + 3, end) === 61) { dup = (seen & SEEN_OUT) !== 0; seen |= SEEN_OUT; p.outIf = outIfs.token(s, i + 4, end); j = tokenEnd; } // OUT=
        else if (c1 === 80 && at(s, i + 2, end) === 84 && at(s, i + 3, end) === 32) { // OPT (HEX)
          // IP options / IPv6 extension headers before PROTO=, TCP options after URGP=.
          if (at(s, i + 4, end) !== 40 /* ( */) return 'malformed';
          const close = indexIn(s, 41, i + 5, end);
          if (close < 0) return 'truncated';
          const h = str(s, i + 5, close);
          if (afterUrgp) p.tcpOpts = h;
          else p.ipOpts = p.ipOpts === '' ? h : `${p.ipOpts} ${h}`;
          j = close + 1;
        }
        break;
      case 77: // M
        if (c1 === 65 && at(s, i + 3, end) === 61) { dup = (seen & SEEN_MAC) !== 0; seen |= SEEN_MAC; p.mac = macs.token(s, i + 4, end); j = tokenEnd; } // MAC=
        else if (c1 === 65 && at(s, i + 4, end) === 61) { dup = p.mark !== -1; v = p.mark = hexNum(s, i + 5, end, U32); j = numEnd; } // MARK=
        else if (c1 === 65 && at(s, i + 6, end) === 61 && at(s, i + 3, end) === 83) { j = wordEnd(s, i + 7, end); if (p.mac === '') p.mac = names.get(s, i + 7, j); } // MACSRC= (bridge)
        else if (c1 === 84 && at(s, i + 3, end) === 61) { dup = p.icmpMtu !== -1; v = p.icmpMtu = num(s, i + 4, end, p.protoNum === 1 ? U16 : U32); j = numEnd; } // MTU= (ICMPv6: 32 bits)
        else if (c1 === 70 && tokenIs(s, i, 2, end)) { p.ipFlags |= IP_MF; j = i + 2; } // MF
        break;
      case 87: // W
        if (at(s, i + 6, end) === 61) { dup = p.window !== -1; v = p.window = num(s, i + 7, end, U16); j = numEnd; } // WINDOW=
        break;
      case 82: // R
        if (c1 === 69 && at(s, i + 3, end) === 61) { dup = p.res !== -1; v = p.res = hexNum(s, i + 4, end, U8); j = numEnd; } // RES=
        else if (c1 === 83 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_RST; j = i + 3; } // RST
        break;
      case 85: // U
        if (c1 === 82 && at(s, i + 4, end) === 61) { dup = p.urgp !== -1; v = p.urgp = num(s, i + 5, end, U16); j = numEnd; afterUrgp = true; } // URGP=
        else if (c1 === 82 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_URG; j = i + 3; } // URG
        else if (c1 === 73 && at(s, i + 3, end) === 61) { dup = p.uid !== -1; v = p.uid = num(s, i + 4, end, U32); j = numEnd; } // UID=
        break;
      case 65: // A
        if (c1 === 67 && at(s, i + 3, end) === 61) { dup = p.ack !== -1; v = p.ack = num(s, i + 4, end, U32); j = numEnd; } // ACK=n (sequence number)
        else if (c1 === 67 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_ACK; j = i + 3; } // ACK (flag)
        break;
      case 70: // F
        if (c1 === 73 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_FIN; j = i + 3; } // FIN
        else if (c1 === 76 && at(s, i + 7, end) === 61) { dup = p.flowLabel !== -1; v = p.flowLabel = num(s, i + 8, end, FLOW_LABEL); j = numEnd; } // FLOWLBL=
        else if (c1 === 82 && (at(s, i + 4, end) === 58 || at(s, i + 4, end) === 61)) { dup = p.frag !== -1; v = p.frag = num(s, i + 5, end, U16); j = numEnd; } // FRAG:n (FRAG=n)
        break;
      case 67: // C
        if (c1 === 79 && at(s, i + 4, end) === 61) { dup = p.icmpCode !== -1; v = p.icmpCode = num(s, i + 5, end, U8); j = numEnd; } // CODE=
        else if (c1 === 87 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_CWR; j = i + 3; } // CWR
        else if (c1 === 69 && tokenIs(s, i, 2, end)) { p.ipFlags |= IP_CE; j = i + 2; } // CE
        break;
      case 69: // E
        if (c1 === 67 && tokenIs(s, i, 3, end)) { p.tcpFlags |= TCP_ECE; j = i + 3; } // ECE
        break;
      case 71: // G
        if (c1 === 73 && at(s, i + 3, end) === 61) { dup = p.gid !== -1; v = p.gid = num(s, i + 4, end, U32); j = numEnd; } // GID=
        else if (c1 === 65 && at(s, i + 7, end) === 61) { // GATEWAY=
          dup = p.icmpGateway !== '';
          j = wordEnd(s, i + 8, end);
          if ((p.icmpGateway = address(s, i + 8, j, end)) === '') return 'bad-address';
        }
        break;
      case 72: // H
        if (at(s, i + 8, end) === 61) { dup = p.ttl !== -1; v = p.ttl = num(s, i + 9, end, U8); p.family = 6; j = numEnd; } // HOPLIMIT=
        break;
      default:
        break;
    }
    if (dup) return 'malformed';
    if (v < 0) return badValue(v, end);
    i = (j < 0 ? wordEnd(s, i, end) : j) + 1; // unknown tokens are skipped whole
  }
  p.inner = inner;
  return validate(p, incomplete, srcV6);
}

/** The quoted packet of an ICMP error, `[SRC=... DST=... ]`, between from and close. */
function parseInner(s: Buffer, from: number, close: number, end: number, q: InnerPacket): SkipReason | null {
  let i = from;
  while (i < close) {
    let j = indexIn(s, 32, i, close);
    if (j < 0) j = close;
    const eq = indexIn(s, 61, i, j);
    if (eq > i) {
      const bad = innerField(s, i, eq - i, eq + 1, j, end, q);
      if (bad !== null) return bad;
    }
    i = j + 1;
  }
  return null;
}

/** Checks what every scored packet needs; a line cut short loses its trailing fields. */
function validate(p: Packet, incomplete: boolean, srcV6: boolean): SkipReason | null {
  if (p.src === '' || p.dst === '') return 'truncated';
  if (srcV6) p.family = 6;
  if (p.proto === '') return 'truncated';
  // IPv4 widths the shared key reading above allows for IPv6: LEN= (IPv6 adds its header) and the 13-bit fragment offset.
  if (p.family === 4 && (p.len > U16 || p.frag > IPV4_FRAG)) return 'bad-number';
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
