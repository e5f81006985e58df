/**
 * The tracked sources by key, in the order they were first seen (as a Map
 * keeps them: eviction and saved state walk that order).
 *
 * A Map keyed by address text costs a hash of a fresh string per packet and
 * about 80 bytes per entry; with a million sources both matter. Sources
 * keyed by a single IPv4 address (the common case) are found through an
 * open-addressing table of 32-bit integers instead (two Int32Arrays at most
 * half full), and other keys (IPv6, prefixes) through a Map. Both point into
 * one array in first-seen order; a deleted source leaves a hole there until
 * holes outnumber sources and the array is compacted.
 *
 * A source of one packet is kept packed (compact-sources.ts): its place in
 * the order holds the number of its row instead of an object. get() makes
 * it an object again for good (it is about to change); values() hands out
 * a fresh object for it each time, which is for reading (and remove()) only.
 */
import { v4Hash } from './address-set.js';
import { ChunkedList } from './chunked-list.js';
import { CompactSources, KEY, KEY_TEXT, MISC } from './compact-sources.js';
import { SourceState } from './source-state.js';

/** A free slot of the integer table (slots hold indexes into the order, 0 or more). */
const FREE = -1;
/** A place in the order: a source, a packed source's row number, or null where one was deleted. */
export type OrderEntry = SourceState | number | null;

export class SourceTable {
  /** Sources in first-seen order, null where one was deleted (chunks: a million entries are never copied). */
  #order = new ChunkedList<OrderEntry>();
  /** The packed sources' rows (a number in #order names one). */
  #packed = new CompactSources();
  /** SourceState.savedIn of a source unpacked by get() (the state snapshot being written, see ScanTracker.beginSnapshot). */
  stamp = 0;
  #holes = 0;
  /**
   * IPv4 keys, open addressing: cell h is [2h] the address as int32, [2h + 1]
   * the source's index in #order (FREE: an empty cell). Side by side, a probe
   * of a new address (a cache miss in a table of millions) costs one miss, not two.
   * An address's home cell is the top bits of its hash (#home), so that
   * doubling the table sends cell h to 2h or 2h + 1: #grow reads the old
   * cells and writes the new ones in order (low bits would scatter a
   * million writes over the new table, each a cache miss).
   */
  #cells = new Int32Array(2048).fill(FREE);
  /** 32 minus log2 of the number of cells: the hash shifted right by this many bits is a cell. */
  #shift = 32 - 10;
  #v4 = 0;
  /**
   * Where the last lookup of an absent IPv4 key (#missKey) stopped: the free
   * cell add() then fills without probing again (each probe of a new
   * address in a table of millions is a cache miss). -1 once cells change.
   */
  #missAt = -1;
  #missKey = 0;
  readonly #other = new Map<string, number>();

  /** Whether a key is a plain IPv4 address (kept in the integer table): its number, else -1. */
  static v4(key: string): number {
    return SourceState.v4(key);
  }

  get size(): number {
    return this.#order.length - this.#holes;
  }

