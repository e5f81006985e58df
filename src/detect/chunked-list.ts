/**
 * An append-only list of up to millions of entries kept in fixed chunks.
 * An array grown by push() copies itself (to 1.5 times its length) as it
 * grows: for a million entries some 24 MB of large-object arrays, each
 * new one fresh memory (a page fault per 4 KiB, about 13 us each on the
 * bench VM) and each dropped one garbage. Chunks are made once and never
 * copied.
 */
const BITS = 14;
const SIZE = 1 << BITS;
const MASK = SIZE - 1;

export class ChunkedList<T> {
  #chunks: T[][] = [];
  #last: T[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Entry i (0 <= i < length). */
  at(i: number): T {
    return (this.#chunks[i >>> BITS] as T[])[i & MASK] as T;
  }

  set(i: number, v: T): void {
    (this.#chunks[i >>> BITS] as T[])[i & MASK] = v;
  }

  push(v: T): void {
    const k = this.#length & MASK;
    if (k === 0) this.#chunks.push((this.#last = new Array<T>(SIZE)));
    this.#last[k] = v;
    this.#length++;
  }

  /** The entries as one array. */
  toArray(): T[] {
    const out = new Array<T>(this.#length);
    for (let i = 0; i < out.length; i++) out[i] = this.at(i);
    return out;
  }
}
