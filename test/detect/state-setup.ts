/**
 * Shared by the state-*.test.ts files: the real captures parsed with the real
 * parser, a detect pipeline (filter, real signatures, OS fingerprints,
 * ScanTracker, GlobalCounters) as the daemon runs it, and what a tracker
 * shows from outside (every source's report, the global counters, stats).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createParseContext, parseLine } from '../../src/parse/index.js';
import { defaultConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/keys/index.js';
import type { Packet } from '../../src/model/packet.js';
import type { SignatureHit } from '../../src/model/signature.js';
import { pkt } from './packet-builder.js';
import { loadSignatureSet, signaturePaths, type SignatureSet } from '../../src/signatures/index.js';
import {
  createPacketFilter, GlobalCounters, loadFingerprints, ScanTracker, shippedFingerprintsPath, sourceReport, type FingerprintDb, type PacketFilter,
} from '../../src/detect/index.js';

const CAPTURED = 'fixtures/captured';

let fixtureCache: Packet[] | null = null;

/** Every packet of fixtures/captured/<ruleset>/<scan>.kern.log, file after file. */
export function fixturePackets(): Packet[] {
  if (fixtureCache !== null) return fixtureCache;
  const out: Packet[] = [];
  for (const ruleset of readdirSync(CAPTURED, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const f of readdirSync(join(CAPTURED, ruleset)).filter((n) => n.endsWith('.kern.log')).sort()) {
      const ctx = createParseContext({ year: 2026 });
      for (const line of readFileSync(join(CAPTURED, ruleset, f), 'utf8').split('\n')) {
        const p = parseLine(line, ctx);
        if (p !== null && typeof p === 'object') out.push(p);
      }
    }
  }
  return (fixtureCache = out);
}

let sigCache: SignatureSet | null = null;
let fpCache: FingerprintDb | null = null;

function signatures(): SignatureSet {
  return (sigCache ??= loadSignatureSet({ paths: signaturePaths(defaultConfig()), cfg: defaultConfig(), ruleDlFile: '' }).set);
}

function fingerprints(): FingerprintDb {
  return (fpCache ??= loadFingerprints(shippedFingerprintsPath(), 30).db);
}

export interface Stage {
  cfg: Config;
  tracker: ScanTracker;
  counters: GlobalCounters;
  filter: PacketFilter;
  /** Level changes reported by the tracker, as text. */
  events: string[];
  /** Signature hits for a packet (the real rule set, unless turned off). */
  hitsOf?: (p: Packet) => SignatureHit[] | null;
}

export function stage(cfg: Config = defaultConfig(), opts: { signatures?: boolean } = {}): Stage {
  const events: string[] = [];
  const tracker = new ScanTracker(cfg, {
    osFingerprints: fingerprints(),
    onLevelChange: (s, from, to, reason) => events.push(`${s.key} ${from}->${to} ${reason}`),
  });
  const sigs = opts.signatures === false ? null : signatures();
  const st: Stage = { cfg, tracker, counters: new GlobalCounters(cfg), filter: createPacketFilter(cfg), events };
  if (sigs !== null) st.hitsOf = (p) => sigs.match(p);
  return st;
}

/** Feeds packets as the daemon's pipeline does (skips counted, DL-0 signature matches ignored). */
export function feed(st: Stage, packets: readonly Packet[], hitsOf?: (p: Packet) => SignatureHit[] | null): void {
  for (const p of packets) {
    const why = st.filter(p);
    if (why !== null) {
      st.counters.skipped(p, why);
      continue;
    }
    let hits = (hitsOf ?? st.hitsOf)?.(p) ?? null;
    if (hits !== null && hits.every((h) => h.dl === 0)) {
      st.counters.skipped(p, 'signature-ignore');
      continue;
    }
    if (hits !== null) hits = hits.filter((h) => h.dl > 0);
    st.counters.observe(p, hits);
    st.tracker.observe(p, hits);
  }
}

/** What the tracker and counters show: every source's report in tracking order, the counters, the stats. */
export function view(st: Stage): unknown {
  const c = st.counters;
  return {
    sources: [...st.tracker.sources()].map((s) => sourceReport(s, st.cfg)),
    stats: { ...st.tracker.stats },
    counters: { ports: c.topPorts(1e9), sigs: c.topSignatures(1e9), prefixes: c.logPrefixes(), protocols: c.protocols(), skips: c.skipReasons() },
  };
}

/** A new stage with `cfg` holding what `from` saved, through JSON text as on disk. */
export function restored(from: Stage, cfg: Config = from.cfg, opts: { signatures?: boolean } = {}): Stage {
  const text = JSON.stringify({ scan: from.tracker.exportState(), counters: from.counters.exportState() });
  const saved = JSON.parse(text) as { scan: unknown; counters: unknown };
  const st = stage(cfg, opts);
  st.tracker.importState(saved.scan);
  st.counters.importState(saved.counters);
  return st;
}

