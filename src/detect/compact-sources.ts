/**
 * One-packet sources kept as rows of typed arrays instead of objects.
 *
 * A flood of spoofed SYNs makes a million sources of one packet each. As
 * objects they are what the garbage collector copies and promotes over and
 * over (GC was the largest cost of analysing a million distinct sources);
 * as a row here they are 48 bytes outside the heap. A source is packed
 * after its first packet when all it holds fits a row (see
 * SourceState.packInto) and made an object again (SourceState.unpack) when
 * a second packet, a raise or a lookup needs it. The source table's order
 * holds a packed source's row number; rows of sources unpacked or deleted
 * are reused.
 *
 * A row is 12 int32 slots (the fields below; the millisecond, a double,
 * in slots 10-11), in chunks of CHUNK rows made as they are needed: growing
 * never copies (copying arrays of a million rows as they doubled cost more
 * than packing them). Every row is fresh memory, a page fault per 85 rows
 * (some 13 us each on the bench VM: 64-byte rows cost a million sources
 * 0.2 s of faults), so a row holds no field that another one gives.
 */
import type { ProtoInfo } from './proto-stat.js';

/** Int32 slots of a row. */
export const KEY = 0;
export const SEC = 1;
export const BITS = 2;
export const SMALL = 3;
export const MISC = 4;
export const P0X = 5;
export const SIG = 6;
export const SIG1 = 7;
export const DST = 8;
export const PORT = 9;
/** The millisecond: the float64 at this index from the row's start / 2 (int32 slots 10-11). */
export const MS = 5;
/** Int32 slots per row (even: the millisecond stays 8-byte aligned). */
const ROW = 12;
const CHUNK_BITS = 12;
const CHUNK = 1 << CHUNK_BITS;

/** In a row's misc: the destination is an index into dstTexts; the key is text (in texts); there is an address (in addrs). */
export const DST_TEXT = 32;
export const KEY_TEXT = 64;
export const ADDRESS = 128;
/** In a row's misc: the destination's last second is 0 (else it is the row's SEC). */
export const SEEN_ZERO = 1 << 16;

/** Most distinct destinations other than IPv4 addresses named by rows (IPv6 ones are a handful of this host's). */
const MAX_DST_TEXTS = 65536;

/** Where row i starts in its chunk (int32 index). */
export function rowAt(i: number): number {
  return (i & (CHUNK - 1)) * ROW;
}

/**
 * The fields of a row (int32 slots, SourceState.packInto writes them):
 * KEY the key as an IPv4 address (int32), or with KEY_TEXT in MISC the index
 * of its text in `texts`; SEC the event second (event-seconds.ts) and MS the
 * millisecond within it (with any fraction); BITS SourceState.bits (flags,
 * levels, proto0); SMALL its packed small fields; MISC the chain (bits 0-1),
 * cls0n (2), tool0n (3), dfPackets (4), DST_TEXT, KEY_TEXT, ADDRESS (5-7),
 * the protocol's index in `infos` (8-15), SEEN_ZERO (16); P0X the inline
 * protocol record; SIG, SIG1 the first two signature codes (-1: none; their
 * hits are 1); DST the destination (IPv4 as int32, or with DST_TEXT its
 * index in dstTexts), whose last second is SEC (0 with SEEN_ZERO); PORT its
 * one port (its range is that port alone), -1 for none (65536-0).
 */
export class CompactSources {
  #ints: Int32Array[] = [];
  #floats: Float64Array[] = [];
  /**
   * Keys that are not plain IPv4 addresses (IPv6, prefixes), and beside each
   * the address seen when the key is a prefix (SourceState.addresses; ADDRESS
   * in misc). Slots of rows unpacked or deleted are reused.
   */
  texts: Array<string | null> = [];
  addrs: Array<string | null> = [];
  #free: number[] = [];
  /** Rows handed out so far, and those given back (reused first). */
  #rows = 0;
  #freeRows: number[] = [];
  /** The protocols the rows name (a handful: tcp, udp, icmp, icmp6). */
  readonly infos: ProtoInfo[];
  /** Destinations that are not IPv4 addresses, by index (only added to: a copy may share it). */
  readonly dstTexts: string[];
  readonly #dstIndex = new Map<string, number>();
  /** The destination packed last and its IPv4 value (-1: not one): a flood names a few destinations. */
  lastDst = '';
  lastDst4 = -1;

