/**
 * IP address and CIDR parsing shared by every stage (not a stage itself).
 * IPv6 is normalized to RFC 5952 text (compressed, lowercase) so that one host
 * is one key whatever form the log used (ip6tables writes it expanded).
 */

export type Family = 4 | 6;

/**
 * The last two addresses the log parser read as dotted quads, with their
 * values (rememberIPv4): a packet's source and destination are parsed again
 * by several stages, and the same string answers here without being read.
 */
const knownText: Array<string | null> = [null, null];
const knownValue = [0, 0];
let knownNext = 0;

/** Tells parseIPv4 that `text` reads as `value` (which must be what parseIPv4 makes of it). */
export function rememberIPv4(text: string, value: number): void {
  knownText[knownNext] = text;
  knownValue[knownNext] = value;
  knownNext ^= 1;
}

/** The value of `s` when it is one of the two dotted quads last remembered (rememberIPv4), else -1 (unknown, not invalid). */
export function knownIPv4(s: string): number {
  if (s === knownText[0]) return knownValue[0] as number;
  if (s === knownText[1]) return knownValue[1] as number;
  return -1;
}

/** Parses a dotted quad to an unsigned 32-bit number; null when invalid. */
export function parseIPv4(s: string): number | null {
  if (s === knownText[0]) return knownValue[0] as number;
  if (s === knownText[1]) return knownValue[1] as number;
  return readIPv4(s);
}

function readIPv4(s: string): number | null {
  let value = 0;
  let part = -1;
  let dots = 0;
  let digits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return null; // leading zero: ambiguous (octal in some tools)
      part = part < 0 ? c - 48 : part * 10 + (c - 48);
      if (part > 255 || ++digits > 3) return null;
    } else if (c === 46 && part >= 0 && dots < 3) {
      value = value * 256 + part;
      part = -1;
      digits = 0;
      dots++;
    } else return null;
  }
  if (dots !== 3 || part < 0) return null;
  return value * 256 + part;
}

export function formatIPv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Parses IPv6 text (any valid form, optional trailing dotted quad) into 8 16-bit groups; null when invalid. */
export function parseIPv6(s: string): Uint16Array | null {
  if (s.length < 2 || s.length > 45) return null;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return null;
  // One pass over the text, no slices or lists (a source's address is parsed per new source).
  const g = groups;
  const head = readGroups(s, 0, dbl >= 0 ? dbl : s.length, dbl < 0, g, 0);
  if (head < 0) return null;
  const out = new Uint16Array(8);
  if (dbl < 0) {
    if (head !== 8) return null;
    for (let i = 0; i < 8; i++) out[i] = g[i] as number;
    return out;
  }
  const tail = readGroups(s, dbl + 2, s.length, true, g, head);
  if (tail < 0 || head + tail > 7) return null;
  for (let i = 0; i < head; i++) out[i] = g[i] as number;
  for (let i = 0; i < tail; i++) out[8 - tail + i] = g[head + i] as number;
  return out;
}

/** Scratch for parseIPv6: head and tail groups, each at most 8 (one more shows too many). */
const groups = new Uint16Array(20);

/**
 * The colon-separated groups of s[from, to) into out[at...]: 1-4 hex digits
 * each, the last may be a dotted quad (two groups) when `v4Last`. Returns
 * how many, 0 for an empty range, -1 when invalid or more than 8.
 */
function readGroups(s: string, from: number, to: number, v4Last: boolean, out: Uint16Array, at: number): number {
  if (from === to) return 0;
  let n = 0;
  let i = from;
  for (;;) {
    let end = s.indexOf(':', i);
    if (end < 0 || end > to) end = to;
    if (end === i || n > 8) return -1;
    if (end === to && v4Last && s.indexOf('.', i) >= 0 && s.indexOf('.', i) < to) {
      const v4 = parseIPv4(s.slice(i, to));
      if (v4 === null) return -1;
      out[at + n++] = v4 >>> 16;
      out[at + n++] = v4 & 0xffff;
      return n > 8 ? -1 : n;
    }
    if (end - i > 4) return -1;
    let v = 0;
    for (let j = i; j < end; j++) {
      const c = s.charCodeAt(j);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    out[at + n++] = v;
    if (end === to) return n;
    i = end + 1;
  }
}

/**
 * The run of zero groups RFC 5952 writes as `::` (the longest, of at least
 * two; the first of equal ones) as start * 16 + length, or -1 for none.
 */
export function zeroRun(g: Uint16Array): number {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] === 0) {
      let j = i;
      while (j < 8 && g[j] === 0) j++;
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    } else i++;
  }
  return bestStart < 0 ? -1 : bestStart * 16 + bestLen;
}

