/** CIDR text handling for blocks: one canonical spelling per block, and overlap tests between prefixes. */
import { cidrContains, formatCidr, parseCidr, type Cidr } from '../../net/address.js';

export interface ParsedCidr {
  /** Canonical text: host bits cleared, IPv6 compressed, no `/32` or `/128` for single addresses. */
  text: string;
  cidr: Cidr;
}

/** Parses `ADDR` or `ADDR/LEN` into its canonical form; null when invalid. */
export function canonicalCidr(s: string): ParsedCidr | null {
  const c = parseCidr(s.trim());
  return c === null ? null : { text: formatCidr(c), cidr: c };
}

/** True when `outer` contains all of `inner` (equal prefixes included). */
export function covers(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.len <= inner.len && cidrContains(outer, inner.bytes);
}

/** Prefixes either nest or are disjoint, so they overlap exactly when one covers the other. */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return covers(a, b) || covers(b, a);
}

export function isSingleAddress(c: Cidr): boolean {
  return c.len === (c.family === 4 ? 32 : 128);
}

/** For an IPv4-mapped IPv6 prefix (`::ffff:a.b.c.d/len`, len >= 96), the IPv4 prefix it stands for. */
export function mappedIPv4(c: Cidr): Cidr | null {
  if (c.family !== 6 || c.len < 96) return null;
  for (let i = 0; i < 10; i++) if (c.bytes[i] !== 0) return null;
  if (c.bytes[10] !== 0xff || c.bytes[11] !== 0xff) return null;
  return { family: 4, bytes: c.bytes.slice(12), len: c.len - 96 };
}
