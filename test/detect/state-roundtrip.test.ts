/**
 * Saving and restoring the detect state (ScanTracker and GlobalCounters
 * exportState/importState) changes nothing that can be seen: on the real
 * captures and on synthetic streams that reach every saved form, a restored
 * tracker reports the same, and continuing a stream after a save/restore at
 * any point gives what the uninterrupted stream gives (reports, counters,
 * level changes, and the saved state itself).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Config } from '../../src/config/keys/index.js';
import { defaultConfig } from '../../src/config/load.js';
import type { Packet } from '../../src/model/packet.js';
import type { SignatureHit } from '../../src/model/signature.js';
import { SCAN_STATE_VERSION } from '../../src/detect/index.js';
import { T0, cfgWith, pkt, portScan } from './packet-builder.js';
import { feed, fixturePackets, restored, richPackets, stage, syntheticHits, view, type Stage } from './state-setup.js';

/** Small windows and caps, so a few thousand packets reach every layout, overflow and episode. */
const tight = cfgWith({
  SCAN_TIMEOUT: 600, MAX_DESTINATIONS_PER_SOURCE: 10, DL1_UNIQUE_HOSTS: 3, DL2_UNIQUE_HOSTS: 6, DL3_UNIQUE_HOSTS: 9,
  DL4_UNIQUE_HOSTS: 12, DL5_UNIQUE_HOSTS: 40, IPV6_AGGREGATE_PREFIX: 48, MAX_TRACKED_SOURCES: 100,
});
const persistent = cfgWith({ ENABLE_PERSISTENCE: 'Y', IPV4_AGGREGATE_PREFIX: 30, MIN_DANGER_LEVEL: 0 });

type Hits = ((p: Packet) => SignatureHit[] | null) | undefined;

const ALL_FORMS = [
  'layout one', 'layout small', 'layout map', 'own among others', 'overflow', 'hll sparse', 'hll registers', 'mru', 'max dirty',
  'ports one', 'ports ranges', 'ports bitmap', 'kinds several', 'others', 'classes', 'tools', 'prefix key', 'addresses truncated',
  'signatures', 'invalid icmp', 'ip options', 'os', 'file tool', 'reasons', 'sweep', 'proto bits', 'chains', 'tcp udp icmp several',
] as const;

/** The forms of state the tracker holds now (each must survive a save and restore). */
function forms(st: Stage): Set<(typeof ALL_FORMS)[number]> {
  const f = new Set<(typeof ALL_FORMS)[number]>();
  for (const s of st.tracker.sources()) {
    const t = s.tableSnapshot();
    if (t.layout !== 'none') f.add(`layout ${t.layout}`);
    if (t.layout !== 'one' && t.entries.some(([, d]) => d === s)) f.add('own among others');
    if (t.entries.some(([, d]) => d.protoBits !== null)) f.add('proto bits');
    if (s.overflowPackets > 0) f.add('overflow');
    if (t.hll !== null) f.add('registers' in t.hll ? 'hll registers' : 'hll sparse');
    if (t.mru !== '') f.add('mru');
    if (t.maxDirty) f.add('max dirty');
    for (const ps of s.protocolStats()) {
      const p = ps.portSnapshot();
      if (p !== null) f.add('port' in p ? 'ports one' : 'ranges' in p ? 'ports ranges' : 'ports bitmap');
      if (ps.kinds().length > 1) f.add('kinds several');
    }
    const checks: Array<[boolean, (typeof ALL_FORMS)[number]]> = [
      [s.others !== null, 'others'], [s.classes !== null, 'classes'], [s.tools !== null, 'tools'], [s.addresses !== null, 'prefix key'],
      [s.addressesTruncated, 'addresses truncated'], [s.signatures !== null, 'signatures'], [s.invalidIcmp !== null, 'invalid icmp'],
      [s.ipOptions !== null, 'ip options'], [s.osGuess !== null, 'os'], [s.fileTool !== null, 'file tool'], [s.reasons !== null, 'reasons'], [s.sweep, 'sweep'],
      [s.outbound + s.forward > 0, 'chains'], [[s.tcp, s.udp, s.icmp].filter((x) => x !== null).length > 1, 'tcp udp icmp several'],
    ];
    for (const [yes, name] of checks) if (yes) f.add(name);
  }
  return f;
}

/** Feeds `packets` whole into one stage, and split at `at` with a save/restore in between into another; both must agree. */
function splitAgrees(cfg: Config, packets: readonly Packet[], at: number, hits: Hits, signatures = true): void {
  const whole = stage(cfg, { signatures });
  feed(whole, packets.slice(0, at), hits);
  const before = whole.events.length;
  const saved = JSON.stringify(whole.tracker.exportState());
  const cont: Stage = restored(whole, cfg, { signatures });
  feed(whole, packets.slice(at), hits);
  feed(cont, packets.slice(at), hits);
  expect(view(cont)).toEqual(view(whole));
  expect(cont.events).toEqual(whole.events.slice(before));
  expect(cont.tracker.exportState()).toEqual(whole.tracker.exportState());
  expect(cont.counters.exportState()).toEqual(whole.counters.exportState());
  // The saved copy did not change while the original went on.
  expect(saved).not.toBe('');
}

