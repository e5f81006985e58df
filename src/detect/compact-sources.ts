/**
 * One-packet sources kept as columns of typed arrays instead of objects.
 *
 * A flood of spoofed SYNs makes a million sources of one packet each. As
 * objects they are what the garbage collector copies and promotes over and
 * over (GC was the largest cost of analysing a million distinct sources);
 * as a row of these columns they are ~50 bytes outside the heap. A source
 * is packed after its first packet when all it holds fits a row (see
 * SourceState.packInto) and made an object again (SourceState.unpack) when
 * a second packet, a raise or a lookup needs it. Rows are indexed like the
 * source table's first-seen order.
 */
import type { ProtoInfo } from './proto-stat.js';

/** In a row's misc: the destination is an index into dstTexts; the key is text (in texts); there is an address (in addrs). */
export const DST_TEXT = 32;
export const KEY_TEXT = 64;
export const ADDRESS = 128;

/** Most distinct destinations other than IPv4 addresses named by rows (IPv6 ones are a handful of this host's). */
const MAX_DST_TEXTS = 65536;

export class CompactSources {
  /** The key as an IPv4 address (int32); with KEY_TEXT in misc, the index of the key's text in `texts`. */
  key: Int32Array;
  /**
   * Keys that are not plain IPv4 addresses (IPv6, prefixes), and beside each
   * the address seen when the key is a prefix (SourceState.addresses; ADDRESS
   * in misc). Slots of rows unpacked or deleted are reused.
   */
  texts: Array<string | null>;
  addrs: Array<string | null>;
  #free: number[] = [];
  /** The packet's time: event second (event-seconds.ts) and the millisecond within it (with any fraction). */
  sec: Int32Array;
  ms: Float64Array;
  /** SourceState.bits (destination, table and source flags, levels, proto0). */
  bits: Int32Array;
  /** SourceState's packed small fields (#small). */
  small: Int32Array;
  /** Chain (bits 0-1), cls0n (2), tool0n (3), dfPackets (4), DST_TEXT (5: see dst), KEY_TEXT (6: see key), ADDRESS (7: see addrs), the protocol's index in `infos` (8-15). */
  misc: Int32Array;
  /** The inline protocol record (SourceState's #p0x). */
  p0x: Int32Array;
  /** The first two signature matches' codes, -1 when none (SourceState's #g0 and #g1; their hits are 1). */
  sig: Int32Array;
  sig1: Int32Array;
  /** The destination (IPv4 as int32, or with DST_TEXT in misc its index in dstTexts), its last second and port range. */
  dst: Int32Array;
  dstSeen: Int32Array;
  portMin: Int32Array;
  portMax: Int32Array;
  /** The protocols the rows name (a handful: tcp, udp, icmp, icmp6). */
  readonly infos: ProtoInfo[];
  /** Destinations that are not IPv4 addresses, by index (only added to: a copy may share it). */
  readonly dstTexts: string[];
  readonly #dstIndex = new Map<string, number>();
  /** The destination packed last and its IPv4 value (-1: not one): a flood names a few destinations. */
  lastDst = '';
  lastDst4 = -1;

  constructor(capacity = 1024, infos: ProtoInfo[] = [], dstTexts: string[] = []) {
    this.key = new Int32Array(capacity);
    this.texts = [];
    this.addrs = [];
    this.sec = new Int32Array(capacity);
    this.ms = new Float64Array(capacity);
    this.bits = new Int32Array(capacity);
    this.small = new Int32Array(capacity);
    this.misc = new Int32Array(capacity);
    this.p0x = new Int32Array(capacity);
    this.sig = new Int32Array(capacity);
    this.sig1 = new Int32Array(capacity);
    this.dst = new Int32Array(capacity);
    this.dstSeen = new Int32Array(capacity);
    this.portMin = new Int32Array(capacity);
    this.portMax = new Int32Array(capacity);
    this.infos = infos;
    this.dstTexts = dstTexts;
  }

  get capacity(): number {
    return this.key.length;
  }

  /** Makes room for rows 0 .. n-1. */
  ensure(n: number): void {
    if (n <= this.key.length) return;
    let cap = this.key.length;
    while (cap < n) cap *= 2;
    this.#resize(cap, this.key.length);
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

  /** A slot for a key text and its address (addText()); the slot goes in the row's key. */
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

  /** Frees the texts of row `i` (its source was unpacked or deleted). */
  forget(i: number): void {
    if (((this.misc[i] as number) & KEY_TEXT) === 0) return;
    const t = this.key[i] as number;
    this.texts[t] = this.addrs[t] = null;
    this.#free.push(t);
  }

  /** Copies row `from` to row `to` (the table's compaction). */
  move(from: number, to: number): void {
    this.key[to] = this.key[from] as number;
    this.sec[to] = this.sec[from] as number;
    this.ms[to] = this.ms[from] as number;
    this.bits[to] = this.bits[from] as number;
    this.small[to] = this.small[from] as number;
    this.misc[to] = this.misc[from] as number;
    this.p0x[to] = this.p0x[from] as number;
    this.sig[to] = this.sig[from] as number;
    this.sig1[to] = this.sig1[from] as number;
    this.dst[to] = this.dst[from] as number;
    this.dstSeen[to] = this.dstSeen[from] as number;
    this.portMin[to] = this.portMin[from] as number;
    this.portMax[to] = this.portMax[from] as number;
  }

  /** A copy of rows 0 .. n-1 that later changes do not touch (a state snapshot). */
  copy(n: number): CompactSources {
    const c = new CompactSources(1, [...this.infos], this.dstTexts);
    c.key = this.key.slice(0, n);
    c.texts = this.texts.slice();
    c.addrs = this.addrs.slice();
    c.sec = this.sec.slice(0, n);
    c.ms = this.ms.slice(0, n);
    c.bits = this.bits.slice(0, n);
    c.small = this.small.slice(0, n);
    c.misc = this.misc.slice(0, n);
    c.p0x = this.p0x.slice(0, n);
    c.sig = this.sig.slice(0, n);
    c.sig1 = this.sig1.slice(0, n);
    c.dst = this.dst.slice(0, n);
    c.dstSeen = this.dstSeen.slice(0, n);
    c.portMin = this.portMin.slice(0, n);
    c.portMax = this.portMax.slice(0, n);
    return c;
  }

  #resize(cap: number, keep: number): void {
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a.subarray(0, Math.min(keep, cap)));
      return b;
    };
    const i32 = (n: number): Int32Array => new Int32Array(n);
    this.key = grow(this.key, i32);
    this.sec = grow(this.sec, i32);
    this.ms = grow(this.ms, (n) => new Float64Array(n));
    this.bits = grow(this.bits, i32);
    this.small = grow(this.small, i32);
    this.misc = grow(this.misc, i32);
    this.p0x = grow(this.p0x, i32);
    this.sig = grow(this.sig, i32);
    this.sig1 = grow(this.sig1, i32);
    this.dst = grow(this.dst, i32);
    this.dstSeen = grow(this.dstSeen, i32);
    this.portMin = grow(this.portMin, i32);
    this.portMax = grow(this.portMax, i32);
  }
}
