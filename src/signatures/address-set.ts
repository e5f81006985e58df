/**
 * Address fields of rule headers (`any`, addresses, CIDRs, dotted masks,
 * IPv6, lists, `!`, `$VARS`) compiled to numeric prefix tests, and a scratch
 * decoder that reads a packet address without allocating.
 */
import { parseCidr } from '../net/address.js';
import { expandList } from './list-syntax.js';
import { RuleError } from './rule-error.js';
import type { VarTable } from './vars.js';

interface Prefix6 {
  readonly groups: Uint16Array;
  readonly len: number;
}

export interface AddressSet {
  /** Written form (for explanations). */
  readonly text: string;
  /** No positive item: everything not excluded matches. */
  readonly allPos: boolean;
  /** A negated `any`: nothing matches. */
  readonly none: boolean;
  /** Flat [net, mask, net, mask, ...] of IPv4 prefixes (unsigned). */
  readonly pos4: readonly number[];
  readonly neg4: readonly number[];
  readonly pos6: readonly Prefix6[];
  readonly neg6: readonly Prefix6[];
}

export const ANY_ADDRESS: AddressSet = { text: 'any', allPos: true, none: false, pos4: [], neg4: [], pos6: [], neg6: [] };

/** Compiles an address field; throws RuleError naming the bad item. */
export function parseAddressSet(text: string, vars: VarTable, what: string): AddressSet {
  const pos4: number[] = [];
  const neg4: number[] = [];
  const pos6: Prefix6[] = [];
  const neg6: Prefix6[] = [];
  let anyPos = false;
  let none = false;
  for (const item of expandList(text, vars, what)) {
    if (item.text === 'any' || item.text === 'NOT_USED') {
      if (item.neg) none = true;
      else anyPos = true;
      continue;
    }
    const c = parseCidr(item.text);
    if (c === null) throw new RuleError(`${what}: "${item.text}" is not an address or network`);
    if (c.family === 4) {
      const b = c.bytes;
      const net = (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>> 0;
      const mask = c.len === 0 ? 0 : (0xffffffff << (32 - c.len)) >>> 0;
      (item.neg ? neg4 : pos4).push(net, mask);
    } else {
      const g = new Uint16Array(8);
      for (let i = 0; i < 8; i++) g[i] = ((c.bytes[i * 2] as number) << 8) | (c.bytes[i * 2 + 1] as number);
      (item.neg ? neg6 : pos6).push({ groups: g, len: c.len });
    }
  }
  const allPos = anyPos || (pos4.length === 0 && pos6.length === 0);
  return { text, allPos, none, pos4: allPos ? [] : pos4, neg4, pos6: allPos ? [] : pos6, neg6 };
}

/** A packet address decoded into reusable storage. */
export class ScratchAddress {
  family: 0 | 4 | 6 = 0;
  v4 = 0;
  readonly v6 = new Uint16Array(8);

  /** Decodes normalized address text of the given family; family 0 when it is not an address. */
  load(s: string, family: 4 | 6): void {
    this.family = family === 6 ? (loadV6(s, this.v6) ? 6 : 0) : loadV4(s, this) ? 4 : 0;
  }
}

function loadV4(s: string, out: ScratchAddress): boolean {
  const v = parseV4At(s, 0, s.length);
  if (v < 0) return false;
  out.v4 = v;
  return true;
}

/** Dotted quad in s[from, to) as unsigned number, -1 when invalid. */
function parseV4At(s: string, from: number, to: number): number {
  let value = 0;
  let part = -1;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part < 0 ? c - 48 : part * 10 + c - 48;
      if (part > 255) return -1;
    } else if (c === 46 && part >= 0 && dots < 3) {
      value = value * 256 + part;
      part = -1;
      dots++;
    } else return -1;
  }
  return dots === 3 && part >= 0 ? value * 256 + part : -1;
}

/** IPv6 text into 8 groups without allocating; false when invalid. */
function loadV6(s: string, g: Uint16Array): boolean {
  g.fill(0);
  let n = 0; // groups written
  let gap = -1; // group index where '::' sits
  let i = 0;
  const len = s.length;
  if (len >= 2 && s.charCodeAt(0) === 58 && s.charCodeAt(1) === 58) {
    gap = 0;
    i = 2;
  }
  while (i < len) {
    let j = i;
    let v = 0;
    let dot = false;
    for (; j < len; j++) {
      const c = s.charCodeAt(j);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : c === 46 ? -2 : -1;
      if (d === -2) dot = true;
      if (d === -1) break;
      if (d >= 0) v = v * 16 + d;
    }
    if (dot) {
      const v4 = parseV4At(s, i, len);
      if (v4 < 0 || n > 6) return false;
      g[n++] = v4 >>> 16;
      g[n++] = v4 & 0xffff;
      i = len;
      break;
    }
    if (j === i || j - i > 4 || n >= 8) return false;
    g[n++] = v;
    if (j === len) break;
    if (s.charCodeAt(j) !== 58) return false;
    if (j + 1 < len && s.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false;
      gap = n;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === len) return false;
    }
  }
  if (gap < 0) return n === 8;
  if (n > 7) return false;
  // Move the groups after the gap to the end.
  const tail = n - gap;
  for (let k = 0; k < tail; k++) {
    g[7 - k] = g[n - 1 - k] as number;
    g[n - 1 - k] = 0;
  }
  for (let k = gap; k < 8 - tail; k++) g[k] = 0;
  return true;
}

function in4(list: readonly number[], v: number): boolean {
  for (let i = 0; i < list.length; i += 2) {
    if (((v & (list[i + 1] as number)) >>> 0) === list[i]) return true;
  }
  return false;
}

function in6(list: readonly Prefix6[], g: Uint16Array): boolean {
  for (let k = 0; k < list.length; k++) {
    const p = list[k] as Prefix6;
    let bits = p.len;
    let ok = true;
    for (let i = 0; bits > 0; i++, bits -= 16) {
      const m = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
      if (((g[i] as number) & m) !== p.groups[i]) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

/** True when the set matches every address. */
export function isAnyAddress(s: AddressSet): boolean {
  return s.allPos && !s.none && s.neg4.length === 0 && s.neg6.length === 0;
}

/** True when the decoded address lies in the set. */
export function addressIn(set: AddressSet, a: ScratchAddress): boolean {
  if (set.none) return false;
  if (a.family === 4) {
    if (set.neg4.length > 0 && in4(set.neg4, a.v4)) return false;
    return set.allPos || in4(set.pos4, a.v4);
  }
  if (a.family === 6) {
    if (set.neg6.length > 0 && in6(set.neg6, a.v6)) return false;
    return set.allPos || in6(set.pos6, a.v6);
  }
  return set.allPos && set.neg4.length === 0 && set.neg6.length === 0;
}
