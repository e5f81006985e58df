/**
 * Saved form of a source's destination window (DestinationTable), written
 * into the source's flat tuple:
 *
 *   layout, minAge, mru, hll, inserted, peak, overflow, maxPackets, maxDirty, count,
 *   then `count` destinations of 8 values: dst, age, packets, portMin, portMax, proto0, flags, protoBits
 *
 * Times are ages: seconds before the source's last packet (lastSec).
 * layout: 0 no destination in the window, 1 the table's own only, 2 short
 * arrays, 3 map; destinations are in the table's order (the map's is
 * last-seen order, which aging relies on). minAge: the age of the window's
 * oldest-last-seen bound, null when empty. mru: last destination moved in
 * the map. hll: 0 (none), up to 32 exact hashes, or the 1024 registers as
 * base64. maxDirty: 0 or 1. flags: 1 qualified, 2 pinged, 4 sweep-like,
 * 8 the table's own destination (kept in the source object itself).
 * protoBits: 0 or 8 words. active, qualifiedDsts and sweepLike are counted
 * from the destinations.
 */
import { SMALL, type DestinationTable, type TableSnapshot } from '../destination-table.js';
import { DestinationState } from '../destination-state.js';
import { NEVER } from '../event-seconds.js';
import { HLL_MAX_RANK, HLL_REGISTERS, SPARSE_MAX, type HllSnapshot } from '../hyperloglog.js';
import { StateError, fromBase64, int, intList, toBase64, type Cursor } from './state-fields.js';

const LAYOUTS = ['none', 'one', 'small', 'map'] as const;
const STRIDE = 8;
const QUALIFIED = 1;
const PINGED = 2;
const LIKE = 4;
const OWN = 8;
/** Bound on event seconds (event-seconds.ts) in a saved file. */
export const TIME = 2 ** 40;

/** `base`: the source's last second, from which times are saved as ages. */
export function encodeTable(t: DestinationTable, base: number, out: unknown[]): void {
  const snap = t.tableSnapshot();
  const hll = snap.hll === null ? 0 : 'registers' in snap.hll ? toBase64(snap.hll.registers) : snap.hll.sparse;
  const minAge = snap.minSeen === NEVER ? null : base - snap.minSeen;
  out.push(LAYOUTS.indexOf(snap.layout), minAge, snap.mru, hll, snap.inserted, snap.peak, snap.overflow, snap.maxPackets, snap.maxDirty ? 1 : 0, snap.entries.length);
  for (const [k, d] of snap.entries) {
    const flags = (d.qualified ? QUALIFIED : 0) | (d.pinged ? PINGED : 0) | (d.like ? LIKE : 0) | (d === t ? OWN : 0);
    out.push(k, base - d.dstSeen, d.dstPackets, d.portMin, d.portMax, d.proto0, flags, d.protoBits === null ? 0 : Array.from(d.protoBits));
  }
}

/** Restores a saved window into `table` (a source not yet tracked) whose last second is `base`. */
export function decodeTable(c: Cursor, table: DestinationTable, base: number): void {
  const layout = LAYOUTS[c.int('dsts.layout', 0, 3)] as TableSnapshot['layout'];
  const minAge = c.next('dsts.minAge');
  const snap: TableSnapshot = {
    layout,
    entries: [],
    minSeen: minAge === null ? NEVER : base - int(minAge, 'dsts.minAge', -TIME, TIME),
    mru: c.text('dsts.mru'),
    hll: decodeHll(c.next('dsts.hll')),
    inserted: c.int('dsts.inserted'),
    maxPackets: 0,
    maxDirty: false,
    peak: c.int('dsts.peak'),
    overflow: c.int('dsts.overflow'),
  };
  snap.maxPackets = c.int('dsts.maxPackets');
  snap.maxDirty = c.int('dsts.maxDirty', 0, 1) === 1;
  const n = c.count('dsts.count', STRIDE);
  const max = layout === 'none' ? 0 : layout === 'one' ? 1 : layout === 'small' ? SMALL : Number.MAX_SAFE_INTEGER;
  if (n > max || (layout === 'one' && n !== 1)) throw new StateError('dsts.count', `${n} destinations in a "${layout}" window`);
  if (snap.peak < n) throw new StateError('dsts.peak', `${snap.peak} is below the ${n} destinations in the window`);
  snap.entries = decodeEntries(c, n, layout, table, base);
  table.restoreTable(snap);
}

function decodeEntries(c: Cursor, n: number, layout: TableSnapshot['layout'], table: DestinationTable, base: number): Array<[string, DestinationState]> {
  const out: Array<[string, DestinationState]> = [];
  const keys = n > 1 ? new Set<string>() : null;
  let own = false;
  for (let i = 0; i < n; i++) {
    const key = c.text('dsts.dst');
    if (keys !== null) {
      if (keys.has(key)) throw new StateError('dsts.dst', `destination ${key} twice`);
      keys.add(key);
    }
    const d = decodeDestination(c, table, own, base);
    if (layout === 'one' && d !== table) throw new StateError('dsts.flags', "the only destination must be the table's own");
    own ||= d === table;
    out.push([key, d]);
  }
  return out;
}

/** One destination's state: the table itself when flagged as its own, else a new one. */
function decodeDestination(c: Cursor, table: DestinationTable, ownSeen: boolean, base: number): DestinationState {
  const seen = base - c.int('dsts.age', -TIME, TIME);
  const packets = c.int('dsts.packets');
  const portMin = c.int('dsts.portMin', 0, 65536);
  const portMax = c.int('dsts.portMax', 0, 65535);
  const proto0 = c.int('dsts.proto0', -1, 255);
  const flags = c.int('dsts.flags', 0, 15);
  if ((flags & OWN) !== 0 && ownSeen) throw new StateError('dsts.flags', "the table's own destination twice");
  const d = (flags & OWN) !== 0 ? table : new DestinationState();
  d.dstSeen = seen;
  d.dstPackets = packets;
  d.portMin = portMin;
  d.portMax = portMax;
  d.proto0 = proto0;
  d.qualified = (flags & QUALIFIED) !== 0;
  d.pinged = (flags & PINGED) !== 0;
  d.like = (flags & LIKE) !== 0;
  d.protoBits = decodeProtoBits(c.next('dsts.protoBits'), proto0);
  return d;
}

function decodeProtoBits(v: unknown, proto0: number): Int32Array | null {
  if (v === 0) return null;
  if (proto0 < 0) throw new StateError('dsts.protoBits', 'protocol bits without a first protocol');
  const bits = Int32Array.from(intList(v, 'dsts.protoBits', -(2 ** 31), 2 ** 31 - 1, 8));
  if ((bits[proto0 >>> 5]! & (1 << (proto0 & 31))) !== 0) throw new StateError('dsts.protoBits', 'the first protocol is also in the bits');
  return bits;
}

function decodeHll(v: unknown): HllSnapshot | null {
  if (v === 0) return null;
  if (typeof v === 'string') {
    const registers = fromBase64(v, 'dsts.hll', HLL_REGISTERS);
    if (registers.some((r) => r > HLL_MAX_RANK)) throw new StateError('dsts.hll', `a register above ${HLL_MAX_RANK}`);
    return { registers };
  }
  const sparse = intList(v, 'dsts.hll', 0, 0xffffffff);
  if (sparse.length > SPARSE_MAX || new Set(sparse).size !== sparse.length) throw new StateError('dsts.hll', `expected at most ${SPARSE_MAX} distinct hashes`);
  return { sparse };
}
