/**
 * A set of source addresses in insertion order, for the sources of a
 * signature (global-counters.ts). A Set of address strings cost about a
 * microsecond and 40 bytes per address (a million sources matching a rule
 * was a second of CPU); dotted quads are kept here as int32 numbers in an
 * open-addressing table (8 bytes each at most half full) and other addresses
 * (IPv6) in a Set.
 */
import { formatIPv4, parseIPv4 } from '../net/address.js';

export class AddressSet {
  /** Every address in insertion order: an IPv4 address as its int32 value, others as text. */
  readonly #order: Array<number | string> = [];
  /** IPv4 table of uint32 values; 0 marks an empty slot, so 0.0.0.0 is kept apart in #zero. */
  #v4 = new Uint32Array(0);
  #v4n = 0;
  #zero = false;
  readonly #other = new Set<string>();

  get size(): number {
    return this.#order.length;
  }

  /** Adds an address (text as the log or saved state gave it); true when new. */
  add(addr: string): boolean {
    // parseIPv4 takes only canonical dotted quads (no leading zeros), so each reads back exactly as added.
    const n = addr.length <= 15 ? parseIPv4(addr) : null;
    if (n !== null) return this.#addV4(n);
    if (this.#other.has(addr)) return false;
    this.#other.add(addr);
    this.#order.push(addr);
    return true;
  }

  /** The addresses as text, in insertion order. */
  values(): string[] {
    const out = new Array<string>(this.#order.length);
    for (let i = 0; i < out.length; i++) {
      const v = this.#order[i] as number | string;
      out[i] = typeof v === 'number' ? formatIPv4(v >>> 0) : v;
    }
    return out;
  }

  #addV4(n: number): boolean {
    if (n === 0) {
      if (this.#zero) return false;
      this.#zero = true;
    } else {
      if ((this.#v4n + 1) * 2 > this.#v4.length) this.#grow();
      const t = this.#v4;
      const mask = t.length - 1;
      let h = v4Hash(n) & mask;
      for (; t[h] !== 0; h = (h + 1) & mask) if (t[h] === n) return false;
      t[h] = n;
      this.#v4n++;
    }
    this.#order.push(n | 0);
    return true;
  }

  #grow(): void {
    const old = this.#v4;
    const t = new Uint32Array(Math.max(64, old.length * 2));
    const mask = t.length - 1;
    for (let i = 0; i < old.length; i++) {
      const v = old[i] as number;
      if (v === 0) continue;
      let h = v4Hash(v) & mask;
      while (t[h] !== 0) h = (h + 1) & mask;
      t[h] = v;
    }
    this.#v4 = t;
  }
}

/** Hash of an IPv4 address for open addressing (murmur3's finalizer: every bit of the address moves the low bits). */
export function v4Hash(v4: number): number {
  let h = v4 | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
