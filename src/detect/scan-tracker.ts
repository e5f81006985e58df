/**
 * Per-source scan state and danger levels, on event time.
 *
 * observe() is called once per scored packet, in log order. It updates the
 * source's counters and its destination window, applies psad's per-packet
 * evidence (auto_dl, invalid ICMP, signature hits) and psad's ladders for the
 * destination the packet went to, and raises the level when they say so.
 * Levels only rise while a source is tracked; a source silent for
 * SCAN_TIMEOUT starts a new episode at level 0 (the daemon would have
 * forgotten it), keeping its lifetime totals and peak level for reports.
 */
import type { Config } from '../config/keys/index.js';
import type { Packet } from '../model/packet.js';
import type { SignatureHit } from '../model/signature.js';
import type { AutoDl } from './auto-dl.js';
import { dangerRules, destinationLevel, isSweep, manyDestinations, packetLadder, portSpread, qualifiesAlone, sweepLadder, type DangerRules } from './danger-rules.js';
import type { DestinationState } from './destination-state.js';
import { NEVER, toSeconds } from './event-seconds.js';
import { evictBatch } from './eviction.js';
import { invalidIcmp } from './icmp-types.js';
import { ipOptionNames } from './ip-options.js';
import { homeNet, type LocalNetworks } from './local-networks.js';
import type { FingerprintDb } from './os-fingerprint.js';
import { hasDf } from './probe-traits.js';
import { classify, ScanClass } from './scan-class.js';
import { SourceKeys } from './source-key.js';
import { SourceState } from './source-state.js';
import { toolEvidence } from './tool-evidence.js';
import { decodeScanState, encodeScanState, fingerprintResolver, type DecodedScanState, type SavedScanState } from './tracker-state.js';

export type LevelChangeHandler = (s: SourceState, from: number, to: number, reason: string) => void;

export interface TrackerOptions {
  autoDl?: AutoDl;
  osFingerprints?: FingerprintDb;
  onLevelChange?: LevelChangeHandler;
}

export interface TrackerStats {
  tracked: number;
  evicted: number;
  expired: number;
}

const SYN = 2;
const ACK = 16;
const OS_TRIES = 8;

export class ScanTracker {
  readonly stats: TrackerStats = { tracked: 0, evicted: 0, expired: 0 };
  #sources = new Map<string, SourceState>();
  /** Tracked sources per peak level, for eviction. */
  readonly #levels = [0, 0, 0, 0, 0, 0];
  readonly #rules: DangerRules;
  readonly #keys: SourceKeys;
  readonly #home: LocalNetworks;
  readonly #windowMs: number;
  /** The window in seconds (NEVER with persistence). */
  readonly #windowSec: number;
  readonly #maxSources: number;
  readonly #maxDsts: number;
  readonly #autoDl: AutoDl | null;
  readonly #os: FingerprintDb | null;
  readonly #onChange: LevelChangeHandler | null;
  /** Latest event time seen: the clock for lines without a timestamp. */
  #clock = 0;

  constructor(cfg: Config, opts: TrackerOptions = {}) {
    this.#rules = dangerRules(cfg);
    this.#keys = new SourceKeys(cfg.IPV4_AGGREGATE_PREFIX, cfg.IPV6_AGGREGATE_PREFIX);
    this.#home = homeNet(cfg);
    this.#windowMs = cfg.ENABLE_PERSISTENCE ? Infinity : cfg.SCAN_TIMEOUT * 1000;
    this.#windowSec = cfg.ENABLE_PERSISTENCE ? NEVER : cfg.SCAN_TIMEOUT;
    this.#maxSources = cfg.MAX_TRACKED_SOURCES;
    this.#maxDsts = Math.max(cfg.MAX_DESTINATIONS_PER_SOURCE, cfg.DL5_UNIQUE_HOSTS);
    this.#autoDl = opts.autoDl !== undefined && opts.autoDl.size > 0 ? opts.autoDl : null;
    this.#os = opts.osFingerprints ?? null;
    this.#onChange = opts.onLevelChange ?? null;
  }

  /** The key a source address is tracked under (itself, or its aggregation prefix). */
  keyOf(addr: string): string {
    return this.#keys.keyOf(addr, addr.includes(':') ? 6 : 4);
  }

  get(key: string): SourceState | undefined {
    return this.#sources.get(key);
  }

  sources(): IterableIterator<SourceState> {
    return this.#sources.values();
  }

  get size(): number {
    return this.#sources.size;
  }

