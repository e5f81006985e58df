/**
 * Saved form of a source's destination window (DestinationTable):
 *
 *   { layout?: "one" | "small" | "map" (absent: no destination in the window),
 *     entries?: [[dst, seen, packets, portMin, portMax, proto0, flags, protoBits?], ...],
 *     minSeen?, mru?, hll?: [hash, ...] | "<base64, 1024 registers>",
 *     inserted?, peak?, overflow?, maxPackets?, maxDirty? }
 *
 * Entries are in the table's order (the map's is last-seen order, which
 * aging relies on). flags: 1 qualified, 2 pinged, 4 sweep-like, 8 the
 * table's own destination (the first one, kept in the source object).
 * active, qualifiedDsts and sweepLike are counted from the entries.
 */
import { SMALL, type DestinationTable, type TableSnapshot } from './destination-table.js';
import { DestinationState } from './destination-state.js';
import { NEVER } from './event-seconds.js';
import { HLL_MAX_RANK, HLL_REGISTERS, SPARSE_MAX, type HllSnapshot } from './hyperloglog.js';
import { StateError, fromBase64, int, intList, list, optInt, optTrue, record, text, toBase64, type Fields } from './state-fields.js';

export type SavedDestination = [string, number, number, number, number, number, number, number[]?];

export interface SavedTable {
  layout?: 'one' | 'small' | 'map';
  entries?: SavedDestination[];
  minSeen?: number;
  mru?: string;
  hll?: number[] | string;
  inserted?: number;
  peak?: number;
  overflow?: number;
  maxPackets?: number;
  maxDirty?: true;
}

const QUALIFIED = 1;
const PINGED = 2;
const LIKE = 4;
const OWN = 8;
/** Bound on event seconds (event-seconds.ts) in a saved file. */
export const TIME = 2 ** 40;

export function encodeTable(t: DestinationTable): SavedTable {
  const snap = t.tableSnapshot();
  const out: SavedTable = {};
  if (snap.layout !== 'none') out.layout = snap.layout;
  if (snap.entries.length > 0) out.entries = snap.entries.map(([k, d]) => encodeDestination(k, d, d === t));
  if (snap.minSeen !== NEVER) out.minSeen = snap.minSeen;
  if (snap.mru !== '') out.mru = snap.mru;
  if (snap.hll !== null) out.hll = 'registers' in snap.hll ? toBase64(snap.hll.registers) : snap.hll.sparse;
  if (snap.inserted !== 0) out.inserted = snap.inserted;
  if (t.peak !== 0) out.peak = t.peak;
  if (t.overflowPackets !== 0) out.overflow = t.overflowPackets;
  if (snap.maxPackets !== 0) out.maxPackets = snap.maxPackets;
  if (snap.maxDirty) out.maxDirty = true;
  return out;
}

function encodeDestination(k: string, d: DestinationState, own: boolean): SavedDestination {
  const flags = (d.qualified ? QUALIFIED : 0) | (d.pinged ? PINGED : 0) | (d.like ? LIKE : 0) | (own ? OWN : 0);
  const e: SavedDestination = [k, d.dstSeen, d.dstPackets, d.portMin, d.portMax, d.proto0, flags];
  if (d.protoBits !== null) e.push(Array.from(d.protoBits));
  return e;
}

/** Restores a saved window into `table` (a source not yet tracked). */
export function decodeTable(v: unknown, table: DestinationTable): void {
  const o = record(v, '');
  const layout = o.layout === undefined ? 'none' : o.layout;
  if (layout !== 'none' && layout !== 'one' && layout !== 'small' && layout !== 'map') throw new StateError('layout', `unknown layout ${JSON.stringify(layout)}`);
  const entries = decodeEntries(o, layout, table);
  const snap: TableSnapshot = {
    layout,
    entries,
    minSeen: optInt(o, 'minSeen', NEVER, -TIME, TIME),
    mru: o.mru === undefined ? '' : text(o.mru, 'mru'),
    hll: o.hll === undefined ? null : decodeHll(o.hll),
    inserted: optInt(o, 'inserted', 0),
    maxPackets: optInt(o, 'maxPackets', 0),
    maxDirty: optTrue(o, 'maxDirty'),
  };
  table.peak = optInt(o, 'peak', 0);
  table.overflowPackets = optInt(o, 'overflow', 0);
  if (table.peak < entries.length) throw new StateError('peak', 'below the destinations in the window');
  table.restoreTable(snap);
}

