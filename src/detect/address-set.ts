/**
 * A set of source addresses in insertion order, for the sources of a
 * signature (global-counters.ts). A Set of address strings cost about a
 * microsecond and 40 bytes per address (a million sources matching a rule
 * was a second of CPU); dotted quads are kept here as int32 numbers in an
 * open-addressing table (8 bytes each at most half full) and in a list in
 * insertion order, other addresses (IPv6) in a Set and a list.
 */
import { formatIPv4, parseIPv4 } from '../net/address.js';

export class AddressSet {
  /**
   * IPv4 addresses in insertion order as int32 values, in a typed array
   * grown by doubling (4 bytes an address outside the heap: an array of
   * numbers took 8 in the heap, and its copies as it grew were garbage).
   */
  #v4Order = new Int32Array(16);
  #v4Count = 0;
  /** Other addresses (IPv6) in insertion order, and where each stands in the whole order. */
  readonly #others: string[] = [];
  readonly #othersAt: number[] = [];
  /** IPv4 table of uint32 values; 0 marks an empty slot, so 0.0.0.0 is kept apart in #zero. */
  #v4 = new Uint32Array(0);
  #v4n = 0;
  #zero = false;
  readonly #other = new Set<string>();

  get size(): number {
    return this.#v4Count + this.#others.length;
  }

  /** Adds an address (text as the log or saved state gave it); true when new. */
  add(addr: string): boolean {
    // parseIPv4 takes only canonical dotted quads (no leading zeros), so each reads back exactly as added.
    const n = addr.length <= 15 ? parseIPv4(addr) : null;
    if (n !== null) return this.#addV4(n);
    if (this.#other.has(addr)) return false;
    this.#other.add(addr);
    this.#othersAt.push(this.size);
    this.#others.push(addr);
    return true;
  }

  /** The addresses as text, in insertion order. */
  values(): string[] {
    const out = new Array<string>(this.size);
    const at = this.#othersAt;
    let v = 0;
    let o = 0;
    for (let i = 0; i < out.length; i++) {
      if (o < at.length && at[o] === i) out[i] = this.#others[o++] as string;
      else out[i] = formatIPv4((this.#v4Order[v++] as number) >>> 0);
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
    let order = this.#v4Order;
    if (this.#v4Count === order.length) {
      order = new Int32Array(order.length * 2);
      order.set(this.#v4Order);
      this.#v4Order = order;
    }
    order[this.#v4Count++] = n | 0;
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
