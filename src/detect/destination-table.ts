/**
 * One source's destinations over a sliding window of event time.
 *
 * A destination stays "active" while it keeps receiving packets less than
 * SCAN_TIMEOUT apart; its counters (packets, port spread, protocols) are
 * kept while it is active and dropped when it ages out, so the distinct
 * destination count is exact over the window (psad counted one 5-second
 * read batch).
 *
 * Memory and speed, by size: the table is itself the state of its first
 * destination (it extends DestinationState), so a one-destination source is
 * one object; up to SMALL destinations live in two short arrays (searched
 * and aged out by a plain scan, no allocation per packet); beyond that a Map
 * kept in last-seen order (re-inserted on touch), aged out from the front.
 * At most `cap` destinations are kept; beyond that packets still count at
 * the source level and a small HyperLogLog estimates the lifetime count.
 */
import { DESTINATION_BITS, DestinationState } from './destination-state.js';
import { NEVER } from './event-seconds.js';
import { HyperLogLog, type HllSnapshot } from './hyperloglog.js';

/** Most destinations kept in the two short arrays. */
export const SMALL = 16;

/**
 * The private part of a table (state/table-codec.ts saves and restores it; the
 * public counters are set directly). `entries` are the destinations in the
 * window in their order; the table's own destination appears as the table
 * itself. The layout is how they are kept: 'none' (no entry), 'one' (the
 * table's own only), 'small' (up to SMALL, in the arrays), 'map'.
 */
export interface TableSnapshot {
  layout: 'none' | 'one' | 'small' | 'map';
  entries: Array<[string, DestinationState]>;
  minSeen: number;
  mru: string;
  hll: HllSnapshot | null;
  inserted: number;
  maxPackets: number;
  maxDirty: boolean;
}

/** Flag bits of the table (in DestinationState.bits, above the destination's own). */
const HAS_ONE = 1 << DESTINATION_BITS;
const MAX_DIRTY = 2 << DESTINATION_BITS;
/** The bits DestinationTable uses; SourceState uses the bits above. */
export const TABLE_BITS = DESTINATION_BITS + 2;

/** A table's second and later destinations (only sources that reach two have one). */
class Many {
  keys: string[] | null = null;
  vals: DestinationState[] | null = null;
  map: Map<string, DestinationState> | null = null;
  mru = '';
}

export class DestinationTable extends DestinationState {
  #oneKey = '';
  #many: Many | null = null;
  /** A lower bound of the oldest last-seen (exact after each aging pass); NEVER when empty. */
  #minSeen = NEVER;
  #hll: HyperLogLog | null = null;
  #inserted = 0;
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

