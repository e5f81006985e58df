/**
 * One source's destinations over a sliding window of event time.
 *
 * A destination stays "active" while it keeps receiving packets less than
 * SCAN_TIMEOUT apart; its counters (packets, port spread, protocols) are
 * kept while it is active and dropped when it ages out, so the distinct
 * destination count is exact over the window (psad counted one 5-second
 * read batch). Entries are kept in last-seen order (a Map re-inserted on
 * touch), so aging out pops from the front.
 *
 * Memory: the table is itself the state of its first destination (it
 * extends DestinationState), so a source that reaches one destination costs
 * one object; a Map appears with the second. At most `cap` destinations are
 * kept; beyond that packets still count at the source level and a small
 * HyperLogLog keeps estimating the lifetime distinct count.
 */
import { HyperLogLog } from './hyperloglog.js';

export class DestinationState {
  /** Packets to this destination (named apart from the source's own `packets`). */
  dstPackets = 0;
  /** Lowest / highest TCP, UDP or UDP-Lite destination port; max 0 = none seen (psad's e_port). */
  portMin = 65536;
  portMax = 0;
  protocols = 0;
  proto0 = -1;
  protoBits: Int32Array | null = null;
  dstSeen = 0;
  /** Qualified on its own counters (port spread or protocols); counted once in the table. */
  qualified = false;
  /** Received an ICMP echo-style probe. */
  pinged = false;
  /** Sweep-like: probed on a single port (spread == PORT_RANGE_SWEEP_THRESHOLD) or pinged. */
  like = false;

  /** Back to a fresh state (the table reuses itself as its first destination). */
  clearDestination(): void {
    this.dstPackets = this.protocols = this.portMax = 0;
    this.portMin = 65536;
    this.proto0 = -1;
    this.protoBits = null;
    this.dstSeen = 0;
    this.qualified = this.pinged = this.like = false;
  }

  /** Records a protocol number; true when new for this destination. */
  addProtocol(n: number): boolean {
    if (n === this.proto0) return false;
    if (this.proto0 < 0) {
      this.proto0 = n;
      this.protocols = 1;
      return true;
    }
    let bits = this.protoBits;
    if (bits === null) bits = this.protoBits = new Int32Array(8);
    const m = 1 << (n & 31);
    if ((bits[n >>> 5]! & m) !== 0) return false;
    bits[n >>> 5] = bits[n >>> 5]! | m;
    this.protocols++;
    return true;
  }
}

export class DestinationTable extends DestinationState {
  #oneKey = '';
  /** The first destination is in use (its state is this object's own fields). */
  #hasOne = false;
  #map: Map<string, DestinationState> | null = null;
  #mru = '';
  /** A lower bound of the oldest last-seen in the map. */
  #minSeen = Infinity;
  #hll: HyperLogLog | null = null;
  #inserted = 0;
  #maxDirty = false;
  #maxPackets = 0;
  /** Destinations inside the window. */
  active = 0;
  /** Highest `active` reached. */
  peak = 0;
  /** Active destinations that qualified on their own counters. */
  qualifiedDsts = 0;
  /** Active destinations that are sweep-like (see DestinationState.like). */
  sweepLike = 0;
  /** Packets to destinations not kept because the table was full. */
  overflowPackets = 0;

