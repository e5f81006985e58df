/**
 * Whole-run counters for the report's topPorts, topSignatures and
 * logPrefixes, and psad's "Total protocol packet counters". As in psad, log
 * prefixes are counted for every firewall line (except those ignored for
 * their prefix), and ports and protocols for every scored packet plus those
 * dropped by an auto_dl level 0 entry (psad counted them before the drop).
 */
import type { Config } from '../config/keys/index.js';
import type { Packet, SkipReason } from '../model/packet.js';
import type { Report } from '../model/report.js';
import type { SignatureHit } from '../model/signature.js';
import { AddressSet } from './address-set.js';
import { COUNTER_LIMITS, decodeCounters, encodeCounters, type CounterMaps, type SavedCounters, type SigCounter } from './state/counters-state.js';

const MAX_PREFIXES = COUNTER_LIMITS.prefixes;
const OTHER_PREFIX = '(other prefixes)';
const MAX_SIG_SOURCES = COUNTER_LIMITS.sigSources;
/** Slots of the signature counters' cache (a power of two). */
const SIG_SLOTS = 64;

/**
 * One thread's counters of a partitioned analysis (see absorb()): plain data
 * a worker thread can post. Signature sources are sent as counts (the
 * threads' sources are disjoint), with the line of each signature's first hit.
 */
export interface CounterPart {
  ports: Array<[string, Float64Array]>;
  protocols: Array<[string, number]>;
  prefixes: Array<[string, number]>;
  /** With CounterOptions.prefixOrder: the line of each prefix's first count, in the order of `prefixes`. */
  prefixFirst?: number[];
  skips: Array<[string, number]>;
  sigs: Array<{ sid: number; msg: string; dl: number; hits: number; proto: string; first: number; sources: number }>;
}

export interface CounterOptions {
  /**
   * Count log prefixes in observe() and skipped() (default). A partitioned
   * analysis counts them in one thread only, for every packet, through
   * prefix(): the first MAX_PREFIXES prefixes of the whole log are kept by
   * name, so they must be counted in the log's order.
   */
  prefixes?: boolean;
  /**
   * Count every prefix by name, uncapped, with the line (seq) of its first
   * count: each thread of a partitioned analysis counts its own packets'
   * prefixes, and absorb() keeps the first MAX_PREFIXES of the whole log.
   */
  prefixOrder?: boolean;
}

export class GlobalCounters {
  #ports = new Map<string, Float64Array>();
  #protocols = new Map<string, number>();
  #prefixes = new Map<string, number>();
  #sigs = new Map<number, SigCounter>();
  #skips = new Map<string, number>();
  readonly #countPrefixes: boolean;
  readonly #prefixOrder: boolean;
  /** prefixOrder: the line of each prefix's first count; absorbed: [count, first line] of every thread's prefixes. */
  readonly #prefixFirst = new Map<string, number>();
  readonly #orderedPrefixes = new Map<string, [number, number]>();
  /** Where each signature's first hit was (a line number), for merging threads; -1 outside a partitioned analysis. */
  readonly #firstHit = new Map<number, number>();
  /** Sources of a signature counted by other threads (merged counts; their addresses are not kept). */
  readonly #moreSources = new Map<number, number>();
  /** The line being counted (set by a partitioned pipeline), for #firstHit. */
  seq = -1;
  /**
   * Runs of packets with the same log prefix, and with the same protocol:
   * consecutive lines nearly always share both, so a run is counted here and
   * added to its Map entry when it ends or before a Map is read (#settle):
   * one Map update per run instead of one per packet. The run's prefix was
   * counted under #runKey (itself, or OTHER_PREFIX past the cap).
   */
  #runPrefix = '';
  #runKey = '';
  #runPrefixCount = 0;
  #runProto = '';
  #runProtoCount = 0;
  /** The port counts of the last protocol counted (#ports' entry for #portsProto). */
  #portsProto = '';
  #portsOf: Float64Array | null = null;
  /**
   * Counters of signatures counted before, direct-mapped on the low bits of
   * the sid (SIG_SLOTS), tried before the Map: every packet of a flood hits
   * a rule or two, each a Map lookup otherwise.
   */
  readonly #sigOf: Array<SigCounter | null> = new Array<SigCounter | null>(SIG_SLOTS).fill(null);

  /** The configuration is accepted for symmetry with the other stage objects; nothing in it applies yet. */
  constructor(_cfg?: Config, o: CounterOptions = {}) {
    this.#countPrefixes = o.prefixes ?? true;
    this.#prefixOrder = o.prefixOrder ?? false;
  }

