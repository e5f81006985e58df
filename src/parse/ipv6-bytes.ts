/**
 * IPv6 addresses as ip6tables writes them (every group in full:
 * `2001:0db8:0000:0000:0000:0000:0000:0002`), read from the line's bytes and
 * written in RFC 5952 form as one flat string: no text of the token, no
 * group list and no string per group on the way (a flood of spoofed IPv6
 * sources makes one such address per line). Any other form goes through
 * net/address.ts's normalizeIPv6, whose output this matches exactly.
 */
import { Buffer } from 'node:buffer';
import { formatIPv6, zeroRun } from '../net/address.js';

/** Length of the full form: eight groups of four hex digits and seven colons. */
export const FULL_IPV6 = 39;

const groups = new Uint16Array(8);
/** The longest RFC 5952 text: eight four-digit groups and seven colons. */
const out = Buffer.alloc(FULL_IPV6);
const HEX = '0123456789abcdef';

/** A hex digit's value, -1 for anything else. */
function hexDigit(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
}

/**
 * The normalized text of the full-form address b[from, from + 39), or null
 * when those bytes are not exactly eight four-digit hex groups joined by
 * colons (the caller then uses the general parser).
 */
export function fullIPv6(b: Uint8Array, from: number): string | null {
  for (let g = 0; g < 8; g++) {
    const k = from + g * 5;
    if (g > 0 && b[k - 1] !== 58) return null;
    const d0 = hexDigit(b[k] as number);
    const d1 = hexDigit(b[k + 1] as number);
    const d2 = hexDigit(b[k + 2] as number);
    const d3 = hexDigit(b[k + 3] as number);
    if ((d0 | d1 | d2 | d3) < 0) return null;
    groups[g] = (d0 << 12) | (d1 << 8) | (d2 << 4) | d3;
  }
  return formatGroups(groups);
}

/**
 * The normalized text of an address written in hex groups and colons with
 * at most one `::` (a compressed form: `2a04:958:ef34:2::ea22`), read from
 * b[from, to); null for any other token, including every form parseIPv6
 * refuses and the dotted-tail form it takes (the caller then uses the
 * general parser). One pass over the bytes, no string of the token.
 */
export function compressedIPv6(b: Uint8Array, from: number, to: number): string | null {
  if (to - from < 2 || to - from > FULL_IPV6) return null;
  let n = 0;
  let gap = -1; // where `::` stands: the number of groups before it
  let v = 0;
  let digits = 0;
  let i = from;
  if (b[i] === 58) {
    if (b[i + 1] !== 58) return null;
    gap = 0;
    i += 2;
  }
  if (i < to) {
    for (;; i++) {
      const c = i < to ? (b[i] as number) : 58; // the end closes the last group
      if (c === 58) {
        if (digits === 0 || n === 8) return null;
        groups[n++] = v;
        v = 0;
        digits = 0;
        if (i >= to) break;
        if (i + 1 < to && b[i + 1] === 58) {
          if (gap >= 0) return null;
          gap = n;
          if (++i + 1 === to) break;
        }
        continue;
      }
      const d = hexDigit(c);
      if (d < 0 || ++digits > 4) return null;
      v = v * 16 + d;
    }
  }
  if (gap < 0) return n === 8 ? formatGroups(groups) : null;
  if (n > 7) return null;
  // The groups after `::` move to the end; the ones it stands for are zero.
  const tail = n - gap;
  for (let k = 0; k < tail; k++) groups[7 - k] = groups[n - 1 - k] as number;
  for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  return formatGroups(groups);
}

/** formatIPv6(g) written into one buffer and decoded once. */
function formatGroups(g: Uint16Array): string {
  const run = zeroRun(g);
  const bestStart = run < 0 ? -1 : run >> 4;
  const bestLen = run < 0 ? 1 : run & 15;
  // IPv4-mapped addresses keep their dotted tail: rare, left to the general formatter.
  if (bestStart === 0 && bestLen === 5 && g[5] === 0xffff) return formatIPv6(g);
  let n = 0;
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out[n++] = 58;
      out[n++] = 58;
      i += bestLen - 1;
      continue;
    }
    if (n > 0 && out[n - 1] !== 58) out[n++] = 58;
    const v = g[i] as number;
    if (v >= 0x1000) out[n++] = HEX.charCodeAt(v >>> 12);
    if (v >= 0x100) out[n++] = HEX.charCodeAt((v >>> 8) & 15);
    if (v >= 0x10) out[n++] = HEX.charCodeAt((v >>> 4) & 15);
    out[n++] = HEX.charCodeAt(v & 15);
  }
  return out.latin1Slice(0, n);
}
