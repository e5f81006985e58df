/**
 * Saved detect state that is corrupt or foreign is refused with an Error
 * naming the bad field, and the tracker or counters it was meant for stay
 * exactly as they were (never half-applied). Whatever is accepted is safe:
 * packets can follow, reports can be built, and it saves again.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { importScan } from '../../src/daemon/scan-persistence.js';
import { cfgWith } from './packet-builder.js';
import { feed, fixturePackets, richPackets, stage, syntheticHits, view, type Stage } from './state-setup.js';

const tight = cfgWith({ SCAN_TIMEOUT: 600, MAX_DESTINATIONS_PER_SOURCE: 10, DL5_UNIQUE_HOSTS: 40, DL4_UNIQUE_HOSTS: 12, DL3_UNIQUE_HOSTS: 9, DL2_UNIQUE_HOSTS: 6, DL1_UNIQUE_HOSTS: 3, IPV6_AGGREGATE_PREFIX: 48 });
const rich = richPackets(3000, 11);

type Json = Record<string, unknown> | unknown[];

/** A filled stage and its saved state as parsed JSON (a fresh copy each call). */
function savedRich(): { st: Stage; scan: Record<string, unknown>; counters: Record<string, unknown> } {
  const st = stage(tight, { signatures: false });
  feed(st, rich.slice(0, 1800), syntheticHits);
  const copy = <T>(v: T): Record<string, unknown> => JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
  return { st, scan: copy(st.tracker.exportState()), counters: copy(st.counters.exportState()) };
}

/** A stage with other contents, to check that a refused import leaves them alone. */
function other(): Stage {
  const st = stage(tight, { signatures: false });
  feed(st, fixturePackets().slice(0, 400));
  return st;
}

function unchangedAfter(st: Stage, f: () => void): Error {
  const before = { scan: JSON.stringify(st.tracker.exportState()), counters: JSON.stringify(st.counters.exportState()), view: view(st) };
  let caught: unknown = null;
  try {
    f();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(Error);
  expect(JSON.stringify(st.tracker.exportState())).toBe(before.scan);
  expect(JSON.stringify(st.counters.exportState())).toBe(before.counters);
  expect(view(st)).toEqual(before.view);
  return caught as Error;
}

const at = (o: unknown, ...path: Array<string | number>): Json => path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], o) as Json;

type Src = unknown[];

/** Where the parts of a flat saved source start (as detect/state/source-codec.ts lays them out). */
function partsOf(src: Src): { tcp?: number; udp?: number; icmp?: number; table: number; rare: number | null } {
  const flags = src[12] as number;
  const out: { tcp?: number; udp?: number; icmp?: number; table: number; rare: number | null } = { table: 0, rare: null };
  let i = 21;
  for (const [name, bit] of [['tcp', 32], ['udp', 64], ['icmp', 128]] as const) {
    if ((flags & bit) === 0) continue;
    out[name] = i;
    i += 5 + 2 * (src[i + 3] as number);
  }
  out.table = i;
  i += 10 + 8 * (src[i + 9] as number);
  out.rare = i < src.length ? i : null;
  return out;
}

/** The ports field of a protocol record starting at `i`. */
const portsAt = (src: Src, i: number): number => i + 4 + 2 * (src[i + 3] as number);

/** The first saved source that satisfies `pred`. */
function sourceWith(scan: Record<string, unknown>, pred: (s: Src) => boolean): Src {
  const src = (scan.sources as Src[]).find(pred);
  expect(src, 'a source to corrupt').toBeDefined();
  return src as Src;
}

const rareOf = (src: Src): Record<string, unknown> => {
  const p = partsOf(src);
  if (p.rare === null) src.push({});
  return src[src.length - 1] as Record<string, unknown>;
};

