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
import type { ServiceEvent } from '../model/service.js';
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
import { hasDf, looksLikeNmapProbe } from './probe-traits.js';
import { classify, ScanClass } from './scan-class.js';
import { addServiceEvent, ServiceRules } from './service-evidence.js';
import { SourceKeys } from './source-key.js';
import { SourceState, type SignatureTally } from './source-state.js';
import { SourceTable } from './source-table.js';
import { sharedText } from './shared-text.js';
import { signatureKey } from './signature-keys.js';
import { toolEvidence } from './tool-evidence.js';
import { ScanSnapshot } from './state/scan-snapshot.js';
import { decodeScanState, encodeScanState, fingerprintResolver, ScanStateReader, type DecodedScanState, type SavedScanState } from './state/tracker-state.js';

export type LevelChangeHandler = (s: SourceState, from: number, to: number, reason: string) => void;

export interface TrackerOptions {
  autoDl?: AutoDl;
  osFingerprints?: FingerprintDb;
  onLevelChange?: LevelChangeHandler;
  /** Most sources tracked (default MAX_TRACKED_SOURCES; a thread of a partitioned analysis keeps its share). */
  maxSources?: number;
  /**
   * Keep one-packet sources packed (compact-sources.ts; default true). The
   * SourceState observe() returns for a new source is then not the one a
   * later packet returns, and is reused for the next new source: read it
   * before the next observe(), and turn packing off when a caller keys
   * anything by the object.
   */
  packSources?: boolean;
}

export interface TrackerStats {
  tracked: number;
  evicted: number;
  expired: number;
}

/** One thread's tracker of a partitioned analysis (exportPart()): plain data a worker thread can post. */
export interface TrackerPart {
  stats: TrackerStats;
  levels: number[];
  scan: SavedScanState;
}

const SYN = 2;
const ACK = 16;
const OS_TRIES = 8;

export class ScanTracker {
  readonly stats: TrackerStats = { tracked: 0, evicted: 0, expired: 0 };
  #sources = new SourceTable();
  /** The state snapshot being written (beginSnapshot()): a source it still holds is copied before it changes. */
  #snap: ScanSnapshot | null = null;
  #snaps = 0;
  /** Tracked sources per peak level, for eviction. */
  readonly #levels = [0, 0, 0, 0, 0, 0];
  readonly #rules: DangerRules;
  readonly #services: ServiceRules;
  readonly #keys: SourceKeys;
  readonly #home: LocalNetworks;
  readonly #windowMs: number;
  /** The window in seconds (NEVER with persistence). */
  readonly #windowSec: number;
  #maxSources: number;
  readonly #maxDsts: number;
  readonly #autoDl: AutoDl | null;
  readonly #os: FingerprintDb | null;
  readonly #onChange: LevelChangeHandler | null;
  /** Signature roles apply (tsad_role); off, every match sets its own level as in psad. */
  readonly #roles: boolean;
  /** A service-role match was seen: sources' service floors need checking. */
  #serviceLevels = false;
  /** The slow-scan ladder on distinct ports applies (SLOW_SCAN_WINDOW > 0). */
  readonly #slow: boolean;
  /** How long the daemon keeps a possible slow scanner after its last packet (at least a day). */
  readonly #slowMs: number;
  /** Latest event time seen: the clock for lines without a timestamp. */
  #clock = 0;
  readonly #pack: boolean;
  /** #source() made a new source. */
  #fresh = false;
  /**
   * The packet may have raised the long-horizon port count (#slowScan):
   * after each packet a source's level is at least its #slowLevel(), which
   * changes only with that count, so packets that add no port skip it.
   */
  #slowDue = false;
  /** Sources came from saved state or another thread (their levels were not set here): check every packet. */
  #slowAlways = false;
  /** The object of the source packed last, to be renewed for the next new one (see SourceState.renew). */
  #spare: SourceState | null = null;
  /** The reason and its line (see #raise) of a service-floor raise, by the match's code (topServiceCode()). */
  readonly #serviceWhy = new Map<number, readonly [string, string]>();
  /** The same for a signature's own raise (#signatures), by its key, level and form. */
  readonly #signatureWhy = new Map<number, readonly [string, string]>();

