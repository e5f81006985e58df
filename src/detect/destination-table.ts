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
 * one object, and the table's own counters (window size, peak, sweep-like,
 * ...) follow from that destination until a second one, a reset or an
 * overflow needs them kept (class More: two fields a source instead of
 * eleven, a million sources being what the garbage collector copies); up to SMALL destinations live in two short arrays (searched
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
 * The state of a table (state/table-codec.ts saves and restores it; active,
 * qualified and sweep-like destinations follow from the entries). `entries` are the destinations in the
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
  peak: number;
  overflow: number;
}

/** Flag bits of the table (in DestinationState.bits, above the destination's own). */
const HAS_ONE = 1 << DESTINATION_BITS;
const MAX_DIRTY = 2 << DESTINATION_BITS;
/** The bits DestinationTable uses; SourceState uses the bits above. */
export const TABLE_BITS = DESTINATION_BITS + 2;

/**
 * What a table keeps once it is more than its own first destination (a
 * second destination, a reset, an overflow): the other destinations and the
 * counters, which until then follow from the first destination alone.
 */
class More {
  keys: string[] | null = null;
  vals: DestinationState[] | null = null;
  map: Map<string, DestinationState> | null = null;
  /** The destination last moved to the end of the map. */
  mru = '';
  /** A lower bound of the oldest last-seen (exact after each aging pass); NEVER when empty. */
  minSeen = NEVER;
  hll: HyperLogLog | null = null;
  inserted = 0;
  maxPackets = 0;
  active = 0;
  peak = 0;
  qualified = 0;
  sweepLike = 0;
  overflow = 0;
}

export class DestinationTable extends DestinationState {
  #oneKey = '';
  /** Null while the table is at most its own first destination (see More). */
  #more: More | null = null;

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