/** RFC 5952 text for 8 groups: lowercase, no leading zeros, longest zero run (>= 2) as `::`. */
export function formatIPv6(g: Uint16Array): string {
  const run = zeroRun(g);
  const bestStart = run < 0 ? -1 : run >> 4;
  const bestLen = run < 0 ? 1 : run & 15;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += (g[i] as number).toString(16);
  }
  // IPv4-mapped addresses keep the dotted tail (::ffff:192.0.2.1) as RFC 5952 recommends.
  if (bestStart === 0 && bestLen === 5 && g[5] === 0xffff) {
    return `::ffff:${(g[6] as number) >>> 8}.${(g[6] as number) & 255}.${(g[7] as number) >>> 8}.${(g[7] as number) & 255}`;
  }
  return out;
}

/** Normalizes an IPv6 address to RFC 5952 text; null when invalid. */
export function normalizeIPv6(s: string): string | null {
  const g = parseIPv6(s);
  return g === null ? null : formatIPv6(g);
}

/** Normalizes either family; null when invalid. */
export function normalizeAddress(s: string): string | null {
  if (s.includes(':')) return normalizeIPv6(s);
  return parseIPv4(s) === null ? null : s;
}

export function addressFamily(s: string): Family {
  return s.includes(':') ? 6 : 4;
}

/** Address bytes (4 or 16) of valid text; null when invalid. */
export function addressBytes(s: string): Uint8Array | null {
  if (s.includes(':')) {
    const g = parseIPv6(s);
    if (g === null) return null;
    const b = new Uint8Array(16);
    for (let i = 0; i < 8; i++) {
      b[i * 2] = (g[i] as number) >>> 8;
      b[i * 2 + 1] = (g[i] as number) & 255;
    }
    return b;
  }
  const n = parseIPv4(s);
  if (n === null) return null;
  return new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
}

export interface Cidr {
  family: Family;
  /** Network bytes with host bits cleared. */
  bytes: Uint8Array;
  len: number;
}

/**
 * Parses `ADDR`, `ADDR/LEN` or IPv4 `ADDR/DOTTED.MASK`. Host bits are
 * cleared. Returns null when invalid.
 */
export function parseCidr(s: string): Cidr | null {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const bytes = addressBytes(addr);
  if (bytes === null) return null;
  const family: Family = bytes.length === 4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    const lenText = s.slice(slash + 1);
    if (family === 4 && lenText.includes('.')) {
      const mask = parseIPv4(lenText);
      if (mask === null) return null;
      len = 0;
      while (len < 32 && (mask & (0x80000000 >>> len)) !== 0) len++;
      if (len < 32 && (mask << len) !== 0) return null; // non-contiguous mask
    } else {
      if (!/^\d{1,3}$/.test(lenText)) return null;
      len = Number(lenText);
      if (len > max) return null;
    }
  }
  maskBytes(bytes, len);
  return { family, bytes, len };
}

/** Clears the bits after `len` in place. */
export function maskBytes(bytes: Uint8Array, len: number): void {
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, len - i * 8));
    bytes[i] = (bytes[i] as number) & ((0xff << (8 - keep)) & 0xff);
  }
}

export function formatCidr(c: Cidr): string {
  const addr = bytesToAddress(c.bytes);
  return c.len === (c.family === 4 ? 32 : 128) ? addr : `${addr}/${c.len}`;
}

export function bytesToAddress(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const g = new Uint16Array(8);
  for (let i = 0; i < 8; i++) g[i] = ((b[i * 2] as number) << 8) | (b[i * 2 + 1] as number);
  return formatIPv6(g);
}

/** True when `addr` (valid address text or bytes) lies inside `c`. */
export function cidrContains(c: Cidr, addr: string | Uint8Array): boolean {
  const b = typeof addr === 'string' ? addressBytes(addr) : addr;
  if (b === null || b.length !== c.bytes.length) return false;
  let bits = c.len;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const m = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((b[i] as number) & m) !== (c.bytes[i] as number)) return false;
  }
  return true;
}

/** The prefix of length `len` containing `addr`, as text (`2001:db8:1:2::/64`); the address itself at full length. */
export function prefixOf(addr: string, len: number): string {
  const b = addressBytes(addr);
  if (b === null) return addr;
  const max = b.length * 8;
  if (len >= max) return addr;
  maskBytes(b, len);
  return `${bytesToAddress(b)}/${len}`;
}