describe('scan state', () => {
  test.each([
    ['null', null, /not a JSON object/],
    ['a number', 42, /not a JSON object/],
    ['an array', [], /not a JSON object/],
    ['another format', { format: 'tsad-global-counters', version: 1 }, /format "tsad-global-counters" is not "tsad-scan-state"/],
    ['a newer version', { format: 'tsad-scan-state', version: 2, sources: [] }, /version 2 \(this tsad reads version 1\)/],
    ['no sources', { format: 'tsad-scan-state', version: 1, clock: 0, stats: { evicted: 0, expired: 0 } }, /sources: expected an array/],
    ['a bad clock', { format: 'tsad-scan-state', version: 1, clock: 'now', stats: { evicted: 0, expired: 0 }, sources: [] }, /clock: expected a number/],
  ])('%s is refused', (_name, saved, msg) => {
    const st = other();
    const err = unchangedAfter(st, () => st.tracker.importState(saved));
    expect(err.message).toMatch(/^saved scan state rejected: /);
    expect(err.message).toMatch(msg);
  });

  const cases: Array<[string, (scan: Record<string, unknown>) => void, RegExp]> = [
    ['a level above 5', (s) => (sourceWith(s, () => true)[8] = 9), /sources\[0\] \([^)]+\)\.peakDl: expected an integer in 0\.\.5, got 9/],
    ['a current level above the peak', (s) => {
      const src = sourceWith(s, (x) => x[8] === 1 || x[8] === 2);
      src[7] = (src[8] as number) + 1;
    }, /\.dl: level [23] above the peak level [12]/],
    ['a family of 5', (s) => (sourceWith(s, () => true)[1] = 5), /\.family: expected 4 or 6/],
    ['times that are not numbers', (s) => (sourceWith(s, () => true)[2] = 'yesterday'), /\.lastSec: expected an integer/],
    ['a packet count that is not a number', (s) => (sourceWith(s, () => true)[6] = '12'), /\.packets: expected an integer .* got "12"/],
    ['a source twice', (s) => {
      const list = s.sources as Src[];
      list.push(list[0] as Src);
    }, /source .* twice/],
    ['a record cut short', (s) => (sourceWith(s, () => true).length = 15), /expected an integer in .* got nothing/],
    ['values after the record', (s) => sourceWith(s, (x) => partsOf(x).rare === null).push(1, 2), /2 values after the destination window/],
    ['udp in the tcp slot', (s) => {
      const src = sourceWith(s, (x) => partsOf(x).tcp !== undefined);
      src[(partsOf(src).tcp as number) + 1] = 17;
    }, /\.tcp\.num: protocol 17 in the tcp slot/],
    ['port ranges out of order', (s) => {
      const src = sourceWith(s, (x) => partsOf(x).tcp !== undefined && Array.isArray(x[portsAt(x, partsOf(x).tcp as number)]));
      src[portsAt(src, partsOf(src).tcp as number)] = [30, 40, 35, 50];
    }, /tcp\.ports\[2\]: ranges out of order or touching/],
    ['a port bitmap of the wrong size', (s) => {
      const src = sourceWith(s, (x) => partsOf(x).tcp !== undefined);
      src[portsAt(src, partsOf(src).tcp as number)] = 'AAAA';
    }, /tcp\.ports: expected 8192 bytes as base64/],
    ['ports for a protocol without ports', (s) => {
      const src = sourceWith(s, (x) => partsOf(x).icmp !== undefined);
      src[portsAt(src, partsOf(src).icmp as number)] = 80;
    }, /icmp\.ports: protocol (1|58) has no ports/],
    ['more kinds than the record holds', (s) => {
      const src = sourceWith(s, (x) => partsOf(x).tcp !== undefined);
      src[(partsOf(src).tcp as number) + 3] = 1e6;
    }, /tcp\.kinds: 1000000 items do not fit in the record/],
    ['an unknown window layout', (s) => {
      const src = sourceWith(s, () => true);
      src[partsOf(src).table] = 7;
    }, /dsts\.layout: expected an integer in 0\.\.3, got 7/],
    ['destination flags out of range', (s) => {
      const src = sourceWith(s, (x) => (x[partsOf(x).table + 9] as number) > 0);
      src[partsOf(src).table + 10 + 6] = 99;
    }, /dsts\.flags: expected an integer in 0\.\.15/],
    ['a single-destination window that is not the own one', (s) => {
      const src = sourceWith(s, (x) => x[partsOf(x).table] === 1);
      src[partsOf(src).table + 10 + 6] = (src[partsOf(src).table + 10 + 6] as number) & 7;
    }, /the only destination must be the table's own/],
    ['repeated HyperLogLog hashes', (s) => {
      const src = sourceWith(s, () => true);
      src[partsOf(src).table + 3] = [1, 1];
    }, /dsts\.hll: expected at most 32 distinct hashes/],
    ['a HyperLogLog register out of range', (s) => {
      const src = sourceWith(s, () => true);
      src[partsOf(src).table + 3] = Buffer.alloc(1024, 200).toString('base64');
    }, /dsts\.hll: a register above 23/],
    ['a scan class out of range', (s) => (sourceWith(s, () => true)[13] = 99), /\.cls0: expected an integer in -1\.\.11, got 99/],
    ['class counters of the wrong length', (s) => (rareOf(sourceWith(s, (x) => (x[13] as number) >= 0)).classes = [1, 2, 3]), /rare\.classes: expected 12 items/],
    ['class counters without a first class', (s) => {
      const src = sourceWith(s, (x) => partsOf(x).rare === null);
      src[13] = -1;
      rareOf(src).classes = Array.from({ length: 12 }, () => 0);
    }, /rare\.classes: counters without a first value/],
    ['a signature twice', (s) => {
      const sigs = rareOf(sourceWith(s, (x) => {
        const p = partsOf(x);
        return p.rare !== null && Array.isArray((x[p.rare] as Record<string, unknown>).signatures);
      })).signatures as unknown[];
      sigs.push(sigs[0]);
    }, /rare\.signatures\[\d+\]: sid \d+ twice/],
    ['more reasons than kept', (s) => (rareOf(sourceWith(s, () => true)).reasons = Array.from({ length: 17 }, () => 'x')), /\.rare\.reasons: more than 16 items/],
    ['addresses for a source that is not a prefix', (s) => (rareOf(sourceWith(s, (x) => ((x[12] as number) & 8) === 0)).addresses = ['192.0.2.1']), /rare\.addresses: addresses for a source that is not a prefix/],
  ];

  test.each(cases)('%s is refused, naming the field, and nothing changes', (_name, corrupt, msg) => {
    const { scan } = savedRich();
    corrupt(scan);
    const st = other();
    const err = unchangedAfter(st, () => st.tracker.importState(scan));
    expect(err.message).toMatch(/^saved scan state rejected: /);
    expect(err.message).toMatch(msg);
  });

  test('any single corruption is either refused (nothing changed) or safe to run on and save again', () => {
    const { scan: pristine } = savedRich();
    const paths: Array<Array<string | number>> = [];
    const walk = (v: unknown, path: Array<string | number>): void => {
      paths.push(path);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(pristine, []);
    const value = fc.oneof(
      fc.constantFrom(-1, 0, 1, 5, 6, 255, 256, 65535, 65536, 2 ** 32, 2 ** 41, -(2 ** 41), 1e15, 1e20, 0.5, -0.5, '', 'x', 'AAAA', true, false, null, [], {}, [0, 0], [1, 2, 3, 4]),
      fc.jsonValue({ maxDepth: 2 }),
    );
    let refused = 0;
    fc.assert(
      fc.property(fc.nat({ max: paths.length - 1 }), value, fc.boolean(), (i, v, remove) => {
        const scan = JSON.parse(JSON.stringify(pristine)) as Record<string, unknown>;
        const path = paths[i] as Array<string | number>;
        if (path.length === 0) return;
        const parent = at(scan, ...path.slice(0, -1)) as Record<string | number, unknown>;
        const key = path[path.length - 1] as string | number;
        if (remove && !Array.isArray(parent)) delete parent[key];
        else parent[key] = v;
        const st = other();
        let ok = true;
        try {
          st.tracker.prepareImport(scan);
        } catch (err) {
          ok = false;
          refused++;
          expect((err as Error).message).toMatch(/^saved scan state rejected: /);
          unchangedAfter(st, () => st.tracker.importState(scan));
        }
        if (!ok) return;
        st.tracker.importState(scan);
        feed(st, rich.slice(1800, 2100), syntheticHits);
        view(st);
        st.tracker.expire(Date.now());
        const again = JSON.parse(JSON.stringify(st.tracker.exportState())) as unknown;
        stage(tight, { signatures: false }).tracker.importState(again);
      }),
      { numRuns: 400 },
    );
    expect(refused).toBeGreaterThan(0);
  });
});

describe('global counters', () => {
  const cases: Array<[string, (c: Record<string, unknown>) => void, RegExp]> = [
    ['another format', (c) => (c.format = 'tsad-scan-state'), /format "tsad-scan-state" is not "tsad-global-counters"/],
    ['a port out of order', (c) => ((at(c, 'ports', 0) as unknown[])[1] = [80, 1, 22, 1]), /ports\[0\]\[1\]\[2\]: expected an integer in 81\.\.65535, got 22/],
    ['a zero count', (c) => ((c.protocols as unknown[]).push(['bogus', 0])), /protocols\[\d+\]\[1\]: expected an integer in 1\.\./],
    ['a prefix twice', (c) => {
      const p = c.prefixes as unknown[];
      p.push(p[0]);
    }, /prefixes\[\d+\]: ".*" twice/],
    ['signature sources that are not addresses', (c) => ((at(c, 'signatures', 0) as unknown as Record<string, unknown>).sources = [1]), /signatures\[0\]\.sources\[0\]: expected a string/],
  ];

  test.each(cases)('%s is refused and nothing changes', (_name, corrupt, msg) => {
    const { counters } = savedRich();
    corrupt(counters);
    const st = other();
    const err = unchangedAfter(st, () => st.counters.importState(counters));
    expect(err.message).toMatch(/^saved global counters rejected: /);
    expect(err.message).toMatch(msg);
  });
});

describe("the daemon's import (scan-persistence.ts)", () => {
  test('counters of another format next to a good scan state: neither object changes', () => {
    const { scan, counters } = savedRich();
    counters.format = 'tsad-scan-state';
    const st = other();
    unchangedAfter(st, () => importScan(st.tracker, st.counters, { scan, counters }));
  });

  test('a bad counters entry is left out with a warning; the rest of the counters and the whole scan state are kept', () => {
    const { st: from, scan, counters } = savedRich();
    const prefixes = counters.prefixes as unknown[];
    const n = prefixes.length;
    prefixes.push(['x', -1]);
    const st = other();
    const warnings: string[] = [];
    expect(importScan(st.tracker, st.counters, { scan, counters }, (m) => warnings.push(m))).toBe(true);
    expect(view(st)).toEqual(view(from));
    expect((st.counters.exportState().prefixes as unknown[]).length).toBe(n);
    expect(warnings).toEqual([expect.stringMatching(/^saved global counters: left out 1 unreadable part, kept the rest \(prefixes\[\d+\]\[1\]: expected an integer/)]);
  });

  test('poisoned sources are left out with a warning and every other source survives (issue 14)', () => {
    const { st: from, scan, counters } = savedRich();
    const list = scan.sources as Src[];
    const total = list.length;
    const poisoned = [list[3] as Src, list[7] as Src];
    // What an absurd timestamp or port once put there: a time no Date holds, a TTL of 1e15, a port above 65535.
    (poisoned[0] as Src)[2] = 1e21;
    (poisoned[1] as Src)[18] = 1e15;
    list.push(list[0] as Src); // and one source twice
    scan.clock = 1e24;
    const keys = poisoned.map((p) => p[0] as string);
    const others = (x: Stage): unknown[] => (view(x) as { sources: Array<{ src: string }> }).sources.filter((r) => !keys.includes(r.src));
    const st = other();
    const warnings: string[] = [];
    expect(importScan(st.tracker, st.counters, { scan, counters }, (m) => warnings.push(m))).toBe(true);
    expect(st.tracker.size).toBe(total - 2);
    for (const k of keys) expect(st.tracker.get(k)).toBeUndefined();
    expect(others(st)).toEqual(others(from));
    expect(others(st)).toHaveLength(total - 2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^saved scan state: left out 4 unreadable parts, kept the rest \(sources\[3\] \([^)]+\)\.lastSec: .*; and 1 more\)$/);
    // What was kept saves and reads back whole.
    const again = JSON.parse(JSON.stringify(st.tracker.exportState())) as unknown;
    const back = stage(tight, { signatures: false });
    expect(importScan(back.tracker, back.counters, { scan: again, counters: null })).toBe(true);
    expect(back.tracker.size).toBe(total - 2);
  });

  test('export never writes what import refuses: an inline class or tool count past 2^32 (a long flood) reads back', () => {
    const { st: from } = savedRich();
    // get(): sources() may hand out a copy of a packed one-packet source.
    const found = [...from.tracker.sources()].find((x) => x.cls0 >= 0 && x.classes === null);
    expect(found).toBeDefined();
    const s = from.tracker.get(found!.key);
    (s as { cls0n: number }).cls0n = 2 ** 32 + 5;
    const back = stage(tight, { signatures: false });
    back.tracker.importState(JSON.parse(JSON.stringify(from.tracker.exportState())));
    expect(back.tracker.get(s!.key)?.cls0n).toBe(2 ** 32 + 5);
  });

  test('good state is taken in whole', () => {
    const { st: from, scan, counters } = savedRich();
    const st = other();
    expect(importScan(st.tracker, st.counters, { scan, counters })).toBe(true);
    expect(view(st)).toEqual(view(from));
  });
});

describe('global counters of a full port sweep (saved as the whole table)', () => {
  /** Counters that saw 5,000 TCP ports twice and one UDP port: TCP over the dense limit, UDP as pairs. */
  function swept(): Stage {
    const st = stage(tight, { signatures: false });
    const base = fixturePackets().find((p) => p.proto === 'tcp' && p.dport >= 0);
    if (base === undefined) throw new Error('no TCP packet in the fixtures');
    for (let round = 0; round < 2; round++) for (let port = 1; port <= 5000; port++) st.counters.observe({ ...base, dport: port }, null);
    const udp = fixturePackets().find((p) => p.proto === 'udp' && p.dport >= 0);
    if (udp !== undefined) st.counters.observe(udp, null);
    return st;
  }

  test('round trip: base64 for the swept protocol, pairs for the sparse one, the same counts after import', () => {
    const from = swept();
    const saved = JSON.parse(JSON.stringify(from.counters.exportState())) as Record<string, unknown>;
    const ports = saved.ports as Array<[string, unknown]>;
    expect(typeof ports.find(([p]) => p === 'tcp')?.[1]).toBe('string');
    expect(ports.filter(([p]) => p !== 'tcp').every(([, v]) => Array.isArray(v))).toBe(true);
    const back = stage(tight, { signatures: false });
    back.counters.importState(saved);
    expect(JSON.stringify(back.counters.exportState())).toBe(JSON.stringify(saved));
    const all = from.counters.topPorts(70_000);
    expect(all.filter((t) => t.proto === 'tcp' && t.packets >= 2).length).toBeGreaterThanOrEqual(5000);
    expect(back.counters.topPorts(70_000)).toEqual(all);
  });

  test('the pairs form older versions wrote for a swept protocol still loads', () => {
    const from = swept();
    const saved = JSON.parse(JSON.stringify(from.counters.exportState())) as Record<string, unknown>;
    const ports = saved.ports as Array<[string, unknown]>;
    const i = ports.findIndex(([p]) => p === 'tcp');
    const table = Buffer.from(ports[i]![1] as string, 'base64');
    const pairs: number[] = [];
    for (let port = 0; port < 65536; port++) if (table.readDoubleLE(port * 8) > 0) pairs.push(port, table.readDoubleLE(port * 8));
    ports[i] = ['tcp', pairs];
    const back = stage(tight, { signatures: false });
    back.counters.importState(saved);
    expect(back.counters.topPorts(70_000)).toEqual(from.counters.topPorts(70_000));
  });

  test.each([
    ['a negative count', -1],
    ['a fraction', 0.5],
    ['not a number', Number.NaN],
  ])('%s in the table is refused and nothing changes', (_name, bad) => {
    const saved = JSON.parse(JSON.stringify(swept().counters.exportState())) as Record<string, unknown>;
    const ports = saved.ports as Array<[string, unknown]>;
    const i = ports.findIndex(([p]) => p === 'tcp');
    const table = Buffer.from(ports[i]![1] as string, 'base64');
    table.writeDoubleLE(bad, 443 * 8);
    ports[i] = ['tcp', table.toString('base64')];
    const st = other();
    const err = unchangedAfter(st, () => st.counters.importState(saved));
    expect(err.message).toMatch(/ports\[\d+\]\[1\]\[443\]: expected a count/);
  });

  test('a table of the wrong length is refused', () => {
    const saved = JSON.parse(JSON.stringify(swept().counters.exportState())) as Record<string, unknown>;
    const ports = saved.ports as Array<[string, unknown]>;
    const i = ports.findIndex(([p]) => p === 'tcp');
    ports[i] = ['tcp', Buffer.alloc(800).toString('base64')];
    const st = other();
    expect(unchangedAfter(st, () => st.counters.importState(saved)).message).toMatch(/expected 524288 bytes as base64/);
  });
});