/** Deterministic pseudo-random numbers (a 32-bit LCG), so a scenario is the same on every run. */
export function lcg(seed: number): (n: number) => number {
  let x = seed >>> 0;
  return (n) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x % n;
  };
}

const T = Date.UTC(2026, 2, 10, 12, 0, 0);
const PROTOS: ReadonlyArray<[string, number]> = [['tcp', 6], ['tcp', 6], ['udp', 17], ['icmp', 1], ['sctp', 132], ['gre', 47], ['udplite', 136]];

/**
 * Synthetic packets that reach every form the saved state has: port sets as
 * one port, ranges and bitmap; destination windows in the inline, small-array
 * and map layouts, overflowing into HyperLogLog registers; aggregated IPv6
 * prefixes with more than 64 addresses; other protocols, ICMP kinds (valid
 * and not), IP options, OS-like SYNs, tool marks; times that jump back,
 * repeat, go missing (NaN) or leap past SCAN_TIMEOUT.
 */
export function richPackets(n: number, seed: number): Packet[] {
  const r = lcg(seed);
  const out: Packet[] = [];
  let ts = T;
  for (let i = 0; i < n; i++) {
    const jump = r(100);
    ts += jump < 2 ? 5_000_000 : jump < 6 ? -r(20_000) : r(400);
    const { src, dst, dport } = richAddresses(r);
    const v6 = src.includes(':');
    const [proto0, num0] = PROTOS[r(PROTOS.length)] as [string, number];
    const icmp = num0 === 1;
    const num = icmp && v6 ? 58 : num0;
    const ports = num === 6 || num === 17 || num === 132 || num === 136;
    out.push(pkt({
      ts: r(200) === 0 ? Number.NaN : ts, src, dst, family: v6 ? 6 : 4, proto: icmp && v6 ? 'icmp6' : proto0, protoNum: num, dport: ports ? dport : -1,
      chain: (['INPUT', 'INPUT', 'INPUT', 'OUTPUT', 'FORWARD'] as const)[r(5)], ttl: 30 + r(226),
      tcpFlags: num === 6 ? ([2, 2, 2, 1, 0, 41, 16, 18] as const)[r(8)] : 0,
      tcpOpts: num === 6 ? ['', '020405B4', '020405B40402080A61A19162000000000103030A'][r(3)] : '',
      window: num === 6 ? [1024, 64240, 65535][r(3)] : -1, id: v6 ? -1 : [54321, 1, 777][r(3)],
      icmpType: icmp ? (v6 ? 128 + r(3) : [0, 3, 8, 13, 99][r(5)]) : -1, icmpCode: icmp ? [0, 1, 20][r(3)] : -1,
      ipOpts: !v6 && r(50) === 0 ? '830700000000' : '', prefix: ['DROP', 'DROP', 'REJECT in', 'fw-log'][r(4)],
    }));
  }
  return out;
}

/**
 * Who sends to whom: a wide scanner (random ports to 250 hosts: bitmap,
 * map layout, overflow), an IPv6 host hopping over 400 addresses of its
 * prefix, a flood of one-packet sources (eviction), a port-range scanner,
 * and regular sources on few ports and hosts.
 */
function richAddresses(r: (n: number) => number): { src: string; dst: string; dport: number } {
  const k = r(40);
  if (k < 8) return { src: '203.0.113.250', dst: `198.51.100.${r(250)}`, dport: r(65536) };
  if (k < 10) return { src: `2001:db8:1::${r(400).toString(16)}`, dst: `2001:db8:ff::${r(200).toString(16)}`, dport: 22 };
  if (k < 14) return { src: `192.0.2.${r(256)}`, dst: `198.51.100.${r(5)}`, dport: 23 };
  if (k < 17) return { src: '203.0.113.251', dst: `198.51.100.${r(3)}`, dport: 1 + r(300) * 3 };
  if (k < 30) return { src: `203.0.113.${r(10)}`, dst: `198.51.100.${r(30)}`, dport: k < 22 ? 22 : 20 + r(12) };
  return { src: `2001:db8:${2 + r(3)}::${r(3)}`, dst: `2001:db8:ff::${r(20).toString(16)}`, dport: 22 };
}

/** Synthetic signature hits: a few sids at different levels, some at DL 0. */
export function syntheticHits(p: Packet): SignatureHit[] | null {
  const h = (p.dport * 7 + p.ttl) % 23;
  if (h > 3) return null;
  return [{ sid: 100 + h, msg: `test rule ${h}`, dl: h, classtype: 'attempted-recon' }];
}
