/**
 * GlobalCounters' saved state:
 *
 *   { format: "tsad-global-counters", version: 1,
 *     prefixes: [[prefix, lines], ...], protocols: [[name, packets], ...],
 *     skips: [[reason, packets], ...],
 *     ports: [[protocol, [port, packets, port, packets, ...]], ...]  (ports ascending, only those hit),
 *     signatures: [{ sid, msg, dl, hits, proto, sources: [address, ...] }, ...] }
 */
import { StateError, checkHeader, int, intAt, list, record, rejected, text, textList } from './state-fields.js';

export const COUNTERS_FORMAT = 'tsad-global-counters';
export const COUNTERS_VERSION = 1;

export interface SigCounter {
  msg: string;
  sid: number;
  dl: number;
  hits: number;
  proto: string;
  sources: Set<string>;
}

/** The counters' maps, as GlobalCounters keeps them. */
export interface CounterMaps {
  ports: Map<string, Float64Array>;
  protocols: Map<string, number>;
  prefixes: Map<string, number>;
  sigs: Map<number, SigCounter>;
  skips: Map<string, number>;
}

export interface SavedCounters {
  format: typeof COUNTERS_FORMAT;
  version: typeof COUNTERS_VERSION;
  prefixes: Array<[string, number]>;
  protocols: Array<[string, number]>;
  skips: Array<[string, number]>;
  ports: Array<[string, number[]]>;
  signatures: Array<{ sid: number; msg: string; dl: number; hits: number; proto: string; sources: string[] }>;
}

export function encodeCounters(m: CounterMaps): SavedCounters {
  const ports: Array<[string, number[]]> = [];
  for (const [proto, arr] of m.ports) {
    const flat: number[] = [];
    for (let port = 0; port < arr.length; port++) if (arr[port]! > 0) flat.push(port, arr[port]!);
    ports.push([proto, flat]);
  }
  return {
    format: COUNTERS_FORMAT,
    version: COUNTERS_VERSION,
    prefixes: [...m.prefixes],
    protocols: [...m.protocols],
    skips: [...m.skips],
    ports,
    signatures: [...m.sigs.values()].map((c) => ({ sid: c.sid, msg: c.msg, dl: c.dl, hits: c.hits, proto: c.proto, sources: [...c.sources] })),
  };
}

/** Checked counters, built apart from any GlobalCounters; `limits` are its caps. */
export function decodeCounters(v: unknown, limits: { prefixes: number; sigSources: number }): CounterMaps {
  const o = checkHeader(v, COUNTERS_FORMAT, COUNTERS_VERSION, 'global counters');
  try {
    return {
      prefixes: decodeTallies(o.prefixes, 'prefixes', limits.prefixes + 1),
      protocols: decodeTallies(o.protocols, 'protocols'),
      skips: decodeTallies(o.skips, 'skips'),
      ports: decodePorts(o.ports),
      sigs: decodeSignatures(o.signatures, limits.sigSources),
    };
  } catch (err) {
    throw rejected('global counters', err);
  }
}

function decodeTallies(v: unknown, path: string, max?: number): Map<string, number> {
  const a = list(v, path, max);
  const m = new Map<string, number>();
  for (let i = 0; i < a.length; i++) {
    const e = list(a[i], `${path}[${i}]`, 2);
    const k = text(e[0], `${path}[${i}][0]`);
    if (m.has(k)) throw new StateError(`${path}[${i}]`, `${JSON.stringify(k)} twice`);
    m.set(k, int(e[1], `${path}[${i}][1]`, 1));
  }
  return m;
}

function decodePorts(v: unknown): Map<string, Float64Array> {
  const a = list(v, 'ports');
  const m = new Map<string, Float64Array>();
  for (let i = 0; i < a.length; i++) {
    const path = `ports[${i}]`;
    const e = list(a[i], path, 2);
    const proto = text(e[0], `${path}[0]`);
    if (m.has(proto)) throw new StateError(path, `protocol ${proto} twice`);
    const flat = list(e[1], `${path}[1]`, 2 * 65536);
    if (flat.length % 2 !== 0) throw new StateError(`${path}[1]`, 'expected port, packets pairs');
    const arr = new Float64Array(65536);
    let prev = -1;
    for (let j = 0; j < flat.length; j += 2) {
      const port = intAt(flat, j, `${path}[1]`, prev + 1, 65535);
      arr[port] = intAt(flat, j + 1, `${path}[1]`, 1);
      prev = port;
    }
    m.set(proto, arr);
  }
  return m;
}

function decodeSignatures(v: unknown, maxSources: number): Map<number, SigCounter> {
  const a = list(v, 'signatures');
  const m = new Map<number, SigCounter>();
  for (let i = 0; i < a.length; i++) {
    const path = `signatures[${i}]`;
    const o = record(a[i], path);
    const sid = int(o.sid, `${path}.sid`);
    if (m.has(sid)) throw new StateError(`${path}.sid`, `sid ${sid} twice`);
    const sources = new Set(textList(o.sources, `${path}.sources`, maxSources));
    m.set(sid, { sid, msg: text(o.msg, `${path}.msg`), dl: int(o.dl, `${path}.dl`, 0, 5), hits: int(o.hits, `${path}.hits`), proto: text(o.proto, `${path}.proto`), sources });
  }
  return m;
}
