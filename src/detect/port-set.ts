/**
 * A set of ports (0-65535) that costs little for the common cases: one
 * range inline (a port, or a contiguous scan such as 1-1024: min to max), a
 * sorted list of ranges for a handful of ports, and an 8 KiB bitmap once the
 * ranges get fragmented. Memory per set is bounded by the bitmap.
 */

export const MAX_RANGES = 128;
/** Ranges the array made for a second range has room for. */
const FIRST_SLOTS = 4;
/** 32-bit words of the bitmap. */
export const PORT_WORDS = 2048;

/**
 * The contents of a PortSet in its current form (state/proto-codec.ts saves and
 * restores it): null when empty, one port, sorted disjoint [lo, hi] pairs
 * (2 * n values), or the bitmap.
 */
export type PortSetSnapshot = null | { port: number } | { ranges: Uint16Array } | { bits: Int32Array };

export class PortSet {
  count = 0;
  /** The lowest port in the high 16 bits, the highest in the low 16 (one field for two: every protocol record has a set). */
  #mm = 0;
  /**
   * Sorted ranges while ranges are used (a plain array, one element a range:
   * lo in the high 16 bits, hi in the low 16, an int32 small integer, half
   * the memory of a pair and of the garbage copies leave), the bitmap
   * (an Int32Array), or null with one port: one field for both, as every
   * protocol of every source has one. #nRanges tells which: the ranges in
   * use (1 or more), -1 for the bitmap, 0 for neither (the set is then
   * the one range min-max: a sequential scan's next port touches no array).
   */
  #store: number[] | Int32Array | null = null;
  #nRanges = 0;