  observe(p: Packet, hits: readonly SignatureHit[] | null): SourceState {
    let ts = p.ts;
    if (Number.isNaN(ts)) ts = this.#clock;
    else if (ts > this.#clock) this.#clock = ts;
    const sec = toSeconds(ts);
    const s = this.#source(p, ts, sec);
    s.packets++;
    s.seenAt(ts, sec);
    if (p.chain === 'INPUT') s.inbound++;
    else if (p.chain === 'OUTPUT') {
      s.outbound++;
      s.local = true;
    } else s.forward++;
    if (s.addresses !== null) s.addAddress(p.src);
    const cls = this.#count(s, p);
    this.#evidence(s, p, hits);
    this.#destination(s, p, ts, sec, cls);
    return s;
  }

  /** Raises a tracked source to at least `dl` (reputation feeds, manual). Unknown keys are ignored. */
  raise(key: string, dl: number, reason: string): void {
    const s = this.#sources.get(key);
    if (s !== undefined) this.#raise(s, Math.min(5, Math.max(0, Math.trunc(dl))), reason);
  }

  /** Forgets sources silent for SCAN_TIMEOUT before `nowMs` (none with ENABLE_PERSISTENCE); returns how many. */
  expire(nowMs: number): number {
    if (this.#windowMs === Infinity) return 0;
    let n = 0;
    for (const [k, s] of this.#sources) {
      if (s.lastSeen + this.#windowMs >= nowMs) continue;
      this.#sources.delete(k);
      this.#levels[s.peakDl]!--;
      n++;
    }
    this.stats.expired += n;
    this.stats.tracked = this.#sources.size;
    return n;
  }

  /** Everything that affects later results and reports, as JSON data sharing nothing with the tracker (tracker-state.ts). */
  exportState(): SavedScanState {
    return encodeScanState(this.#clock, this.stats, this.#sources.values());
  }

  /**
   * Checks saved state and builds it apart from this tracker; the returned
   * function swaps it in. Throws (changing nothing) when the state is not
   * usable. Lets a caller check several objects before changing any.
   */
  prepareImport(saved: unknown): () => void {
    const d = decodeScanState(saved, fingerprintResolver(this.#os));
    return () => this.#adopt(d);
  }

  /**
   * Replaces the contents with saved state (exportState() of this or another
   * tracker, whatever its configuration); no level change is reported. This
   * tracker's settings apply from now on: sources beyond MAX_TRACKED_SOURCES
   * are evicted at once, thresholds apply to the next packets.
   */
  importState(saved: unknown): void {
    this.prepareImport(saved)();
  }

  #adopt(d: DecodedScanState): void {
    this.#sources = d.sources;
    this.#levels.fill(0);
    for (const s of d.sources.values()) this.#levels[s.peakDl]!++;
    this.#clock = d.clock;
    this.stats.evicted = d.evicted;
    this.stats.expired = d.expired;
    const over = this.#sources.size - this.#maxSources;
    if (over > 0) this.stats.evicted += evictBatch(this.#sources, this.#levels, over);
    this.stats.tracked = this.#sources.size;
  }

  #source(p: Packet, ts: number, sec: number): SourceState {
    const key = this.#keys.keyOf(p.src, p.family);
    let s = this.#sources.get(key);
    if (s === undefined) {
      if (this.#sources.size >= this.#maxSources) {
        this.stats.evicted += evictBatch(this.#sources, this.#levels, Math.max(1, Math.ceil(this.#maxSources / 20)));
      }
      s = new SourceState(key, p.family, this.#keys.aggregated(p.family), ts, this.#home.contains(p.src));
      this.#sources.set(key, s);
      this.#levels[0]!++;
      this.stats.tracked = this.#sources.size;
    } else if (sec - s.lastSecond > this.#windowSec) {
      // Silent for a whole window: what the daemon would have expired starts over.
      this.#checkSweep(s);
      s.dsts.reset();
      s.dl = 0;
    }
    return s;
  }

  /** Protocol, port, flag, class, tool and TTL counters; returns the packet's scan class. */
  #count(s: SourceState, p: Packet): number {
    const ps = s.proto(p.proto, p.protoNum);
    ps.packets++;
    if (ps.hasPorts && p.dport >= 0) ps.add(p.dport);
    if (p.protoNum === 6) ps.addKind(p.tcpFlags);
    else if (p.icmpType >= 0) ps.addKind(p.icmpType * 256 + (p.icmpCode & 255));
    const cls = classify(p);
    s.addClass(cls);
    const tool = toolEvidence(p, cls);
    if (tool >= 0) s.addTool(tool);
    // A raw scanner's SYN says nothing about an OS; its tool is known already.
    else if (this.#os !== null && p.protoNum === 6 && (p.tcpFlags & (SYN | ACK)) === SYN && s.osTries < OS_TRIES) this.#osGuess(s, p);
    if (p.family === 4 && p.ttl >= 0) {
      if (p.ttl < s.ttlMin) s.ttlMin = p.ttl;
      if (p.ttl > s.ttlMax) s.ttlMax = p.ttl;
      if (hasDf(p)) s.dfPackets++;
    }
    return cls;
  }

  #osGuess(s: SourceState, p: Packet): void {
    if (s.osGuess !== null && s.osGuess.score === 2) return;
    s.osTries++;
    const g = (this.#os as FingerprintDb).guess(p);
    if (g === null) return;
    if (g.fp.kind === 'tool') {
      s.setFileTool(g.fp.label);
      return;
    }
    const cur = s.osGuess;
    if (cur === null || g.score > cur.score || (g.score === cur.score && g.index < cur.index)) s.setOsGuess(g);
  }

  /** psad's per-packet evidence: auto_dl, ICMP validity, IP options, signatures. */
  #evidence(s: SourceState, p: Packet, hits: readonly SignatureHit[] | null): void {
    if (this.#autoDl !== null) {
      const e = this.#autoDl.lookupPacket(p);
      if (e !== undefined && e.dl > s.dl) this.#raise(s, e.dl, `auto_dl entry ${e.source} (line ${e.line})`);
    }
    if ((p.protoNum === 1 && p.family === 4) || (p.protoNum === 58 && p.family === 6)) {
      const bad = invalidIcmp(p.family, p.icmpType, p.icmpCode);
      if (bad !== null) {
        s.addInvalidIcmp(bad);
        if (s.dl < 2) this.#raise(s, 2, bad);
      }
    }
    if (p.ipOpts !== '' && p.family === 4) s.addIpOptions(ipOptionNames(p.ipOpts));
    if (hits === null) return;
    let best: SignatureHit | null = null;
    for (const h of hits) {
      if (h.dl <= 0) continue;
      s.addSignature(h.sid, h.msg, h.dl);
      if (best === null || h.dl > best.dl) best = h;
    }
    if (best !== null && best.dl > s.dl) this.#raise(s, best.dl, `signature ${best.sid} "${best.msg}"`);
  }

  /** The destination window and psad's ladders for this packet's destination. */
  #destination(s: SourceState, p: Packet, ts: number, sec: number, cls: number): void {
    const r = this.#rules;
    const table = s.dsts;
    const cutoff = this.#windowMs === Infinity ? -NEVER : toSeconds(ts - this.#windowMs);
    if (table.wouldPrune(cutoff)) this.#checkSweep(s);
    const d = table.touch(p.dst, sec, cutoff, this.#maxDsts);
    const tot = table.active;
    let level = 0;
    let why = '';
    if (d !== null) {
      const wasLike = d.like;
      this.#updateDestination(d, p, sec, cls);
      table.noteCount(d.dstPackets);
      const spread = portSpread(d.dstPackets, d.portMin, d.portMax);
      d.like = d.pinged || (d.portMax > 0 && spread === r.portRangeSweep);
      if (d.like !== wasLike) table.sweepLike += d.like ? 1 : -1;
      if (!d.qualified && qualifiesAlone(r, d.dstPackets, spread, d.protocols)) {
        d.qualified = true;
        table.qualifiedDsts++;
      }
      if (d.protocols >= r.protocolScan) s.protoScan = true;
      level = destinationLevel(r, d.dstPackets, spread, d.protocols, tot);
      if (level > s.dl) why = describeDestination(p.dst, d);
    }
    if (manyDestinations(r, tot)) level = Math.max(level, packetLadder(r, table.maxActivePackets()), sweepLadder(r, tot));
    else if (r.sweeps && table.qualifiedDsts > 0) level = Math.max(level, sweepLadder(r, tot));
    if (level > s.dl) this.#raise(s, level, why !== '' ? why : `${tot} destinations within the scan window`);
  }

  /** Sets the sticky SWEEP label when the destinations about to be dropped made a sweep. */
  #checkSweep(s: SourceState): void {
    if (!s.sweep && isSweep(this.#rules, s.dsts.active, s.dsts.sweepLike)) s.sweep = true;
  }

  #updateDestination(d: DestinationState, p: Packet, sec: number, cls: number): void {
    d.dstPackets++;
    if (cls === ScanClass.IcmpProbe) d.pinged = true;
    if (sec > d.dstSeen) d.dstSeen = sec;
    const pn = p.protoNum;
    if ((pn === 6 || pn === 17 || pn === 136 || pn === 132) && p.dport >= 0) {
      if (p.dport < d.portMin) d.portMin = p.dport;
      if (p.dport > d.portMax) d.portMax = p.dport;
    }
    if (pn >= 0) d.addProtocol(pn);
  }

  #raise(s: SourceState, to: number, reason: string): void {
    if (to <= s.dl) return;
    const from = s.dl;
    s.dl = to;
    if (to > s.peakDl) {
      this.#levels[s.peakDl]!--;
      this.#levels[to]!++;
      s.peakDl = to;
    }
    s.addReason(`DL${to}: ${reason}`);
    this.#onChange?.(s, from, to, reason);
  }
}

function describeDestination(dst: string, d: DestinationState): string {
  const ports = d.portMax > 0 ? `, ports ${d.portMin}-${d.portMax}` : '';
  const protos = d.protocols > 1 ? `, ${d.protocols} protocols` : '';
  return `${d.dstPackets} packets to ${dst}${ports}${protos}`;
}