  /** The source under `key`; `v4` is SourceTable.v4(key) when the caller has it. */
  get(key: string, v4 = SourceTable.v4(key)): SourceState | undefined {
    const i = v4 >= 0 ? this.#slotOf(v4) : this.#other.get(key) ?? -1;
    if (i < 0) return undefined;
    const s = this.#order.at(i) as SourceState | number;
    if (typeof s !== 'number') return s;
    const made = SourceState.unpack(this.#packed, s, this.stamp);
    this.#order.set(i, made);
    this.#packed.release(s);
    return made;
  }

  has(key: string): boolean {
    const v4 = SourceTable.v4(key);
    return (v4 >= 0 ? this.#slotOf(v4) : this.#other.get(key) ?? -1) >= 0;
  }

  /** Packs `s` when it is the source added last and fits a row (SourceState.packInto); whether it did. */
  pack(s: SourceState): boolean {
    const i = this.#order.length - 1;
    const c = this.#packed;
    const row = c.nextRow();
    if (i < 0 || this.#order.at(i) !== s || !s.packInto(c, row)) return false;
    c.take();
    this.#order.set(i, row);
    return true;
  }

  /** Adds a source whose key is not in the table. */
  add(s: SourceState, v4 = s.v4Key): void {
    if (this.#holes > 1024 && this.#holes > this.size) this.#compact();
    const i = this.#order.length;
    this.#order.push(s);
    if (v4 >= 0) this.#insert(v4, i);
    else this.#other.set(s.key, i);
  }

  delete(key: string): boolean {
    return this.#delete(key, SourceTable.v4(key));
  }

  /** Deletes a tracked source (without making its key's text). */
  remove(s: SourceState): boolean {
    const v4 = s.v4Key;
    return this.#delete(v4 >= 0 ? '' : s.key, v4);
  }

  #delete(key: string, v4: number): boolean {
    let i: number;
    if (v4 >= 0) i = this.#remove(v4);
    else {
      i = this.#other.get(key) ?? -1;
      if (i >= 0) this.#other.delete(key);
    }
    if (i < 0) return false;
    const s = this.#order.at(i);
    if (typeof s === 'number') this.#packed.release(s);
    this.#order.set(i, null);
    this.#holes++;
    return true;
  }

  /**
   * Sources in first-seen order; deleting the current one while iterating is
   * allowed. A packed source comes as a fresh object (to read, or remove());
   * with `minPeak` above 0 packed sources (all at level 0) are skipped unmade.
   */
  *values(minPeak = 0): IterableIterator<SourceState> {
    const order = this.#order;
    for (let i = 0; i < order.length; i++) {
      const s = order.at(i);
      if (typeof s === 'number') {
        if (minPeak <= 0) yield SourceState.unpack(this.#packed, s);
      } else if (s !== null && s !== undefined) yield s;
    }
  }

  /** Sources packed now (a row each rather than an object). */
  get packedCount(): number {
    return this.#packed.used;
  }

  /**
   * The sources in first-seen order as of now, for a state snapshot: a copy
   * of the references (null where one was deleted, a row number for a packed
   * one) and of the packed rows, which later packets do not change.
   */
  orderCopy(): { order: OrderEntry[]; packed: CompactSources } {
    return { order: this.#order.toArray(), packed: this.#packed.copy() };
  }

  /** The home cell of an IPv4 key (the top bits of its hash). */
  #home(v4: number): number {
    return v4Hash(v4) >>> this.#shift;
  }

  #slotOf(v4: number): number {
    const c = this.#cells;
    const mask = (c.length >>> 1) - 1;
    const want = v4 | 0;
    for (let h = this.#home(v4); ; h = (h + 1) & mask) {
      const i = c[2 * h + 1] as number;
      if (i === FREE) {
        this.#missAt = h;
        this.#missKey = want;
        return -1;
      }
      if (c[2 * h] === want) return i;
    }
  }

  #insert(v4: number, index: number): void {
    if ((this.#v4 + 1) * 4 > this.#cells.length) this.#grow();
    const c = this.#cells;
    const mask = (c.length >>> 1) - 1;
    let h: number;
    if (this.#missAt >= 0 && this.#missKey === (v4 | 0)) h = this.#missAt;
    else for (h = this.#home(v4); c[2 * h + 1] !== FREE; h = (h + 1) & mask);
    this.#missAt = -1;
    c[2 * h] = v4 | 0;
    c[2 * h + 1] = index;
    this.#v4++;
  }

  /** Removes an IPv4 key (backward-shift deletion keeps probe runs unbroken); returns its index or -1. */
  #remove(v4: number): number {
    this.#missAt = -1;
    const c = this.#cells;
    const mask = (c.length >>> 1) - 1;
    const want = v4 | 0;
    let h = this.#home(v4);
    while (c[2 * h] !== want || c[2 * h + 1] === FREE) {
      if (c[2 * h + 1] === FREE) return -1;
      h = (h + 1) & mask;
    }
    const index = c[2 * h + 1] as number;
    let hole = h;
    for (let j = (h + 1) & mask; c[2 * j + 1] !== FREE; j = (j + 1) & mask) {
      const home = this.#home(c[2 * j] as number);
      // Move j into the hole unless its home lies cyclically in (hole, j].
      if ((j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j)) {
        c[2 * hole] = c[2 * j] as number;
        c[2 * hole + 1] = c[2 * j + 1] as number;
        hole = j;
      }
    }
    c[2 * hole + 1] = FREE;
    this.#v4--;
    return index;
  }

  #grow(): void {
    this.#missAt = -1;
    const old = this.#cells;
    this.#cells = new Int32Array(old.length * 2).fill(FREE);
    this.#shift--;
    this.#v4 = 0;
    for (let h = 0; h < old.length; h += 2) {
      const i = old[h + 1] as number;
      if (i !== FREE) this.#insert(old[h] as number, i);
    }
  }

  /** Drops the holes from #order and renumbers the indexes. */
  #compact(): void {
    const old = this.#order;
    const order = new ChunkedList<OrderEntry>();
    for (let i = 0; i < old.length; i++) {
      const s = old.at(i);
      if (s !== null && s !== undefined) order.push(s);
    }
    this.#order = order;
    this.#holes = 0;
    this.#missAt = -1;
    this.#cells.fill(FREE);
    this.#v4 = 0;
    this.#other.clear();
    for (let i = 0; i < order.length; i++) {
      const s = order.at(i) as SourceState | number;
      const c = this.#packed;
      const text = typeof s === 'number' && (c.get(s, MISC) & KEY_TEXT) !== 0 ? (c.texts[c.get(s, KEY)] as string) : null;
      const v4 = typeof s !== 'number' ? s.v4Key : text === null ? c.get(s, KEY) >>> 0 : -1;
      if (v4 >= 0) this.#insert(v4, i);
      else this.#other.set(typeof s === 'number' ? (text as string) : s.key, i);
    }
  }
}