  /**
   * The state for a destination, created when new (null when the table is
   * full), after dropping destinations last seen before `cutoff`.
   */
  touch(dst: string, ts: number, cutoff: number, cap: number): DestinationState | null {
    this.prune(cutoff);
    let d: DestinationState | null;
    const map = this.#map;
    if (map === null) {
      if (!this.#hasOne) return this.#insertFirst(dst);
      if (this.#oneKey === dst) d = this;
      else d = this.#promote(dst, ts, cutoff, cap);
    } else {
      d = map.get(dst) ?? null;
      if (d === null) d = this.#insert(map, dst, ts, cap);
      else if (dst !== this.#mru) {
        map.delete(dst);
        map.set(dst, d);
      }
    }
    if (d !== null) this.#mru = dst;
    return d;
  }

  /** Call after a destination's packet count grew. */
  noteCount(packets: number): void {
    if (packets > this.#maxPackets) this.#maxPackets = packets;
  }

  /** Highest packet count among active destinations. */
  maxActivePackets(): number {
    if (this.#maxDirty && this.#map !== null) {
      let max = 0;
      for (const d of this.#map.values()) if (d.dstPackets > max) max = d.dstPackets;
      this.#maxPackets = max;
      this.#maxDirty = false;
    }
    return this.#maxPackets;
  }

  /** True when prune(cutoff) would drop something. */
  wouldPrune(cutoff: number): boolean {
    if (this.#map === null || cutoff <= this.#minSeen) return false;
    const front = this.#map.values().next();
    return front.done !== true && front.value.dstSeen < cutoff;
  }

  /** Drops destinations last seen before `cutoff`; cheap when nothing is that old. */
  prune(cutoff: number): void {
    const map = this.#map;
    if (map === null || cutoff <= this.#minSeen) return;
    this.#ensureHll();
    let front = Infinity;
    for (const [k, d] of map) {
      if (d.dstSeen >= cutoff) {
        front = d.dstSeen;
        break;
      }
      map.delete(k);
      this.active--;
      if (d.qualified) this.qualifiedDsts--;
      if (d.like) this.sweepLike--;
      if (d.dstPackets >= this.#maxPackets) this.#maxDirty = true;
    }
    this.#minSeen = front;
    if (map.size === 0) this.#maxPackets = 0;
  }

  /** Distinct destinations over the source's tracked life (estimated once some aged out or overflowed). */
  distinct(): number {
    if (this.#hll === null) return this.#inserted;
    return Math.max(this.#hll.estimate(), this.active);
  }

  get exact(): boolean {
    return this.#hll === null;
  }

  /** Forgets the window (a new episode after a long silence); the lifetime count survives. */
  reset(): void {
    this.#ensureHll();
    this.#hasOne = false;
    this.#oneKey = this.#mru = '';
    this.#map = null;
    this.#minSeen = Infinity;
    this.active = this.qualifiedDsts = this.sweepLike = this.#maxPackets = 0;
    this.#maxDirty = false;
  }

  /** Destination addresses in the window, oldest first. */
  *keys(): IterableIterator<string> {
    if (this.#map !== null) yield* this.#map.keys();
    else if (this.#hasOne) yield this.#oneKey;
  }

  #insertFirst(dst: string): DestinationState {
    this.#oneKey = dst;
    this.#hasOne = true;
    this.clearDestination();
    this.#count(dst);
    return this;
  }

  #promote(dst: string, ts: number, cutoff: number, cap: number): DestinationState | null {
    const map = new Map<string, DestinationState>();
    map.set(this.#oneKey, this);
    this.#minSeen = this.dstSeen;
    this.#map = map;
    this.#hasOne = false;
    this.#oneKey = '';
    this.prune(cutoff);
    return this.#insert(map, dst, ts, cap);
  }

  #insert(map: Map<string, DestinationState>, dst: string, ts: number, cap: number): DestinationState | null {
    if (map.size >= cap) {
      this.#ensureHll();
      (this.#hll as HyperLogLog).add(dst);
      this.overflowPackets++;
      return null;
    }
    const d = new DestinationState();
    map.set(dst, d);
    if (ts < this.#minSeen) this.#minSeen = ts;
    this.#count(dst);
    return d;
  }

  #count(dst: string): void {
    this.#inserted++;
    this.#hll?.add(dst);
    if (++this.active > this.peak) this.peak = this.active;
  }

  #ensureHll(): void {
    if (this.#hll !== null) return;
    const h = new HyperLogLog();
    for (const k of this.keys()) h.add(k);
    this.#hll = h;
  }
}
