/**
 * GlobalCounters' saved state:
 *
 *   { format: "tsad-global-counters", version: 1,
 *     prefixes: [[prefix, lines], ...], protocols: [[name, packets], ...],
 *     skips: [[reason, packets], ...],
 *     ports: [[protocol, [port, packets, port, packets, ...]], ...]  (ports ascending, only those hit),
 *            or [protocol, "base64"] when more than DENSE_PORTS ports were hit: the
 *            whole table, 65,536 little-endian doubles (a list of 100,000+ numbers
 *            took 15-40 ms to build on every save, in the daemon's event loop),
 *     signatures: [{ sid, msg, dl, hits, proto, sources: [address, ...] }, ...] }
 */
import { AddressSet } from '../address-set.js';
import { StateError, checkHeader, doublesFromBase64, doublesToBase64, int, intAt, list, record, rejected, text, textList, type Fields } from './state-fields.js';

export const COUNTERS_FORMAT = 'tsad-global-counters';
export const COUNTERS_VERSION = 1;

export interface SigCounter {
  msg: string;
  sid: number;
  dl: number;
  hits: number;
  proto: string;
  sources: AddressSet;
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
  ports: Array<[string, number[] | string]>;
  signatures: Array<{ sid: number; msg: string; dl: number; hits: number; proto: string; sources: string[] }>;
}

/** Ports hit above which a protocol's table is saved whole (base64) rather than as port, packets pairs. */
const DENSE_PORTS = 4096;

function encodePorts(arr: Float64Array): number[] | string {
  let n = 0;
  for (let port = 0; port < arr.length; port++) if (arr[port]! > 0) n++;
  if (n > DENSE_PORTS) return doublesToBase64(arr);
  const flat = new Array<number>(2 * n);
  let k = 0;
  for (let port = 0; port < arr.length; port++) {
    const v = arr[port]!;
    if (v > 0) {
      flat[k++] = port;
      flat[k++] = v;
    }
  }
  return flat;
}

export function encodeCounters(m: CounterMaps): SavedCounters {
  const ports: Array<[string, number[] | string]> = [];
  for (const [proto, arr] of m.ports) ports.push([proto, encodePorts(arr)]);
  return {
    format: COUNTERS_FORMAT,
    version: COUNTERS_VERSION,
    prefixes: [...m.prefixes],
    protocols: [...m.protocols],
    skips: [...m.skips],
    ports,
    signatures: [...m.sigs.values()].map((c) => ({ sid: c.sid, msg: c.msg, dl: c.dl, hits: c.hits, proto: c.proto, sources: c.sources.values() })),
  };
}

/** GlobalCounters' caps: distinct log prefixes kept (one more counts the rest), sources kept per signature. */
export const COUNTER_LIMITS = { prefixes: 1000, sigSources: 100_000 } as const;

/** Checked counters, built apart from any GlobalCounters; `limits` are its caps. */
export function decodeCounters(v: unknown, limits: { prefixes: number; sigSources: number }): CounterMaps {
  const o = checkHeader(v, COUNTERS_FORMAT, COUNTERS_VERSION, 'global counters');
  try {
    return decodeParts(o, limits, null);
  } catch (err) {
    throw rejected('global counters', err);
  }
}

/**
 * What can be kept of saved counters that decodeCounters refuses: each entry
 * (prefix, protocol, skip reason, a protocol's ports, signature) that reads
 * on its own; the others are dropped and described in `problems`. Returns
 * the kept counters in saved form. Throws only on a foreign header.
 */
export function salvageCounters(v: unknown, problems: string[], limits: { prefixes: number; sigSources: number } = COUNTER_LIMITS): SavedCounters {
  const o = checkHeader(v, COUNTERS_FORMAT, COUNTERS_VERSION, 'global counters');
  return encodeCounters(decodeParts(o, limits, problems));
}

/** problems null: the first bad entry throws; otherwise bad entries are noted there and left out. */
function decodeParts(o: Fields, limits: { prefixes: number; sigSources: number }, problems: string[] | null): CounterMaps {
  return {
    prefixes: decodeTallies(o.prefixes, 'prefixes', problems, limits.prefixes + 1),
    protocols: decodeTallies(o.protocols, 'protocols', problems),
    skips: decodeTallies(o.skips, 'skips', problems),
    ports: decodePorts(o.ports, problems),
    sigs: decodeSignatures(o.signatures, limits.sigSources, problems),
  };
}

/** The entries of a saved list, each read by `read`; in salvage mode (problems) a bad list or entry is noted and skipped. */
function entries(v: unknown, path: string, problems: string[] | null, read: (e: unknown, path: string) => void, max?: number): void {
  let a: unknown[];
  try {
    a = list(v, path, problems === null ? max : undefined);
  } catch (err) {
    if (problems === null || !(err instanceof StateError)) throw err;
    problems.push(err.message);
    return;
  }
  const n = problems === null || max === undefined ? a.length : Math.min(a.length, max);
  if (n < a.length) problems?.push(`${path}: more than ${max} items (the rest left out)`);
  for (let i = 0; i < n; i++) {
    try {
      read(a[i], `${path}[${i}]`);
    } catch (err) {
      if (problems === null || !(err instanceof StateError)) throw err;
      problems.push(err.message);
    }
  }
}

function decodeTallies(v: unknown, path: string, problems: string[] | null, max?: number): Map<string, number> {
  const m = new Map<string, number>();
  entries(v, path, problems, (x, at) => {
    const e = list(x, at, 2);
    const k = text(e[0], `${at}[0]`);
    if (m.has(k)) throw new StateError(at, `${JSON.stringify(k)} twice`);
    m.set(k, int(e[1], `${at}[1]`, 1));
  }, max);
  return m;
}

function decodePorts(v: unknown, problems: string[] | null): Map<string, Float64Array> {
  const m = new Map<string, Float64Array>();
  entries(v, 'ports', problems, (x, path) => {
    const e = list(x, path, 2);
    const proto = text(e[0], `${path}[0]`);
    if (m.has(proto)) throw new StateError(path, `protocol ${proto} twice`);
    if (typeof e[1] === 'string') {
      m.set(proto, doublesFromBase64(e[1], `${path}[1]`, 65536));
      return;
    }
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
  });
  return m;
}

function decodeSignatures(v: unknown, maxSources: number, problems: string[] | null): Map<number, SigCounter> {
  const m = new Map<number, SigCounter>();
  entries(v, 'signatures', problems, (x, path) => {
    const o = record(x, path);
    const sid = int(o.sid, `${path}.sid`);
    if (m.has(sid)) throw new StateError(`${path}.sid`, `sid ${sid} twice`);
    const sources = new AddressSet();
    for (const a of textList(o.sources, `${path}.sources`, maxSources)) sources.add(a);
    m.set(sid, { sid, msg: text(o.msg, `${path}.msg`), dl: int(o.dl, `${path}.dl`, 0, 5), hits: int(o.hits, `${path}.hits`), proto: text(o.proto, `${path}.proto`), sources });
  });
  return m;
}