  constructor(infos: ProtoInfo[] = [], dstTexts: string[] = []) {
    this.infos = infos;
    this.dstTexts = dstTexts;
  }

  /** The row the next packed source goes to (take() it once packed). */
  nextRow(): number {
    const free = this.#freeRows;
    return free.length > 0 ? (free[free.length - 1] as number) : this.#rows;
  }

  /** Takes the row nextRow() named. */
  take(): void {
    if (this.#freeRows.pop() === undefined) this.#rows++;
  }

  /** Rows in use. */
  get used(): number {
    return this.#rows - this.#freeRows.length;
  }

  /** Gives row `i` back (its source was unpacked or deleted), with its texts. */
  release(i: number): void {
    if ((this.get(i, MISC) & KEY_TEXT) !== 0) {
      const t = this.get(i, KEY);
      this.texts[t] = this.addrs[t] = null;
      this.#free.push(t);
    }
    this.#freeRows.push(i);
  }

  /** The int32 slots of row i's chunk (made when new); the row starts at rowAt(i). */
  ints(i: number): Int32Array {
    const c = i >>> CHUNK_BITS;
    return this.#ints[c] ?? this.#make(c);
  }

  /** The same chunk as float64 (the millisecond: index rowAt(i) / 2 + MS). */
  floats(i: number): Float64Array {
    const c = i >>> CHUNK_BITS;
    if (this.#floats[c] === undefined) this.#make(c);
    return this.#floats[c] as Float64Array;
  }

  /** One int32 field of row i. */
  get(i: number, slot: number): number {
    return this.ints(i)[rowAt(i) + slot] as number;
  }

  #make(c: number): Int32Array {
    while (this.#ints.length <= c) {
      const buf = new ArrayBuffer(CHUNK * ROW * 4);
      this.#ints.push(new Int32Array(buf));
      this.#floats.push(new Float64Array(buf));
    }
    return this.#ints[c] as Int32Array;
  }

  /** The index of a protocol in `infos`, added when new; -1 when the list is full. */
  infoIndex(info: ProtoInfo): number {
    const list = this.infos;
    for (let i = 0; i < list.length; i++) if (list[i] === info) return i;
    if (list.length >= 256) return -1;
    list.push(info);
    return list.length - 1;
  }

  /** The index of a destination text in `dstTexts`, added when new; -1 when the list is full. */
  dstIndex(dst: string): number {
    const had = this.#dstIndex.get(dst);
    if (had !== undefined) return had;
    if (this.dstTexts.length >= MAX_DST_TEXTS) return -1;
    this.#dstIndex.set(dst, this.dstTexts.length);
    this.dstTexts.push(dst);
    return this.dstTexts.length - 1;
  }

  /** A slot for a key text and its address; the slot goes in the row's KEY. */
  addText(key: string, addr: string | null): number {
    const i = this.#free.pop();
    if (i === undefined) {
      this.texts.push(key);
      this.addrs.push(addr);
      return this.texts.length - 1;
    }
    this.texts[i] = key;
    this.addrs[i] = addr;
    return i;
  }

  /** A copy of the rows that later changes do not touch (a state snapshot). */
  copy(): CompactSources {
    const c = new CompactSources([...this.infos], this.dstTexts);
    for (let k = 0; k < this.#ints.length; k++) {
      const ints = (this.#ints[k] as Int32Array).slice();
      c.#ints.push(ints);
      c.#floats.push(new Float64Array(ints.buffer));
    }
    c.texts = this.texts.slice();
    c.addrs = this.addrs.slice();
    return c;
  }
}