  get #ranges(): number[] | null {
    return this.#nRanges > 0 ? (this.#store as number[]) : null;
  }

  get #bits(): Int32Array | null {
    return this.#nRanges < 0 ? (this.#store as Int32Array) : null;
  }

  /** Lowest port, -1 when empty. */
  get min(): number {
    return this.count === 0 ? -1 : this.#mm >>> 16;
  }

  set min(v: number) {
    this.#mm = ((v & 0xffff) << 16) | (this.#mm & 0xffff);
  }

  /** Highest port, -1 when empty. */
  get max(): number {
    return this.count === 0 ? -1 : this.#mm & 0xffff;
  }

  set max(v: number) {
    this.#mm = (this.#mm & ~0xffff) | (v & 0xffff);
  }

  /** Adds a port; true when it was not in the set. */
  add(port: number): boolean {
    if (this.count === 0) {
      this.count = 1;
      this.min = this.max = port;
      return true;
    }
    if (this.#store === null) {
      const lo = this.min;
      const hi = this.max;
      if (port >= lo && port <= hi) return false;
      if (port === hi + 1) this.max = port;
      else if (port === lo - 1) this.min = port;
      else {
        // A second range: a plain array of small integers (a Uint16Array of 8 cost an ArrayBuffer and a view, ~200 bytes; tens of thousands of sources have one).
        // Room for four ranges: most sets that get a second get a third (67k of 81k in the mixed bench log), and a
        // two-range array copied then was garbage promoted to the old generation (~5 MB there).
        const r = new Array<number>(FIRST_SLOTS).fill(0);
        if (port < lo) {
          r[0] = range(port, port);
          r[1] = range(lo, hi);
          this.min = port;
        } else {
          r[0] = range(lo, hi);
          r[1] = range(port, port);
          this.max = port;
        }
        this.#store = r;
        this.#nRanges = 2;
      }
      this.count++;
      return true;
    }
    const added = this.#bits !== null ? this.#addBit(port) : this.#addRange(port);
    if (added) {
      this.count++;
      if (port < this.min) this.min = port;
      if (port > this.max) this.max = port;
    }
    return added;
  }

  /** A copy of the contents, in the form they are kept in. */
  portSnapshot(): PortSetSnapshot {
    if (this.count === 0) return null;
    if (this.#bits !== null) return { bits: this.#bits.slice() };
    const r = this.#ranges;
    if (r !== null) {
      const out = new Uint16Array(this.#nRanges * 2);
      for (let i = 0; i < this.#nRanges; i++) {
        out[i * 2] = r[i]! >>> 16;
        out[i * 2 + 1] = r[i]! & 0xffff;
      }
      return { ranges: out };
    }
    return this.count === 1 ? { port: this.min } : { ranges: Uint16Array.of(this.min, this.max) };
  }

  /** Replaces the contents (taken over; the caller has checked that ranges are sorted and disjoint). */
  restorePorts(snap: PortSetSnapshot): void {
    this.#store = null;
    this.#nRanges = 0;
    this.count = 0;
    this.min = this.max = -1;
    if (snap === null) return;
    if ('port' in snap) {
      this.count = 1;
      this.min = this.max = snap.port;
    } else if ('ranges' in snap) this.#restoreRanges(snap.ranges);
    else this.#restoreBits(snap.bits);
  }

  #restoreRanges(r: Uint16Array): void {
    const n = r.length >>> 1;
    const ranges = new Array<number>(n);
    for (let i = 0; i < n; i++) ranges[i] = range(r[i * 2]!, r[i * 2 + 1]!);
    this.#store = n > 0 ? ranges : null;
    this.#nRanges = n;
    for (let i = 0; i < n; i++) this.count += r[i * 2 + 1]! - r[i * 2]! + 1;
    this.min = r[0]!;
    this.max = r[n * 2 - 1]!;
  }

  #restoreBits(bits: Int32Array): void {
    this.#store = bits;
    this.#nRanges = -1;
    for (let w = 0; w < bits.length; w++) {
      let word = bits[w]!;
      if (word === 0) continue;
      if (this.count === 0) this.min = w * 32 + (31 - Math.clz32(word & -word));
      this.max = w * 32 + (31 - Math.clz32(word));
      for (; word !== 0; word &= word - 1) this.count++;
    }
  }

  has(port: number): boolean {
    if (this.count === 0) return false;
    if (this.#bits !== null) return (this.#bits[port >>> 5]! & (1 << (port & 31))) !== 0;
    if (this.#ranges === null) return port >= this.min && port <= this.max;
    const i = this.#find(port);
    return i < this.#nRanges && this.#ranges[i]! >>> 16 <= port;
  }

  /** Compact text such as "22,80,1000-1500"; at most `limit` items, then "...". */
  toString(limit = 64): string {
    if (this.count === 0) return '';
    const parts: string[] = [];
    const push = (lo: number, hi: number): void => {
      parts.push(lo === hi ? String(lo) : `${lo}-${hi}`);
    };
    if (this.#bits === null) {
      // Walk the stored ranges (never every port between min and max: a source
      // probing 22 and 8443 would cost thousands of lookups).
      if (this.#ranges === null) {
        push(this.min, this.max);
        return parts.join(',');
      }
      const r = this.#ranges;
      for (let i = 0; i < this.#nRanges && parts.length <= limit; i++) push(r[i]! >>> 16, r[i]! & 0xffff);
    } else {
      // Bitmap: visit set bits only, a 32-port word at a time.
      const bits = this.#bits;
      let lo = -1;
      let prev = -2;
      for (let w = this.min >>> 5; w <= this.max >>> 5 && parts.length <= limit; w++) {
        let word = bits[w]!;
        while (word !== 0) {
          const p = w * 32 + (31 - Math.clz32(word & -word));
          word &= word - 1;
          if (p !== prev + 1) {
            if (lo >= 0) push(lo, prev);
            lo = p;
          }
          prev = p;
        }
      }
      if (lo >= 0) push(lo, prev);
    }
    return parts.length > limit ? `${parts.slice(0, limit).join(',')},...` : parts.join(',');
  }

  /** Index of the first range whose hi >= port. */
  #find(port: number): number {
    const r = this.#ranges as number[];
    let lo = 0;
    let hi = this.#nRanges;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((r[mid]! & 0xffff) < port) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #addRange(port: number): boolean {
    let r = this.#ranges as number[];
    const i = this.#find(port);
    if (i < this.#nRanges && r[i]! >>> 16 <= port) return false;
    const joinsPrev = i > 0 && (r[i - 1]! & 0xffff) === port - 1;
    const joinsNext = i < this.#nRanges && r[i]! >>> 16 === port + 1;
    if (joinsPrev && joinsNext) {
      r[i - 1] = (r[i - 1]! & ~0xffff) | (r[i]! & 0xffff);
      // Plain loops: Array.prototype.copyWithin on a plain array is a slow generic builtin.
      const end = this.#nRanges - 1;
      for (let j = i; j < end; j++) r[j] = r[j + 1]!;
      this.#nRanges--;
    } else if (joinsPrev) r[i - 1] = (r[i - 1]! & ~0xffff) | port;
    else if (joinsNext) r[i] = range(port, r[i]! & 0xffff);
    else {
      if (this.#nRanges === MAX_RANGES) return this.#toBitmap(port);
      if (this.#nRanges + 1 > r.length) {
        const bigger = new Array<number>(r.length * 2).fill(0);
        for (let j = 0; j < r.length; j++) bigger[j] = r[j] as number;
        this.#store = r = bigger;
      }
      for (let j = this.#nRanges - 1; j >= i; j--) r[j + 1] = r[j]!;
      r[i] = range(port, port);
      this.#nRanges++;
    }
    return true;
  }

  #toBitmap(port: number): boolean {
    const bits = new Int32Array(PORT_WORDS);
    const r = this.#ranges as number[];
    for (let i = 0; i < this.#nRanges; i++) for (let p = r[i]! >>> 16; p <= (r[i]! & 0xffff); p++) bits[p >>> 5] = bits[p >>> 5]! | (1 << (p & 31));
    this.#store = bits;
    this.#nRanges = -1;
    return this.#addBit(port);
  }

  #addBit(port: number): boolean {
    const bits = this.#bits as Int32Array;
    const w = port >>> 5;
    const m = 1 << (port & 31);
    if ((bits[w]! & m) !== 0) return false;
    bits[w] = bits[w]! | m;
    return true;
  }
}

/** One range as an array element: lo in the high 16 bits, hi in the low 16 (an int32, so a small integer for V8). */
function range(lo: number, hi: number): number {
  return (lo << 16) | hi;
}
