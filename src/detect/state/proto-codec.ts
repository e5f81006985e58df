/**
 * Saved form of a source's protocol record (ProtoStat and the PortSet it
 * extends), written into the source's flat tuple:
 *
 *   name, num, packets, kindCount, kind, packets, kind, packets, ..., ports
 *
 * kinds: TCP flag bits, or ICMP type * 256 + code. ports: -1 (none), a
 * port, [lo, hi, lo, hi, ...] (sorted ranges), or the 8 KiB bitmap as
 * base64 (little-endian 32-bit words): the set keeps its form.
 */
import { MAX_RANGES, PORT_WORDS, type PortSetSnapshot } from '../port-set.js';
import { ProtoStat } from '../proto-stat.js';
import { StateError, int, intAt, list, wordsFromBase64, wordsToBase64, type Cursor } from './state-fields.js';

/** Field names for errors, made once per place a record can be. */
export interface ProtoNames {
  name: string;
  num: string;
  packets: string;
  kinds: string;
  ports: string;
}

export function protoNames(at: string): ProtoNames {
  return { name: `${at}.name`, num: `${at}.num`, packets: `${at}.packets`, kinds: `${at}.kinds`, ports: `${at}.ports` };
}

/** Protocols whose destination ports are counted (as SourceState.proto decides). */
export function protoHasPorts(num: number): boolean {
  return num === 6 || num === 17 || num === 132 || num === 136;
}

export function encodeProto(ps: ProtoStat, out: unknown[]): void {
  const kinds = ps.kinds();
  out.push(ps.name, ps.num, ps.packets, kinds.length);
  for (const [k, n] of kinds) out.push(k, n);
  out.push(encodePorts(ps.portSnapshot()));
}

function encodePorts(snap: PortSetSnapshot): number | number[] | string {
  if (snap === null) return -1;
  if ('port' in snap) return snap.port;
  if ('ranges' in snap) return Array.from(snap.ranges);
  return wordsToBase64(snap.bits);
}

export function decodeProto(c: Cursor, n: ProtoNames): ProtoStat {
  const name = c.text(n.name);
  const num = c.int(n.num, -1, 255);
  const ps = new ProtoStat(name, num, protoHasPorts(num));
  ps.packets = c.int(n.packets);
  const kinds: Array<[number, number]> = [];
  for (let i = c.count(n.kinds, 2); i > 0; i--) {
    const k = c.int(n.kinds, 0, 0xffffff);
    for (const [seen] of kinds) if (seen === k) throw new StateError(n.kinds, `kind ${k} twice`);
    kinds.push([k, c.int(n.kinds, 1)]);
  }
  ps.restoreKinds(kinds);
  const ports = c.next(n.ports);
  if (ports !== -1) {
    if (!ps.hasPorts) throw new StateError(n.ports, `protocol ${num} has no ports`);
    ps.restorePorts(decodePorts(ports, n.ports));
  }
  return ps;
}

function decodePorts(v: unknown, path: string): PortSetSnapshot {
  if (typeof v === 'number') return { port: int(v, path, 0, 65535) };
  if (typeof v === 'string') {
    const bits = wordsFromBase64(v, path, PORT_WORDS);
    if (bits.every((w) => w === 0)) throw new StateError(path, 'empty bitmap');
    return { bits };
  }
  const a = list(v, path, MAX_RANGES * 2);
  if (a.length === 0 || a.length % 2 !== 0) throw new StateError(path, 'expected lo, hi pairs');
  const r = new Uint16Array(a.length);
  let prev = -2;
  for (let i = 0; i < a.length; i += 2) {
    const lo = intAt(a, i, path, 0, 65535);
    const hi = intAt(a, i + 1, path, lo, 65535);
    if (lo <= prev + 1) throw new StateError(`${path}[${i}]`, 'ranges out of order or touching');
    r[i] = lo;
    r[i + 1] = prev = hi;
  }
  return { ranges: r };
}