function decodeEntries(o: Fields, layout: TableSnapshot['layout'], table: DestinationTable): Array<[string, DestinationState]> {
  const a = o.entries === undefined ? [] : list(o.entries, 'entries');
  const max = layout === 'none' ? 0 : layout === 'one' ? 1 : layout === 'small' ? SMALL : Number.MAX_SAFE_INTEGER;
  if (a.length > max || (layout === 'one' && a.length !== 1)) throw new StateError('entries', `${a.length} entries in a "${layout}" window`);
  const out: Array<[string, DestinationState]> = [];
  const keys = new Set<string>();
  let own = false;
  for (let i = 0; i < a.length; i++) {
    const path = `entries[${i}]`;
    const e = list(a[i], path, 8);
    const key = text(e[0], `${path}[0]`);
    if (keys.has(key)) throw new StateError(path, `destination ${key} twice`);
    keys.add(key);
    const flags = int(e[6], `${path}[6]`, 0, 15);
    const isOwn = (flags & OWN) !== 0;
    if (isOwn && own) throw new StateError(path, "the table's own destination twice");
    if (layout === 'one' && !isOwn) throw new StateError(path, 'the only destination must be the table\'s own');
    own ||= isOwn;
    const d = isOwn ? table : new DestinationState();
    decodeDestination(e, flags, d, path);
    out.push([key, d]);
  }
  return out;
}

function decodeDestination(e: unknown[], flags: number, d: DestinationState, path: string): void {
  d.dstSeen = int(e[1], `${path}[1]`, -TIME, TIME);
  d.dstPackets = int(e[2], `${path}[2]`);
  d.portMin = int(e[3], `${path}[3]`, 0, 65536);
  d.portMax = int(e[4], `${path}[4]`, 0, 65535);
  d.proto0 = int(e[5], `${path}[5]`, -1, 255);
  d.qualified = (flags & QUALIFIED) !== 0;
  d.pinged = (flags & PINGED) !== 0;
  d.like = (flags & LIKE) !== 0;
  d.protoBits = null;
  d.protocols = d.proto0 >= 0 ? 1 : 0;
  if (e[7] === undefined) return;
  if (d.proto0 < 0) throw new StateError(`${path}[7]`, 'protocol bits without a first protocol');
  const bits = Int32Array.from(intList(e[7], `${path}[7]`, -(2 ** 31), 2 ** 31 - 1, 8));
  if ((bits[d.proto0 >>> 5]! & (1 << (d.proto0 & 31))) !== 0) throw new StateError(`${path}[7]`, 'the first protocol is also in the bits');
  d.protoBits = bits;
  for (const w of bits) for (let x = w; x !== 0; x &= x - 1) d.protocols++;
}

function decodeHll(v: unknown): HllSnapshot {
  if (typeof v === 'string') {
    const registers = fromBase64(v, 'hll', HLL_REGISTERS);
    if (registers.some((r) => r > HLL_MAX_RANK)) throw new StateError('hll', `a register above ${HLL_MAX_RANK}`);
    return { registers };
  }
  const sparse = intList(v, 'hll', 0, 0xffffffff);
  if (sparse.length > SPARSE_MAX || new Set(sparse).size !== sparse.length) throw new StateError('hll', `expected at most ${SPARSE_MAX} distinct hashes`);
  return { sparse };
}