  /** All counters as JSON data sharing nothing with this object (state/counters-state.ts). */
  exportState(): SavedCounters {
    this.#settle();
    return encodeCounters({ ports: this.#ports, protocols: this.#protocols, prefixes: this.#prefixes, sigs: this.#sigs, skips: this.#skips });
  }

  /** Checks saved counters and builds them apart; the returned function swaps them in. Throws, changing nothing, when unusable. */
  prepareImport(saved: unknown): () => void {
    const m = decodeCounters(saved, { prefixes: MAX_PREFIXES, sigSources: MAX_SIG_SOURCES });
    return () => this.#adopt(m);
  }

  /** Replaces all counters with saved ones (exportState() of this or another instance). */
  importState(saved: unknown): void {
    this.prepareImport(saved)();
  }

  #adopt(m: CounterMaps): void {
    // The runs' counts belong to the counters being replaced.
    this.#runPrefix = this.#runKey = this.#runProto = this.#portsProto = '';
    this.#runPrefixCount = this.#runProtoCount = 0;
    this.#portsOf = null;
    this.#sigOf.fill(null);
    this.#ports = m.ports;
    this.#protocols = m.protocols;
    this.#prefixes = m.prefixes;
    this.#sigs = m.sigs;
    this.#skips = m.skips;
  }

  /** A scored packet (skipped: the reason when the filter dropped it; the same as calling skipped()). */
  observe(p: Packet, hits: readonly SignatureHit[] | null, skipped?: SkipReason | null): void {
    if (skipped !== undefined && skipped !== null) {
      this.skipped(p, skipped);
      return;
    }
    if (this.#countPrefixes) this.prefix(p);
    this.#traffic(p);
    if (hits !== null) for (const h of hits) if (h.dl > 0) this.#signature(p, h);
  }

  /** A packet the filter dropped; pass the reason so ports count as psad did. */
  skipped(p: Packet, reason?: SkipReason): void {
    if (reason !== undefined) this.#skips.set(reason, (this.#skips.get(reason) ?? 0) + 1);
    if (reason !== 'ignored-prefix' && this.#countPrefixes) this.prefix(p);
    if (reason === 'auto-dl-ignore') this.#traffic(p);
  }

  /** Counts the packet's log prefix (observe() and skipped() do, unless prefixes are counted apart). */
  prefix(p: Packet): void {
    const prefix = p.prefix;
    if (prefix === '') return;
    if (prefix === this.#runPrefix) {
      this.#runPrefixCount++;
      return;
    }
    this.#settlePrefixes();
    const m = this.#prefixes;
    let key = prefix;
    if (this.#prefixOrder) {
      const n = m.get(prefix);
      m.set(prefix, (n ?? 0) + 1);
      if (n === undefined) this.#prefixFirst.set(prefix, this.seq);
    } else {
      if (!(m.has(prefix) || m.size < MAX_PREFIXES)) key = OTHER_PREFIX;
      m.set(key, (m.get(key) ?? 0) + 1);
    }
    this.#runPrefix = prefix;
    this.#runKey = key;
  }

  #settlePrefixes(): void {
    if (this.#runPrefixCount === 0) return;
    const m = this.#prefixes;
    m.set(this.#runKey, (m.get(this.#runKey) ?? 0) + this.#runPrefixCount);
    this.#runPrefixCount = 0;
  }

  #settleProtocols(): void {
    if (this.#runProtoCount === 0) return;
    const m = this.#protocols;
    m.set(this.#runProto, (m.get(this.#runProto) ?? 0) + this.#runProtoCount);
    this.#runProtoCount = 0;
  }

  /** Adds the runs' counts to the Maps (before anything reads them). */
  #settle(): void {
    this.#settlePrefixes();
    this.#settleProtocols();
  }

  #traffic(p: Packet): void {
    const proto = p.proto;
    if (proto === this.#runProto) this.#runProtoCount++;
    else {
      this.#settleProtocols();
      this.#protocols.set(proto, (this.#protocols.get(proto) ?? 0) + 1);
      this.#runProto = proto;
    }
    const pn = p.protoNum;
    if ((pn === 6 || pn === 17 || pn === 136 || pn === 132) && p.dport >= 0 && p.dport <= 65535) {
      let arr = this.#portsOf;
      if (proto !== this.#portsProto || arr === null) {
        arr = this.#ports.get(proto) ?? null;
        if (arr === null) this.#ports.set(proto, (arr = new Float64Array(65536)));
        this.#portsProto = proto;
        this.#portsOf = arr;
      }
      arr[p.dport]!++;
    }
  }

  #signature(p: Packet, h: SignatureHit): void {
    const sid = h.sid;
    const slot = sid & (SIG_SLOTS - 1);
    const cached = this.#sigOf[slot] as SigCounter | null;
    let c = cached !== null && cached.sid === sid ? cached : this.#sigs.get(sid);
    if (c === undefined) {
      this.#sigs.set(sid, (c = { msg: h.msg, sid, dl: h.dl, hits: 0, proto: p.proto, sources: new AddressSet() }));
      if (this.seq >= 0) this.#firstHit.set(sid, this.seq);
    }
    this.#sigOf[slot] = c;
    c.hits++;
    if (h.dl > c.dl) c.dl = h.dl;
    if (c.sources.size < MAX_SIG_SOURCES) c.sources.add(p.src);
  }

  /** The n most scanned destination ports over all protocols (packets desc, then protocol, then port). */
  topPorts(n: number): Report['topPorts'] {
    const all: Report['topPorts'] = [];
    for (const [proto, arr] of this.#ports) {
      for (let port = 0; port < 65536; port++) if (arr[port]! > 0) all.push({ proto, port, packets: arr[port]! });
    }
    all.sort((a, b) => b.packets - a.packets || (a.proto < b.proto ? -1 : a.proto > b.proto ? 1 : 0) || a.port - b.port);
    return all.slice(0, n);
  }

  /** The n signatures with the most hits (hits desc, then sid); `sources` is capped at 100,000. */
  topSignatures(n: number): Report['topSignatures'] {
    return [...this.#sigs.values()]
      .sort((a, b) => b.hits - a.hits || a.sid - b.sid)
      .slice(0, n)
      .map((c) => ({ msg: c.msg, sid: c.sid, dl: c.dl, hits: c.hits, sources: Math.min(MAX_SIG_SOURCES, c.sources.size + (this.#moreSources.get(c.sid) ?? 0)), proto: c.proto }));
  }

  /** Distinct log prefixes counted by name. */
  get prefixNames(): number {
    // A run's prefix is in the Map already: its count does not change the size.
    return this.#prefixes.size;
  }

  /** This thread's counters of a partitioned analysis, to be absorbed by the thread that reports. */
  part(): CounterPart {
    this.#settle();
    const prefixes = [...this.#prefixes];
    return {
      ports: [...this.#ports],
      protocols: [...this.#protocols],
      prefixes,
      ...(this.#prefixOrder ? { prefixFirst: prefixes.map(([k]) => this.#prefixFirst.get(k) ?? -1) } : {}),
      skips: [...this.#skips],
      sigs: [...this.#sigs.values()].map((c) => ({ sid: c.sid, msg: c.msg, dl: c.dl, hits: c.hits, proto: c.proto, first: this.#firstHit.get(c.sid) ?? -1, sources: c.sources.size })),
    };
  }

  /**
   * Adds another thread's counters of the same log (partitioned by source):
   * sums, the highest level, each signature's message and protocol from its
   * first hit in the log, and its sources counted up to the cap (the threads'
   * sources are disjoint, so the sum is the number of distinct sources).
   */
  absorb(o: CounterPart): void {
    this.#settle();
    for (const [proto, arr] of o.ports) {
      const mine = this.#ports.get(proto);
      if (mine === undefined) this.#ports.set(proto, arr);
      else for (let i = 0; i < arr.length; i++) mine[i]! += arr[i]!;
    }
    addTallies(this.#protocols, o.protocols);
    if (o.prefixFirst === undefined) addTallies(this.#prefixes, o.prefixes);
    else {
      o.prefixes.forEach(([k, n], i) => {
        const first = o.prefixFirst?.[i] ?? -1;
        const had = this.#orderedPrefixes.get(k);
        if (had === undefined) this.#orderedPrefixes.set(k, [n, first]);
        else {
          had[0] += n;
          if (first < had[1]) had[1] = first;
        }
      });
    }
    addTallies(this.#skips, o.skips);
    for (const x of o.sigs) {
      const c = this.#sigs.get(x.sid);
      if (c === undefined) {
        this.#sigs.set(x.sid, { msg: x.msg, sid: x.sid, dl: x.dl, hits: x.hits, proto: x.proto, sources: new AddressSet() });
        this.#firstHit.set(x.sid, x.first);
        this.#moreSources.set(x.sid, x.sources);
        continue;
      }
      c.hits += x.hits;
      if (x.dl > c.dl) c.dl = x.dl;
      if (x.first < (this.#firstHit.get(x.sid) ?? Infinity)) {
        c.msg = x.msg;
        c.proto = x.proto;
        this.#firstHit.set(x.sid, x.first);
      }
      this.#moreSources.set(x.sid, (this.#moreSources.get(x.sid) ?? 0) + x.sources);
    }
  }

  /** Log prefix -> lines, most frequent first (after 1000 distinct prefixes the rest are pooled). */
  logPrefixes(): Record<string, number> {
    this.#settlePrefixes();
    if (this.#orderedPrefixes.size === 0) return sortedRecord(this.#prefixes);
    // As prefix() would have counted them in the log's order: the first MAX_PREFIXES by name, the rest pooled.
    const m = new Map(this.#prefixes);
    const byFirst = [...this.#orderedPrefixes].sort((a, b) => a[1][1] - b[1][1]);
    for (const [k, [n]] of byFirst) {
      const key = m.has(k) || m.size < MAX_PREFIXES ? k : OTHER_PREFIX;
      m.set(key, (m.get(key) ?? 0) + n);
    }
    return sortedRecord(m);
  }

  /** Protocol -> packets (psad's "Total protocol packet counters"). */
  protocols(): Record<string, number> {
    this.#settleProtocols();
    return sortedRecord(this.#protocols);
  }

  /** Skip reason -> packets, for the reasons passed to skipped()/observe(). */
  skipReasons(): Record<string, number> {
    return sortedRecord(this.#skips);
  }
}

function addTallies(m: Map<string, number>, add: ReadonlyArray<readonly [string, number]>): void {
  for (const [k, n] of add) m.set(k, (m.get(k) ?? 0) + n);
}

function sortedRecord(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) out[k] = v;
  return out;
}
