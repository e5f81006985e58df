/**
 * Saved form of a source's protocol record (ProtoStat and the PortSet it
 * extends):
 *
 *   { name, num, packets, kinds?: [kind, packets, kind, packets, ...],
 *     ports?: port | [lo, hi, lo, hi, ...] | "<base64 bitmap, 8 KiB LE>" }
 *
 * The port set keeps its form (one port, ranges, bitmap) across a restart.
 */
import { MAX_RANGES, PORT_WORDS, type PortSetSnapshot } from './port-set.js';
import { ProtoStat } from './proto-stat.js';
import { StateError, inside, int, list, record, text, wordsFromBase64, wordsToBase64, type Fields } from './state-fields.js';

export interface SavedProto {
  name: string;
  num: number;
  packets: number;
  kinds?: number[];
  ports?: number | number[] | string;
}

/** Protocols whose destination ports are counted (as SourceState.proto decides). */
export function protoHasPorts(num: number): boolean {
  return num === 6 || num === 17 || num === 132 || num === 136;
}

export function encodeProto(ps: ProtoStat): SavedProto {
  const out: SavedProto = { name: ps.name, num: ps.num, packets: ps.packets };
  const kinds = ps.kinds();
  if (kinds.length > 0) out.kinds = kinds.flat();
  const ports = encodePorts(ps.portSnapshot());
  if (ports !== undefined) out.ports = ports;
  return out;
}

function encodePorts(snap: PortSetSnapshot): SavedProto['ports'] {
  if (snap === null) return undefined;
  if ('port' in snap) return snap.port;
  if ('ranges' in snap) return Array.from(snap.ranges);
  return wordsToBase64(snap.bits);
}

export function decodeProto(v: unknown): ProtoStat {
  const o = record(v, '');
  const num = int(o.num, 'num', -1, 255);
  const ps = new ProtoStat(text(o.name, 'name'), num, protoHasPorts(num));
  ps.packets = int(o.packets, 'packets');
  if (o.kinds !== undefined) ps.restoreKinds(decodeKinds(o.kinds));
  if (o.ports !== undefined) {
    if (!ps.hasPorts) throw new StateError('ports', `protocol ${num} has no ports`);
    ps.restorePorts(decodePorts(o.ports));
  }
  return ps;
}

function decodeKinds(v: unknown): Array<[number, number]> {
  const a = list(v, 'kinds');
  if (a.length % 2 !== 0) throw new StateError('kinds', 'expected kind, packets pairs');
  const out: Array<[number, number]> = [];
  const seen = new Set<number>();
  for (let i = 0; i < a.length; i += 2) {
    const k = int(a[i], `kinds[${i}]`, 0, 0xffffff);
    if (seen.has(k)) throw new StateError(`kinds[${i}]`, `kind ${k} twice`);
    seen.add(k);
    out.push([k, int(a[i + 1], `kinds[${i + 1}]`, 1)]);
  }
  return out;
}

function decodePorts(v: unknown): PortSetSnapshot {
  if (typeof v === 'number') return { port: int(v, 'ports', 0, 65535) };
  if (typeof v === 'string') {
    const bits = wordsFromBase64(v, 'ports', PORT_WORDS);
    if (bits.every((w) => w === 0)) throw new StateError('ports', 'empty bitmap');
    return { bits };
  }
  const a = list(v, 'ports', MAX_RANGES * 2);
  if (a.length === 0 || a.length % 2 !== 0) throw new StateError('ports', 'expected lo, hi pairs');
  const r = new Uint16Array(a.length);
  let prev = -2;
  for (let i = 0; i < a.length; i += 2) {
    const lo = int(a[i], `ports[${i}]`, 0, 65535);
    const hi = int(a[i + 1], `ports[${i + 1}]`, lo, 65535);
    if (lo <= prev + 1) throw new StateError(`ports[${i}]`, 'ranges out of order or touching');
    r[i] = lo;
    r[i + 1] = prev = hi;
  }
  return { ranges: r };
}

/** A protocol record in one of a source's fixed slots (tcp, udp, icmp) must carry that slot's protocol. */
export function decodeSlot(o: Fields, key: 'tcp' | 'udp' | 'icmp'): ProtoStat | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  const ps = decodeProtoAt(v, key);
  const ok = key === 'tcp' ? ps.num === 6 : key === 'udp' ? ps.num === 17 : ps.num === 1 || ps.num === 58;
  if (!ok) throw new StateError(`${key}.num`, `protocol ${ps.num} in the ${key} slot`);
  return ps;
}

export function decodeProtoAt(v: unknown, path: string): ProtoStat {
  return inside(path, () => decodeProto(v));
}