  /** The first destination is in use (its state is this object's own fields). */
  get #hasOne(): boolean {
    return (this.bits & HAS_ONE) !== 0;
  }

  set #hasOne(v: boolean) {
    this.bits = v ? this.bits | HAS_ONE : this.bits & ~HAS_ONE;
  }

  get #maxDirty(): boolean {
    return (this.bits & MAX_DIRTY) !== 0;
  }

  set #maxDirty(v: boolean) {
    this.bits = v ? this.bits | MAX_DIRTY : this.bits & ~MAX_DIRTY;
  }

  get #keys(): string[] | null {
    return this.#many === null ? null : this.#many.keys;
  }

  set #keys(v: string[] | null) {
    if (v !== null || this.#many !== null) (this.#many ??= new Many()).keys = v;
  }

  get #vals(): DestinationState[] | null {
    return this.#many === null ? null : this.#many.vals;
  }

  set #vals(v: DestinationState[] | null) {
    if (v !== null || this.#many !== null) (this.#many ??= new Many()).vals = v;
  }

  get #map(): Map<string, DestinationState> | null {
    return this.#many === null ? null : this.#many.map;
  }

  set #map(v: Map<string, DestinationState> | null) {
    if (v !== null || this.#many !== null) (this.#many ??= new Many()).map = v;
  }

  /** The destination last moved to the end of the map. */
  get #mru(): string {
    return this.#many === null ? '' : this.#many.mru;
  }

  set #mru(v: string) {
    if (v !== '' || this.#many !== null) (this.#many ??= new Many()).mru = v;
  }

  /**
   * The state for a destination, created when new (null when the table is
   * full), after dropping destinations last seen before `cutoff`. Times are
   * event seconds (event-seconds.ts); the caller keeps `dstSeen` current.
   */
  touch(dst: string, ts: number, cutoff: number, cap: number): DestinationState | null {
    this.prune(cutoff);
    if (this.#map !== null) return this.#touchMap(this.#map, dst, ts, cap);
    if (this.#keys !== null) return this.#touchSmall(dst, ts, cap);
    if (!this.#hasOne) return this.#insertFirst(dst);
    if (this.#oneKey === dst) return this;
    this.#keys = [this.#oneKey];
    this.#vals = [this];
    this.#hasOne = false;
    this.#oneKey = '';
    this.#minSeen = this.dstSeen;
    this.prune(cutoff);
    return this.#touchSmall(dst, ts, cap);
  }

  /** Call after a destination's packet count grew. */
  noteCount(packets: number): void {
    if (packets > this.#maxPackets) this.#maxPackets = packets;
  }

  /** Highest packet count among active destinations. */
  maxActivePackets(): number {
    if (this.#maxDirty) {
      // Plain loops (no generator: this runs per packet for some sources).
      let max = 0;
      const map = this.#map;
      const vals = this.#vals;
      if (map !== null) {
        for (const d of map.values()) if (d.dstPackets > max) max = d.dstPackets;
      } else if (vals !== null) {
        for (let i = 0; i < vals.length; i++) if ((vals[i] as DestinationState).dstPackets > max) max = (vals[i] as DestinationState).dstPackets;
      } else if (this.#hasOne) max = this.dstPackets;
      this.#maxPackets = max;
      this.#maxDirty = false;
    }
    return this.#maxPackets;
  }

  /** True when prune(cutoff) would drop something. */
  wouldPrune(cutoff: number): boolean {
    if (cutoff <= this.#minSeen) return false;
    const vals = this.#vals;
    if (vals !== null) {
      for (let i = 0; i < vals.length; i++) if ((vals[i] as DestinationState).dstSeen < cutoff) return true;
      return false;
    }
    if (this.#map === null) return false;
    const front = this.#map.values().next();
    return front.done !== true && front.value.dstSeen < cutoff;
  }

  /** Drops destinations last seen before `cutoff`; cheap when nothing is that old. */
  prune(cutoff: number): void {
    if (cutoff <= this.#minSeen) return;
    if (this.#vals !== null) this.#pruneSmall(cutoff);
    else if (this.#map !== null) this.#pruneMap(this.#map, cutoff);
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
    this.#keys = this.#vals = null;
    this.#map = null;
    this.#minSeen = NEVER;
    this.active = this.qualifiedDsts = this.sweepLike = this.#maxPackets = 0;
    this.#maxDirty = false;
  }

  /** The private state (the entries are the live objects, not copies). */
  tableSnapshot(): TableSnapshot {
    let entries: Array<[string, DestinationState]>;
    if (this.#map !== null) entries = [...this.#map];
    else if (this.#keys !== null) entries = this.#keys.map((k, i) => [k, (this.#vals as DestinationState[])[i] as DestinationState]);
    else entries = this.#hasOne ? [[this.#oneKey, this]] : [];
    const layout = this.#map !== null ? 'map' : this.#keys !== null ? 'small' : this.#hasOne ? 'one' : 'none';
    return { layout, entries, minSeen: this.#minSeen, mru: this.#mru, hll: this.#hll?.snapshot() ?? null, inserted: this.#inserted, maxPackets: this.#maxPackets, maxDirty: this.#maxDirty };
  }

  /**
   * Replaces the window with checked saved state: 'one' has the table itself
   * as its only entry (its fields already set), 'small' at most SMALL entries.
   * active, qualifiedDsts and sweepLike follow from the entries.
   */
  restoreTable(t: TableSnapshot): void {
    this.#hasOne = t.layout === 'one';
    this.#oneKey = this.#hasOne ? (t.entries[0] as [string, DestinationState])[0] : '';
    this.#keys = t.layout === 'small' ? t.entries.map((e) => e[0]) : null;
    this.#vals = t.layout === 'small' ? t.entries.map((e) => e[1]) : null;
    this.#map = t.layout === 'map' ? new Map(t.entries) : null;
    this.#mru = t.mru;
    this.#minSeen = t.minSeen;
    this.#hll = t.hll === null ? null : HyperLogLog.restore(t.hll);
    this.#inserted = t.inserted;
    this.#maxPackets = t.maxPackets;
    this.#maxDirty = t.maxDirty;
    this.active = t.entries.length;
    this.qualifiedDsts = this.sweepLike = 0;
    for (const [, d] of t.entries) {
      if (d.qualified) this.qualifiedDsts++;
      if (d.like) this.sweepLike++;
    }
  }

  /** Destination addresses in the window. */
  *keys(): IterableIterator<string> {
    if (this.#map !== null) yield* this.#map.keys();
    else if (this.#keys !== null) yield* this.#keys;
    else if (this.#hasOne) yield this.#oneKey;
  }

  #insertFirst(dst: string): DestinationState {
    this.#oneKey = dst;
    this.#hasOne = true;
    this.clearDestination();
    this.#count(dst);
    return this;
  }

  #touchSmall(dst: string, ts: number, cap: number): DestinationState | null {
    const keys = this.#keys as string[];
    const vals = this.#vals as DestinationState[];
    for (let i = 0; i < keys.length; i++) if (keys[i] === dst) return vals[i] as DestinationState;
    if (keys.length >= cap) return this.#overflow(dst);
    if (keys.length < SMALL) {
      const d = new DestinationState();
      keys.push(dst);
      vals.push(d);
      if (ts < this.#minSeen) this.#minSeen = ts;
      this.#count(dst);
      return d;
    }
    // Too many for a scan: a Map in last-seen order, so aging out pops from the front.
    const order = vals.map((_, i) => i).sort((a, b) => (vals[a] as DestinationState).dstSeen - (vals[b] as DestinationState).dstSeen);
    const map = new Map<string, DestinationState>(order.map((i) => [keys[i] as string, vals[i] as DestinationState]));
    this.#keys = this.#vals = null;
    this.#map = map;
    this.#minSeen = (vals[order[0] as number] as DestinationState).dstSeen;
    return this.#insert(map, dst, ts, cap);
  }

  #touchMap(map: Map<string, DestinationState>, dst: string, ts: number, cap: number): DestinationState | null {
    const d = map.get(dst);
    if (d === undefined) return this.#insert(map, dst, ts, cap);
    if (dst !== this.#mru) {
      map.delete(dst);
      map.set(dst, d);
      this.#mru = dst;
    }
    return d;
  }

  #insert(map: Map<string, DestinationState>, dst: string, ts: number, cap: number): DestinationState | null {
    if (map.size >= cap) return this.#overflow(dst);
    const d = new DestinationState();
    map.set(dst, d);
    this.#mru = dst;
    if (ts < this.#minSeen) this.#minSeen = ts;
    this.#count(dst);
    return d;
  }

  #overflow(dst: string): null {
    this.#ensureHll();
    (this.#hll as HyperLogLog).add(dst);
    this.overflowPackets++;
    return null;
  }

  /** Small tables: drop every expired entry and take the exact oldest of the rest. */
  #pruneSmall(cutoff: number): void {
    const keys = this.#keys as string[];
    const vals = this.#vals as DestinationState[];
    let min = NEVER;
    for (let i = vals.length - 1; i >= 0; i--) {
      const d = vals[i] as DestinationState;
      if (d.dstSeen >= cutoff) {
        if (d.dstSeen < min) min = d.dstSeen;
        continue;
      }
      this.#drop(d);
      keys.splice(i, 1);
      vals.splice(i, 1);
    }
    this.#minSeen = min;
  }

  /** Large tables are in last-seen order: pop from the front. */
  #pruneMap(map: Map<string, DestinationState>, cutoff: number): void {
    let front = NEVER;
    for (const [k, d] of map) {
      if (d.dstSeen >= cutoff) {
        front = d.dstSeen;
        break;
      }
      this.#drop(d);
      map.delete(k);
    }
    this.#minSeen = front;
  }

  #drop(d: DestinationState): void {
    this.#ensureHll();
    this.active--;
    if (d.qualified) this.qualifiedDsts--;
    if (d.like) this.sweepLike--;
    if (d.dstPackets >= this.#maxPackets) this.#maxDirty = true;
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