  /** 1 while the own destination is in use (a table without More), else 0. */
  get #own(): number {
    return (this.bits & HAS_ONE) !== 0 ? 1 : 0;
  }

  /** Destinations inside the window. */
  get active(): number {
    return this.#more === null ? this.#own : this.#more.active;
  }

  /** Highest `active` reached. */
  get peak(): number {
    return this.#more === null ? this.#own : this.#more.peak;
  }

  /** Active destinations that qualified on their own counters. */
  get qualifiedDsts(): number {
    return this.#more === null ? (this.#own === 1 && this.qualified ? 1 : 0) : this.#more.qualified;
  }

  /** Active destinations that are sweep-like (see DestinationState.like). */
  get sweepLike(): number {
    return this.#more === null ? (this.#own === 1 && this.like ? 1 : 0) : this.#more.sweepLike;
  }

  /** Packets to destinations not kept because the table was full. */
  get overflowPackets(): number {
    return this.#more === null ? 0 : this.#more.overflow;
  }

  /** Call after setting `d.qualified` on an active destination that was not. */
  markQualified(_d: DestinationState): void {
    if (this.#more !== null) this.#more.qualified++;
  }

  /** Call after `d.like` of an active destination changed. */
  likeChanged(d: DestinationState): void {
    if (this.#more !== null) this.#more.sweepLike += d.like ? 1 : -1;
  }

  /** The kept form, with the counters as they follow from the own destination so far. */
  #kept(): More {
    let m = this.#more;
    if (m !== null) return m;
    m = this.#more = new More();
    const own = this.#own;
    m.inserted = m.active = m.peak = own;
    m.qualified = own === 1 && this.qualified ? 1 : 0;
    m.sweepLike = own === 1 && this.like ? 1 : 0;
    m.maxPackets = own === 1 ? this.dstPackets : 0;
    return m;
  }

  /**
   * The state for a destination, created when new (null when the table is
   * full), after dropping destinations last seen before `cutoff`. Times are
   * event seconds (event-seconds.ts); the caller keeps `dstSeen` current.
   */
  touch(dst: string, ts: number, cutoff: number, cap: number): DestinationState | null {
    const m = this.#more;
    if (m === null) {
      if (!this.#hasOne) return this.#insertFirst(dst);
      if (this.#oneKey === dst) return this;
    } else {
      this.prune(cutoff);
      if (m.map !== null) return this.#touchMap(m, m.map, dst, ts, cap);
      if (m.keys !== null) return this.#touchSmall(m, dst, ts, cap);
      if (!this.#hasOne) return this.#insertFirst(dst);
      if (this.#oneKey === dst) return this;
    }
    const k = this.#kept();
    k.keys = [this.#oneKey];
    k.vals = [this];
    this.#hasOne = false;
    this.#oneKey = '';
    k.minSeen = this.dstSeen;
    this.prune(cutoff);
    return this.#touchSmall(k, dst, ts, cap);
  }

  /** Call after a destination's packet count grew. */
  noteCount(packets: number): void {
    const m = this.#more;
    if (m !== null && packets > m.maxPackets) m.maxPackets = packets;
  }

  /** Highest packet count among active destinations. */
  maxActivePackets(): number {
    const m = this.#more;
    if (m === null) return this.#own === 1 ? this.dstPackets : 0;
    if (this.#maxDirty) {
      // Plain loops (no generator: this runs per packet for some sources).
      let max = 0;
      const map = m.map;
      const vals = m.vals;
      if (map !== null) {
        for (const d of map.values()) if (d.dstPackets > max) max = d.dstPackets;
      } else if (vals !== null) {
        for (let i = 0; i < vals.length; i++) if ((vals[i] as DestinationState).dstPackets > max) max = (vals[i] as DestinationState).dstPackets;
      } else if (this.#hasOne) max = this.dstPackets;
      m.maxPackets = max;
      this.#maxDirty = false;
    }
    return m.maxPackets;
  }

  /** True when prune(cutoff) would drop something. */
  wouldPrune(cutoff: number): boolean {
    const m = this.#more;
    if (m === null || cutoff <= m.minSeen) return false;
    const vals = m.vals;
    if (vals !== null) {
      for (let i = 0; i < vals.length; i++) if ((vals[i] as DestinationState).dstSeen < cutoff) return true;
      return false;
    }
    if (m.map === null) return false;
    const front = m.map.values().next();
    return front.done !== true && front.value.dstSeen < cutoff;
  }

  /** Drops destinations last seen before `cutoff`; cheap when nothing is that old. */
  prune(cutoff: number): void {
    const m = this.#more;
    if (m === null || cutoff <= m.minSeen) return;
    if (m.vals !== null) this.#pruneSmall(m, cutoff);
    else if (m.map !== null) this.#pruneMap(m, m.map, cutoff);
  }

  /** Distinct destinations over the source's tracked life (estimated once some aged out or overflowed). */
  distinct(): number {
    const m = this.#more;
    if (m === null) return this.#own;
    if (m.hll === null) return m.inserted;
    return Math.max(m.hll.estimate(), m.active);
  }

  get exact(): boolean {
    return this.#more === null || this.#more.hll === null;
  }

  /** Forgets the window (a new episode after a long silence); the lifetime count survives. */
  reset(): void {
    const m = this.#kept();
    this.#ensureHll(m);
    this.#hasOne = false;
    this.#oneKey = m.mru = '';
    m.keys = m.vals = null;
    m.map = null;
    m.minSeen = NEVER;
    m.active = m.qualified = m.sweepLike = m.maxPackets = 0;
    this.#maxDirty = false;
  }

  /** The state (the entries are the live objects, not copies). */
  tableSnapshot(): TableSnapshot {
    const m = this.#more;
    let entries: Array<[string, DestinationState]>;
    if (m !== null && m.map !== null) entries = [...m.map];
    else if (m !== null && m.keys !== null) entries = m.keys.map((k, i) => [k, (m.vals as DestinationState[])[i] as DestinationState]);
    else entries = this.#hasOne ? [[this.#oneKey, this]] : [];
    const layout = m?.map != null ? 'map' : m?.keys != null ? 'small' : this.#hasOne ? 'one' : 'none';
    return {
      layout,
      entries,
      minSeen: m?.minSeen ?? NEVER,
      mru: m?.mru ?? '',
      hll: m?.hll?.snapshot() ?? null,
      inserted: m?.inserted ?? this.#own,
      maxPackets: m === null ? this.maxActivePackets() : m.maxPackets,
      maxDirty: this.#maxDirty,
      peak: this.peak,
      overflow: this.overflowPackets,
    };
  }

  /**
   * Replaces the window with checked saved state: 'one' has the table itself
   * as its only entry (its fields already set), 'small' at most SMALL entries.
   * active, qualifiedDsts and sweepLike follow from the entries.
   */
  restoreTable(t: TableSnapshot): void {
    const one = t.layout === 'one';
    this.#hasOne = one;
    this.#oneKey = one ? (t.entries[0] as [string, DestinationState])[0] : '';
    this.#maxDirty = t.maxDirty;
    const own = one ? 1 : 0;
    const simple = (one || t.layout === 'none') && t.minSeen === NEVER && t.mru === '' && t.hll === null && t.inserted === own && t.peak === own &&
      t.overflow === 0 && t.maxPackets === (one ? this.dstPackets : 0) && !t.maxDirty;
    if (simple) {
      this.#more = null;
      return;
    }
    const m = (this.#more = new More());
    m.keys = t.layout === 'small' ? t.entries.map((e) => e[0]) : null;
    m.vals = t.layout === 'small' ? t.entries.map((e) => e[1]) : null;
    m.map = t.layout === 'map' ? new Map(t.entries) : null;
    m.mru = t.mru;
    m.minSeen = t.minSeen;
    m.hll = t.hll === null ? null : HyperLogLog.restore(t.hll);
    m.inserted = t.inserted;
    m.maxPackets = t.maxPackets;
    m.peak = t.peak;
    m.overflow = t.overflow;
    m.active = t.entries.length;
    for (const [, d] of t.entries) {
      if (d.qualified) m.qualified++;
      if (d.like) m.sweepLike++;
    }
  }

  /** The only destination when the table is just its own first one (no window kept apart: see More), else null. */
  get soleKey(): string | null {
    return this.#more === null && this.#hasOne ? this.#oneKey : null;
  }

  /** Forgets the destinations and the table's counters (SourceState.renew(): `bits` are cleared there). */
  clearTable(): void {
    this.#more = null;
    this.#oneKey = '';
  }

  /** Makes the table its own first destination `key` alone (its fields already set: a packed source, compact-sources.ts). */
  restoreSole(key: string): void {
    this.#more = null;
    this.#hasOne = true;
    this.#oneKey = key;
    this.#maxDirty = false;
  }

  /** Destination addresses in the window. */
  *keys(): IterableIterator<string> {
    const m = this.#more;
    if (m !== null && m.map !== null) yield* m.map.keys();
    else if (m !== null && m.keys !== null) yield* m.keys;
    else if (this.#hasOne) yield this.#oneKey;
  }

  #insertFirst(dst: string): DestinationState {
    this.#oneKey = dst;
    this.#hasOne = true;
    this.clearDestination();
    const m = this.#more;
    if (m !== null) this.#count(m, dst);
    return this;
  }

  #touchSmall(m: More, dst: string, ts: number, cap: number): DestinationState | null {
    const keys = m.keys as string[];
    const vals = m.vals as DestinationState[];
    for (let i = 0; i < keys.length; i++) if (keys[i] === dst) return vals[i] as DestinationState;
    if (keys.length >= cap) return this.#overflow(m, dst);
    if (keys.length < SMALL) {
      const d = new DestinationState();
      keys.push(dst);
      vals.push(d);
      if (ts < m.minSeen) m.minSeen = ts;
      this.#count(m, dst);
      return d;
    }
    // Too many for a scan: a Map in last-seen order, so aging out pops from the front.
    const order = vals.map((_, i) => i).sort((a, b) => (vals[a] as DestinationState).dstSeen - (vals[b] as DestinationState).dstSeen);
    const map = new Map<string, DestinationState>(order.map((i) => [keys[i] as string, vals[i] as DestinationState]));
    m.keys = m.vals = null;
    m.map = map;
    m.minSeen = (vals[order[0] as number] as DestinationState).dstSeen;
    return this.#insert(m, map, dst, ts, cap);
  }

  #touchMap(m: More, map: Map<string, DestinationState>, dst: string, ts: number, cap: number): DestinationState | null {
    const d = map.get(dst);
    if (d === undefined) return this.#insert(m, map, dst, ts, cap);
    if (dst !== m.mru) {
      map.delete(dst);
      map.set(dst, d);
      m.mru = dst;
    }
    return d;
  }

  #insert(m: More, map: Map<string, DestinationState>, dst: string, ts: number, cap: number): DestinationState | null {
    if (map.size >= cap) return this.#overflow(m, dst);
    const d = new DestinationState();
    map.set(dst, d);
    m.mru = dst;
    if (ts < m.minSeen) m.minSeen = ts;
    this.#count(m, dst);
    return d;
  }

  #overflow(m: More, dst: string): null {
    this.#ensureHll(m);
    (m.hll as HyperLogLog).add(dst);
    m.overflow++;
    return null;
  }

  /** Small tables: drop every expired entry and take the exact oldest of the rest. */
  #pruneSmall(m: More, cutoff: number): void {
    const keys = m.keys as string[];
    const vals = m.vals as DestinationState[];
    let min = NEVER;
    for (let i = vals.length - 1; i >= 0; i--) {
      const d = vals[i] as DestinationState;
      if (d.dstSeen >= cutoff) {
        if (d.dstSeen < min) min = d.dstSeen;
        continue;
      }
      this.#drop(m, d);
      keys.splice(i, 1);
      vals.splice(i, 1);
    }
    m.minSeen = min;
  }

  /** Large tables are in last-seen order: pop from the front. */
  #pruneMap(m: More, map: Map<string, DestinationState>, cutoff: number): void {
    let front = NEVER;
    for (const [k, d] of map) {
      if (d.dstSeen >= cutoff) {
        front = d.dstSeen;
        break;
      }
      this.#drop(m, d);
      map.delete(k);
    }
    m.minSeen = front;
  }

  #drop(m: More, d: DestinationState): void {
    this.#ensureHll(m);
    m.active--;
    if (d.qualified) m.qualified--;
    if (d.like) m.sweepLike--;
    if (d.dstPackets >= m.maxPackets) this.#maxDirty = true;
  }

  #count(m: More, dst: string): void {
    m.inserted++;
    m.hll?.add(dst);
    if (++m.active > m.peak) m.peak = m.active;
  }

  #ensureHll(m: More): void {
    if (m.hll !== null) return;
    const h = new HyperLogLog();
    // What keys() yields, without a generator (every new episode of a source comes here).
    if (m.map !== null) for (const k of m.map.keys()) h.add(k);
    else if (m.keys !== null) for (let i = 0; i < m.keys.length; i++) h.add(m.keys[i] as string);
    else if (this.#hasOne) h.add(this.#oneKey);
    m.hll = h;
  }
}