describe('round trip on the real captures', () => {
  const packets = fixturePackets();

  test('the captures are there and exercise the saved parts', () => {
    expect(packets.length).toBeGreaterThan(2500);
    const st = stage();
    feed(st, packets);
    const saved = st.tracker.exportState();
    expect(saved.version).toBe(SCAN_STATE_VERSION);
    const seen = forms(st);
    for (const f of ['signatures', 'os', 'prefix key', 'layout small', 'ports ranges']) expect(seen, f).toContain(f);
    expect(Object.keys(st.counters.logPrefixes()).length).toBeGreaterThan(0);
  });

  test('export -> JSON -> import: every source report, counter and stat is the same', () => {
    const st = stage();
    feed(st, packets);
    const copy = restored(st);
    expect(view(copy)).toEqual(view(st));
    expect(copy.events).toEqual([]); // importing reports no level change
    expect(copy.tracker.exportState()).toEqual(st.tracker.exportState());
    expect(copy.counters.exportState()).toEqual(st.counters.exportState());
  });

  test('importing into a non-empty tracker replaces its contents', () => {
    const a = stage();
    feed(a, packets.slice(0, 500));
    const b = stage();
    feed(b, packets.slice(1500));
    b.tracker.importState(JSON.parse(JSON.stringify(a.tracker.exportState())));
    b.counters.importState(JSON.parse(JSON.stringify(a.counters.exportState())));
    expect(view(b)).toEqual(view(a));
  });

  test('split anywhere, save, restore, continue: the same as without the split', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: packets.length }), fc.boolean(), (at, keep) => splitAgrees(keep ? persistent : defaultConfig(), packets, at, undefined)),
      { numRuns: 25 },
    );
  });

  test('the saved object shares nothing with the tracker', () => {
    const st = stage();
    feed(st, packets.slice(0, 1000));
    const saved = st.tracker.exportState();
    const text = JSON.stringify(saved);
    feed(st, packets.slice(1000));
    expect(JSON.stringify(saved)).toBe(text);
  });
});

describe('round trip on synthetic streams', () => {
  const rich = richPackets(6000, 7);

  test('the stream reaches every saved form', () => {
    // Looked at every 500 packets: windows reset after long silences, so each form shows at some point.
    const st = stage(tight, { signatures: false });
    const seen = new Set<string>();
    for (let at = 0; at < rich.length; at += 500) {
      feed(st, rich.slice(at, at + 500), syntheticHits);
      for (const f of forms(st)) seen.add(f);
    }
    // A stale maximum needs a quiet window after a busy destination: its own test below.
    expect([...seen].sort()).toEqual(ALL_FORMS.filter((f) => f !== 'max dirty').sort());
    expect(st.tracker.stats.evicted).toBeGreaterThan(0);
  });

  test('a stale maximum (the busiest destination aged out) is kept as such', () => {
    const cfg = cfgWith({ SCAN_TIMEOUT: 60 });
    const list = [
      ...[0, 1, 2, 3, 4].map((i) => pkt({ dst: '198.51.100.1', dport: 20 + i, ts: T0 + i * 1000 })),
      pkt({ dst: '198.51.100.2', ts: T0 + 50_000 }),
      pkt({ dst: '198.51.100.3', ts: T0 + 100_000 }),
    ];
    const st = stage(cfg, { signatures: false });
    feed(st, list);
    expect(forms(st)).toContain('max dirty');
    splitAgrees(cfg, [...list, ...portScan(12, { dst: '198.51.100.4' }, 1).map((p) => ({ ...p, ts: p.ts + 101_000 }))], list.length, undefined, false);
  });

  test('export -> JSON -> import -> export is the identity', () => {
    const st = stage(tight, { signatures: false });
    feed(st, rich, syntheticHits);
    const copy = restored(st, tight, { signatures: false });
    expect(copy.tracker.exportState()).toEqual(st.tracker.exportState());
    expect(view(copy)).toEqual(view(st));
  });

  test('split anywhere in the rich stream (tight and persistent settings): the same as without the split', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: rich.length }), fc.boolean(), (at, keep) => splitAgrees(keep ? persistent : tight, rich, at, syntheticHits, false)),
      { numRuns: 30 },
    );
  });

  test('random short streams, random split, with expiry between packets', () => {
    const expiring = cfgWith({ SCAN_TIMEOUT: 60, MAX_DESTINATIONS_PER_SOURCE: 10, DL5_UNIQUE_HOSTS: 12, DL4_UNIQUE_HOSTS: 10, DL3_UNIQUE_HOSTS: 8, DL2_UNIQUE_HOSTS: 5, DL1_UNIQUE_HOSTS: 2 });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 400 }), fc.nat(), (seed, n, split) => {
        const packets = richPackets(n, seed);
        const at = split % (n + 1);
        const whole = stage(expiring, { signatures: false });
        const run = (st: Stage, list: readonly Packet[]): void => {
          for (const [i, p] of list.entries()) {
            feed(st, [p], syntheticHits);
            if (i % 50 === 49 && Number.isFinite(p.ts)) st.tracker.expire(p.ts);
          }
        };
        run(whole, packets.slice(0, at));
        const before = whole.events.length;
        const cont = restored(whole, expiring, { signatures: false });
        run(whole, packets.slice(at));
        run(cont, packets.slice(at));
        expect(view(cont)).toEqual(view(whole));
        expect(cont.events).toEqual(whole.events.slice(before));
        expect(cont.tracker.exportState()).toEqual(whole.tracker.exportState());
      }),
      { numRuns: 60 },
    );
  });
});