  constructor(cfg: Config, opts: TrackerOptions = {}) {
    this.#rules = dangerRules(cfg);
    this.#services = new ServiceRules(cfg);
    this.#keys = new SourceKeys(cfg.IPV4_AGGREGATE_PREFIX, cfg.IPV6_AGGREGATE_PREFIX);
    this.#home = homeNet(cfg);
    this.#windowMs = cfg.ENABLE_PERSISTENCE ? Infinity : cfg.SCAN_TIMEOUT * 1000;
    this.#windowSec = cfg.ENABLE_PERSISTENCE ? NEVER : cfg.SCAN_TIMEOUT;
    this.#maxSources = opts.maxSources ?? cfg.MAX_TRACKED_SOURCES;
    this.#maxDsts = Math.max(cfg.MAX_DESTINATIONS_PER_SOURCE, cfg.DL5_UNIQUE_HOSTS);
    this.#autoDl = opts.autoDl !== undefined && opts.autoDl.size > 0 ? opts.autoDl : null;
    this.#os = opts.osFingerprints ?? null;
    this.#onChange = opts.onLevelChange ?? null;
    this.#roles = cfg.SIGNATURE_ROLES;
    this.#slow = cfg.SLOW_SCAN_WINDOW > 0;
    this.#slowMs = Math.max(86_400, cfg.SLOW_SCAN_WINDOW) * 1000;
    this.#pack = opts.packSources ?? true;
  }

  /** The key a source address is tracked under (itself, or its aggregation prefix). */
  keyOf(addr: string): string {
    return this.#keys.keyOf(addr, addr.includes(':') ? 6 : 4);
  }

  get(key: string): SourceState | undefined {
    return this.#sources.get(key);
  }

  /**
   * The tracked sources in first-seen order, those below peak level `minPeak`
   * possibly left out. A one-packet source may come as a fresh copy each
   * time (source-table.ts): read it, do not change it.
   */
  sources(minPeak = 0): IterableIterator<SourceState> {
    return this.#sources.values(minPeak);
  }

  /** Sources kept packed now (compact-sources.ts). */
  get packedSources(): number {
    return this.#sources.packedCount;
  }

  get size(): number {
    return this.#sources.size;
  }

  /** Most sources tracked at once (MAX_TRACKED_SOURCES, or what limit() set). */
  get maxSources(): number {
    return this.#maxSources;
  }

