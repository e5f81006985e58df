/**
 * The tracking key of a source address: the address itself, or its network
 * when IPV4_AGGREGATE_PREFIX / IPV6_AGGREGATE_PREFIX is shorter than the
 * address (default: IPv4 per address, IPv6 per /64, since one host owns a
 * /64 and can hop inside it). Prefix keys are cached per address; the cache
 * is cleared when full so an address-hopping flood cannot grow it.
 * Link-local (fe80::/10) and unique local (fc00::/7) IPv6 sources are always
 * keyed per address: every host on a LAN shares one such /64, so merging it
 * would make one "source" of the whole LAN.
 */
import { addressScope, Scope } from '../net/address-scope.js';
import { prefixOf } from '../net/address.js';

const CACHE_MAX = 65536;

export class SourceKeys {
  readonly #cache = new Map<string, string>();

  constructor(readonly v4Len: number, readonly v6Len: number) {}

  /** True when sources of this family are grouped by prefix. */
  aggregated(family: 4 | 6): boolean {
    return family === 4 ? this.v4Len < 32 : this.v6Len < 128;
  }

  keyOf(addr: string, family: 4 | 6): string {
    if (!this.aggregated(family)) return addr;
    if (family === 6) {
      const scope = addressScope(addr, 6);
      if (scope === Scope.LinkLocal || scope === Scope.UniqueLocal) return addr;
    }
    // The default /64 directly (a flood of distinct addresses would only churn the cache); other forms and lengths below.
    let k = this.v6Len === 64 && family === 6 ? prefix64(addr) : null;
    if (k !== null) return k;
    k = this.#cache.get(addr) ?? null;
    if (k === null) {
      // One flat string: the prefix text is built of joined pieces, which would each stay allocated for as long as the source is tracked.
      k = Buffer.from(prefixOf(addr, family === 4 ? this.v4Len : this.v6Len), 'latin1').toString('latin1');
      if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
      this.#cache.set(addr, k);
    }
    return k;
  }
}

const groups = new Uint16Array(8);
const tail = new Uint16Array(8);
/** Where prefix64() writes its text: one flat string read out of it, no joined pieces kept. */
const text = Buffer.alloc(64);
const HEX = '0123456789abcdef';

/**
 * The /64 prefix of an IPv6 address written in hex groups and colons (one
 * '::' at most), as prefixOf(addr, 64) writes it (RFC 5952: lowercase,
 * groups without leading zeros, the zero groups from the last non-zero one
 * of the first four on as '::'); null for any other form (dotted tails,
 * zones, what does not parse), which prefixOf() then decides.
 */
export function prefix64(addr: string): string | null {
  const len = addr.length;
  if (len < 2 || len > 39) return null;
  const dbl = addr.indexOf('::');
  let head: number;
  let t = 0;
  if (dbl < 0) {
    head = groupsIn(addr, 0, len, groups);
    if (head !== 8) return null;
  } else {
    if (addr.indexOf('::', dbl + 1) >= 0) return null;
    head = groupsIn(addr, 0, dbl, groups);
    t = groupsIn(addr, dbl + 2, len, tail);
    if (head < 0 || t < 0 || head + t > 7) return null;
  }
  let last = -1;
  for (let k = 0; k < 4; k++) {
    const v = k < head ? (groups[k] as number) : k >= 8 - t ? (tail[k - (8 - t)] as number) : 0;
    groups[k] = v;
    if (v !== 0) last = k;
  }
  let n = 0;
  for (let k = 0; k <= last; k++) {
    const v = groups[k] as number;
    if (k > 0) text[n++] = 58;
    let started = false;
    for (let shift = 12; shift >= 0; shift -= 4) {
      const d = (v >>> shift) & 15;
      if (d === 0 && !started && shift > 0) continue;
      started = true;
      text[n++] = HEX.charCodeAt(d);
    }
  }
  n += text.write('::/64', n, 'latin1');
  return text.toString('latin1', 0, n);
}

/** Parses colon-separated hex groups of s[from, to) into out; their count, -1 when malformed (an empty range has none). */
function groupsIn(s: string, from: number, to: number, out: Uint16Array): number {
  if (from === to) return 0;
  let at = 0;
  let v = 0;
  let digits = 0;
  for (let i = from; i <= to; i++) {
    const c = i === to ? 58 : s.charCodeAt(i);
    if (c === 58) {
      if (digits === 0 || at >= 8) return -1;
      out[at++] = v;
      v = 0;
      digits = 0;
      continue;
    }
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0 || ++digits > 4) return -1;
    v = v * 16 + d;
  }
  return at;
}