  /**
   * Changes the most sources tracked at once (at least 100; the daemon's
   * memory budget); when lowered below the sources tracked, the lowest-level
   * ones seen longest ago are evicted at once (counted). Returns how many.
   */
  limit(max: number): number {
    this.#maxSources = Math.max(100, Math.trunc(max));
    const over = this.#sources.size - this.#maxSources;
    const n = over > 0 ? evictBatch(this.#sources, this.#levels, over) : 0;
    this.stats.evicted += n;
    this.stats.tracked = this.#sources.size;
    return n;
  }

  /** Tracked sources per peak level (0-5), also those not held here after absorbPart(). */
  levelCounts(): readonly number[] {
    return this.#levels;
  }

  /**
   * A scored packet of a source another thread tracks (a partitioned
   * analysis): only its time counts here, as the clock for lines without one.
   */
  tick(ts: number): void {
    if (ts > this.#clock) this.#clock = ts;
  }

  /** Scores a packet; returns its source, as it is until the next observe() (see packSources). */
  observe(p: Packet, hits: readonly SignatureHit[] | null): SourceState {
    let ts = p.ts;
    if (Number.isNaN(ts)) ts = this.#clock;
    else if (ts > this.#clock) this.#clock = ts;
    const sec = toSeconds(ts);
    this.#fresh = false;
    this.#slowDue = false;
    const s = this.#source(p.src, p.family, ts, sec);
    s.addPacket(p.dir);
    s.seenAt(ts, sec);
    // The packet's direction (traffic-class.ts): a source that sends from inside is a local host.
    if (p.dir !== 'inbound') {
      if (!s.local) {
        if (this.#slow) s.beginInside(true);
        s.local = true;
        this.#slowDue = true;
      }
    }
    if (s.addresses !== null) s.addAddress(p.src);
    const cls = this.#count(s, p);
    this.#perPacket(s, p);
    this.#destination(s, p, ts, sec, cls);
    if (hits !== null) this.#signatures(s, p, hits, cls);
    if (this.#slow && (this.#slowDue || this.#fresh || this.#slowAlways)) this.#slowScan(s);
    if (this.#serviceLevels && s.matched) this.#serviceFloor(s);
    // A new source that stays at one packet in the end of a flood is a row, not an object (compact-sources.ts).
    if (this.#pack && this.#fresh && this.#sources.pack(s)) this.#spare = s;
    return s;
  }

  /**
   * One service-log event (failed logins, exploit probes): the source's
   * evidence of that service, and its level from the service's ladder. The
   * level is the source's one level: the highest of scan and service evidence.
   */
  observeService(ev: ServiceEvent): SourceState {
    let ts = ev.ts;
    if (Number.isNaN(ts)) ts = this.#clock;
    else if (ts > this.#clock) this.#clock = ts;
    const sec = toSeconds(ts);
    const s = this.#source(ev.src, ev.family, ts, sec);
    s.seenAt(ts, sec);
    if (s.addresses !== null) s.addAddress(ev.src);
    const t = addServiceEvent(s.serviceMap(), ev, ts, sec, this.#services);
    if (t === null) return s;
    const r = this.#services;
    const ladder = r.ladder(ev.service);
    const level = t.level(ladder, sec, r.windowSec);
    if (level > s.dl) this.#raise(s, level, `${t.within(sec, r.windowSec, ladder[level - 1] as number)} ${ev.service} failures within ${span(r.windowSec * 1000)}`);
    return s;
  }

  /** Raises a tracked source to at least `dl` (reputation feeds, manual). Unknown keys are ignored. */
  raise(key: string, dl: number, reason: string): void {
    const s = this.#sources.get(key);
    if (s === undefined) return;
    this.#snap?.keep(s);
    this.#raise(s, Math.min(5, Math.max(0, Math.trunc(dl))), reason);
  }

  /**
   * Forgets sources silent for SCAN_TIMEOUT before `nowMs` (none with
   * ENABLE_PERSISTENCE); outside sources that probed two or more distinct
   * ports are kept for SLOW_SCAN_WINDOW instead, so a slow scan's next probe
   * adds to its count. Returns how many were forgotten.
   */
  expire(nowMs: number): number {
    if (this.#windowMs === Infinity) return 0;
    let n = 0;
    for (const s of this.#sources.values()) {
      const keep = this.#slow && s.outsidePorts() >= 2 ? Math.max(this.#windowMs, this.#slowMs) : this.#windowMs;
      if (s.lastSeen + keep >= nowMs) continue;
      this.#sources.remove(s);
      this.#levels[s.peakDl]!--;
      n++;
    }
    this.stats.expired += n;
    this.stats.tracked = this.#sources.size;
    return n;
  }

  /** Everything that affects later results and reports, as JSON data sharing nothing with the tracker (state/tracker-state.ts). */
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

  /**
   * Begins a snapshot of the sources as they are now (the daemon's save),
   * to be written a slice at a time while packets go on: a source is copied
   * into it before a packet changes it (state/scan-snapshot.ts). One at a
   * time: beginning one ends the one before; end() it when written or given up.
   */
  beginSnapshot(): ScanSnapshot {
    this.#snap?.end('a newer snapshot of the scan state began');
    const { order, packed } = this.#sources.orderCopy();
    const snap = new ScanSnapshot(++this.#snaps, this.#clock, this.stats, order, packed);
    this.#snap = snap;
    // A packed source unpacked from now on is in the snapshot's copy of the rows (or was tracked after it began).
    this.#sources.stamp = snap.epoch;
    return snap;
  }

  /** Ends a snapshot begun here (written or given up). */
  endSnapshot(snap: ScanSnapshot): void {
    snap.end();
    if (this.#snap === snap) this.#snap = null;
  }

  /**
   * prepareImport() of a state read one source at a time (streamed from a
   * file): `each` hands every saved source to the reader. What does not read
   * is left out and described in `problems`; throws, changing nothing, only
   * when the head is not this state's.
   */
  prepareStreamImport(head: unknown, each: (r: ScanStateReader) => void, problems: string[]): () => void {
    const r = new ScanStateReader(fingerprintResolver(this.#os));
    each(r);
    const d = r.finish(head);
    problems.push(...r.problems);
    return () => this.#adopt(d);
  }

  /**
   * This thread's part of a partitioned analysis: its counts, and the
   * sources at or above `minDl` (the others are only counted), for
   * absorbPart() of the thread that reports.
   */
  exportPart(minDl: number): TrackerPart {
    const listed: SourceState[] = [];
    for (const s of this.#sources.values(minDl)) if (s.peakDl >= minDl) listed.push(s);
    return { stats: { ...this.stats }, levels: [...this.#levels], scan: encodeScanState(this.#clock, this.stats, listed) };
  }

  /**
   * Adds another thread's part of the same log (the threads' sources are
   * disjoint): its listed sources join these, its counts are added. Meant
   * for reporting: afterwards `stats.tracked` and levelCounts() count
   * sources this tracker does not hold.
   */
  absorbPart(part: TrackerPart): void {
    const d = decodeScanState(part.scan, fingerprintResolver(this.#os));
    for (const s of d.sources.values()) {
      if (this.#sources.has(s.key)) throw new Error(`source ${s.key} tracked by two threads`);
      this.#sources.add(s);
      if (this.#pack) this.#sources.pack(s);
    }
    for (let i = 0; i < 6; i++) this.#levels[i]! += part.levels[i] ?? 0;
    this.#slowAlways = true;
    if (d.clock > this.#clock) this.#clock = d.clock;
    this.stats.tracked += part.stats.tracked;
    this.stats.evicted += part.stats.evicted;
    this.stats.expired += part.stats.expired;
  }

  #adopt(d: DecodedScanState): void {
    this.#sources = d.sources;
    this.#slowAlways = true;
    this.#sources.stamp = this.#snap?.epoch ?? 0;
    this.#levels.fill(0);
    for (const s of d.sources.values()) {
      this.#levels[s.peakDl]!++;
      // A restored service match still waits for scan evidence, as it did before the restart.
      if (s.serviceMatched) this.#serviceLevels = true;
    }
    this.#clock = d.clock;
    this.stats.evicted = d.evicted;
    this.stats.expired = d.expired;
    const over = this.#sources.size - this.#maxSources;
    if (over > 0) this.stats.evicted += evictBatch(this.#sources, this.#levels, over);
    this.stats.tracked = this.#sources.size;
  }

  #source(src: string, family: 4 | 6, ts: number, sec: number): SourceState {
    const key = this.#keys.keyOf(src, family);
    const v4 = SourceTable.v4(key);
    let s = this.#sources.get(key, v4);
    if (s === undefined) {
      if (this.#sources.size >= this.#maxSources) {
        this.stats.evicted += evictBatch(this.#sources, this.#levels, Math.max(1, Math.ceil(this.#maxSources / 20)));
      }
      const spare = this.#spare;
      this.#spare = null;
      s = spare !== null ? spare.renew(key, family, key !== src, ts, this.#home.contains(src), v4) : new SourceState(key, family, key !== src, ts, this.#home.contains(src), v4);
      if (s.local && this.#slow) s.beginInside(false);
      this.#snap?.exclude(s);
      this.#sources.add(s, v4);
      this.#fresh = true;
      this.#levels[0]!++;
      this.stats.tracked = this.#sources.size;
      return s;
    }
    // About to change: a snapshot being written takes it as it was.
    this.#snap?.keep(s);
    if (sec - s.lastSecond > this.#windowSec) {
      // Silent for a whole window: what the daemon would have expired starts over, except
      // what the long horizon already knows (no new alert for a slow scanner's next probe).
      this.#checkSweep(s);
      s.dsts.reset();
      s.dl = this.#slow ? this.#slowLevel(s) : 0;
    }
    return s;
  }

  /** Protocol, port, flag, class, tool and TTL counters; returns the packet's scan class. */
  #count(s: SourceState, p: Packet): number {
    const kind = p.protoNum === 6 ? p.tcpFlags : p.icmpType >= 0 ? p.icmpType * 256 + (p.icmpCode & 255) : -1;
    const ps = s.countProtocol(p.proto, p.protoNum, p.dport, kind);
    if (SourceState.portAdded) this.#slowDue = true;
    if (ps.hasPorts && p.dport >= 0 && s.local && p.dir === 'inbound' && s.addOutsidePort(ps.name, ps.num, p.dport)) this.#slowDue = true;
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

  /** psad's per-packet evidence: auto_dl, ICMP validity, IP options. */
  #perPacket(s: SourceState, p: Packet): void {
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
  }

  /**
   * Signature matches, after the ladders have seen the packet: every match is
   * tallied; what it does to the level depends on its role (tsad_role).
   */
  #signatures(s: SourceState, p: Packet, hits: readonly SignatureHit[], cls: number): void {
    let best: SignatureHit | null = null;
    let bestDl = 0;
    let bestRole: SignatureHit['role'] = 'level';
    for (const h of hits) {
      if (h.dl <= 0) continue;
      const role = this.#roles ? h.role : 'level';
      s.addSignature(h.sid, h.msg, h.dl, role);
      if (role === 'service') this.#serviceLevels = true;
      const dl = this.#roleLevel(s, p, h, role, cls);
      if (dl > bestDl) {
        best = h;
        bestDl = dl;
        bestRole = role;
      }
    }
    if (best !== null && bestDl > s.dl) {
      // The same few texts for every source a rule raises: made once per match, level and form.
      const key = (signatureKey(best.sid, best.msg, bestRole) * 8 + bestDl) * 2 + (bestDl < best.dl ? 1 : 0);
      let why = this.#signatureWhy.get(key);
      if (why === undefined) {
        why = reasonPair(bestDl, `signature ${best.sid} "${best.msg}"${bestDl < best.dl ? ' (a single packet)' : ''}`);
        this.#signatureWhy.set(key, why);
      }
      this.#raise(s, bestDl, why[0], why[1]);
    }
  }

  /**
   * The level one match gives at once: 'label' and 'service' none ('service'
   * waits for scan evidence, see #serviceFloor); 'anomaly' 1 for a single
   * packet, its level when repeated or sent by a raw-packet scanner; 'level'
   * (and any role with SIGNATURE_ROLES N) its level.
   */
  #roleLevel(s: SourceState, p: Packet, h: SignatureHit, role: SignatureHit['role'], cls: number): number {
    switch (role) {
      case 'label':
      case 'service':
        return 0;
      case 'anomaly': {
        const repeated = s.signatureHits(h.sid) >= 2;
        return repeated || cls === ScanClass.OsProbe || looksLikeNmapProbe(p) ? h.dl : Math.min(1, h.dl);
      }
      default:
        return h.dl;
    }
  }

  /**
   * Service matches count once the source shows scan evidence: a level
   * from other evidence, DANGER_LEVEL1 scored packets to one destination or
   * as many destinations in the window, or as many distinct ports over its
   * tracked life. Checked after every packet, so the order of packets does
   * not matter.
   */
  #serviceFloor(s: SourceState): void {
    // The level first: the match itself is looked up only when it raises the source.
    const dl = s.topServiceDl();
    if (dl <= s.dl) return;
    const n = this.#rules.packets[0];
    if (s.dl >= 1 || s.dsts.maxActivePackets() >= n || s.dsts.active >= n || distinctPorts(s) >= n) {
      const code = s.topServiceCode();
      // Every episode of every such source raises again: its texts are made once per match.
      let why = this.#serviceWhy.get(code);
      if (why === undefined) {
        const top = s.topServiceMatch() as SignatureTally;
        why = reasonPair(top.dl, `signature ${top.sid} "${top.msg}" with scan evidence`);
        this.#serviceWhy.set(code, why);
      }
      this.#raise(s, dl, why[0], why[1]);
    }
  }

  /**
   * The long-horizon ladder: distinct destination ports probed from outside
   * over the source's tracked life (a local host's own connections do not
   * count: a desktop's calls and a container's lookups are not a scan).
   */
  #slowLevel(s: SourceState): number {
    const ports = s.outsidePorts();
    return ports < this.#rules.packets[0] ? 0 : packetLadder(this.#rules, ports);
  }

  #slowScan(s: SourceState): void {
    const level = this.#slowLevel(s);
    if (level > s.dl) this.#raise(s, level, `${s.outsidePorts()} distinct ports in ${span(s.lastSeen - s.firstSeen)}`);
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
      if (d.like !== wasLike) table.likeChanged(d);
      if (!d.qualified && qualifiesAlone(r, d.dstPackets, spread, d.protocols)) {
        d.qualified = true;
        table.markQualified(d);
      }
      if (d.protocols >= r.protocolScan) s.protoScan = true;
      level = destinationLevel(r, d.dstPackets, spread, d.protocols, tot);
      // The reason names the ladder that gave the level: this destination's packets, or the destination count.
      if (level > s.dl) why = level > sweepLevel(r, tot) ? describeDestination(p.dst, d) : this.#describeSweep(tot);
    }
    if (manyDestinations(r, tot)) {
      const byPackets = packetLadder(r, table.maxActivePackets());
      const bySweep = sweepLadder(r, tot);
      if (Math.max(byPackets, bySweep) > level) {
        level = Math.max(byPackets, bySweep);
        why = bySweep >= byPackets ? this.#describeSweep(tot) : `${table.maxActivePackets()} packets to one of ${tot} destinations within ${this.#windowText()}`;
      }
    } else if (r.sweeps && table.qualifiedDsts > 0) {
      const bySweep = sweepLadder(r, tot);
      if (bySweep > level) {
        level = bySweep;
        why = this.#describeSweep(tot);
      }
    }
    if (level > s.dl) this.#raise(s, level, why !== '' ? why : this.#describeSweep(tot));
  }

  #describeSweep(tot: number): string {
    return `${tot} destination${tot === 1 ? '' : 's'} within ${this.#windowText()}`;
  }

  #windowText(): string {
    return this.#windowMs === Infinity ? 'the whole log (persistence)' : span(this.#windowMs);
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

  /** `line`: the reason as the source keeps it, `DL${to}: ${reason}`, when the caller has it made. */
  #raise(s: SourceState, to: number, reason: string, line?: string): void {
    if (to <= s.dl) return;
    const from = s.dl;
    s.dl = to;
    if (to > s.peakDl) {
      this.#levels[s.peakDl]!--;
      this.#levels[to]!++;
      s.peakDl = to;
    }
    if (line !== undefined) s.addReason(line, true);
    else s.addReason(`DL${to}: ${reason}`);
    this.#onChange?.(s, from, to, reason);
  }
}

/** A reason and the line a source keeps of it (sharedText: flat and shared, so a later lookup of it hashes once). */
function reasonPair(to: number, reason: string): readonly [string, string] {
  return [sharedText(reason), sharedText(`DL${to}: ${reason}`)];
}

/** Distinct destination ports (TCP, UDP, UDP-Lite, SCTP) over a source's tracked life. */
function distinctPorts(s: SourceState): number {
  return s.distinctPorts();
}

/** The sweep ladder's level for `tot` destinations, 0 while below DL1_UNIQUE_HOSTS. */
function sweepLevel(r: DangerRules, tot: number): number {
  return manyDestinations(r, tot) ? sweepLadder(r, tot) : 0;
}

/** A duration as people say it: "45 s", "20 min", "3 h", "6 days". */
export function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 360) / 10} h`;
  return `${Math.round(s / 8640) / 10} days`;
}

function describeDestination(dst: string, d: DestinationState): string {
  const ports = d.portMax > 0 ? `, ports ${d.portMin}-${d.portMax}` : '';
  const protos = d.protocols > 1 ? `, ${d.protocols} protocols` : '';
  return `${d.dstPackets} packets to ${dst}${ports}${protos}`;
}
