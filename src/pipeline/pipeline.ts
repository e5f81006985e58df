/**
 * The one place the stages meet, for analyze and the daemon alike:
 * line -> parse -> filter -> signatures -> detect, with the counters the
 * report needs. Synchronous per line; no I/O here.
 *
 * A partitioned pipeline (one of `count` threads given the same log, see
 * threads.ts) scores only the sources whose key hashes to its `index`, yet
 * sees every line: what is learnt from all traffic (the classifier's view of
 * this host's addresses, interfaces and flows, the clock for lines without a
 * time, the log prefixes in log order) evolves in every thread exactly as in
 * one, and each count is made by exactly one thread, so the threads' counts
 * add up to those of a single pipeline.
 *
 * A light partition does not parse every line: a line with a plain IPv4
 * source, or an IPv6 one (in full or with `::`, source-scan.ts), belongs to the
 * thread its address hashes to (the bits its source key keeps, see Owners),
 * which counts everything about it (also when it does not parse: its skip
 * reason). Another thread skips it when it could learn nothing from it: an
 * INPUT TCP, ICMP or UDP packet (not a possible late answer) on the
 * interface public sources are known to arrive on, to an address known to
 * be this host's. Every other line is
 * parsed by every thread as in a full partition. Two things a skipped line
 * could still have taught are kept apart: log prefixes are counted by the
 * thread that scores the packet, with the line of their first count (the
 * first 1000 of the log are merged by name, GlobalCounters.absorb), and the
 * clock is not kept: a packet without a time after a skipped line throws
 * PartitionRestart, and the analysis is redone with full partitions.
 */
import type { Packet, SkipReason } from '../model/packet.js';
import type { SignatureHit } from '../model/signature.js';
import type { ServiceEvent } from '../model/service.js';
import { emptyScan, finishParse, parseBytes, parseText, sameText, scanLine, type LineScan, type ParseContext, type ParseResult, type ServiceMatcher } from '../parse/index.js';
import type { GlobalCounters, ScanTracker, SourceState, TrafficClassifier } from '../detect/index.js';
import { normalizeIPv6, parseIPv4, parseIPv6 } from '../net/address.js';
import { HourlyTimeline } from '../report/index.js';

export interface SignatureMatcher {
  match(p: Packet): readonly SignatureHit[] | null;
  /** Whether a match can drop a packet (a rule at level 0); a partitioned pipeline matches others' packets only then. */
  readonly ignores?: boolean;
}

/** This pipeline's share of a partitioned analysis: thread `index` of `count`. */
export interface Partition {
  index: number;
  count: number;
  /** Skip other threads' lines where that is exact (a light partition, see above); needs PipelineParts.traffic. */
  light?: boolean;
}

/** A light partition met what only a full one answers exactly: the analysis must be redone with full partitions. */
export class PartitionRestart extends Error {}

/** Distinct log prefixes a thread of a light partition counts by name before it gives up (PartitionRestart). */
const LIGHT_PREFIXES = 100_000;

export interface PipelineParts {
  filter: (p: Packet) => SkipReason | null;
  signatures: SignatureMatcher | null;
  tracker: ScanTracker;
  counters: GlobalCounters;
  /** Called for every packet that passed the filters, with its source's state (CSV output, raw samples). */
  onPacket?: ((p: Packet, s: SourceState) => void) | undefined;
  /** Reputation feed matches for a source address, applied once when the source is first seen. */
  reputation?: ((addr: string) => ReadonlyArray<{ feed: string; dl: number }>) | undefined;
  /** Called for every scored service event, with its source's state (raw samples). */
  onService?: ((ev: ServiceEvent, s: SourceState) => void) | undefined;
  /** Service-log patterns, tried on lines that are not firewall lines; null when ENABLE_SERVICE_LOGS is N. */
  services?: ServiceMatcher | null | undefined;
  /** Sources whose service events are not scored (auto_dl level 0 for the whole address). */
  ignoreSource?: ((src: string) => boolean) | undefined;
  /** IPv6 sources are scored (ENABLE_IPV6_DETECTION). */
  ipv6?: boolean | undefined;
  /** Only packets with since <= ts < until are scored (ms; NaN timestamps always pass). */
  since?: number | undefined;
  until?: number | undefined;
  partition?: Partition | undefined;
  /** The classifier the filter uses (a light partition checks what a skipped line would teach it). */
  traffic?: TrafficClassifier | undefined;
  /** IPV4_AGGREGATE_PREFIX and IPV6_AGGREGATE_PREFIX: which bits of an address its source key keeps (default 32 and 128). */
  keyPrefixes?: { v4: number; v6: number } | undefined;
}

/** A mix of an IPv4 address's 32 bits. */
function addressHash(n: number): number {
  let h = Math.imul(n ^ (n >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The first `len` bits of a 32-bit number (len 0-32). */
function masked(n: number, len: number): number {
  return len >= 32 ? n >>> 0 : len <= 0 ? 0 : (n & (-1 << (32 - len))) >>> 0;
}

/**
 * Which thread of `count` scores a source. A key's address bits within its
 * aggregation prefix (IPv6: at most the first 64) decide, so that a light
 * partition finds the same thread from a line's bytes (source-scan.ts); a
 * key that is no address (never seen) by FNV-1a of its text.
 */
class Owners {
  constructor(readonly count: number, private readonly v4Len: number, private readonly v6Len: number) {}

  ofIPv4(n: number): number {
    return addressHash(masked(n, this.v4Len)) % this.count;
  }

  /** By the first 64 bits of an IPv6 address, in two halves. */
  ofIPv6(hi: number, lo: number): number {
    const len = Math.min(64, this.v6Len);
    return addressHash(masked(hi, len) ^ addressHash(masked(lo, len - 32))) % this.count;
  }

  ofKey(key: string): number {
    const slash = key.indexOf('/');
    const addr = slash < 0 ? key : key.slice(0, slash);
    const v4 = parseIPv4(addr);
    if (v4 !== null) return this.ofIPv4(v4);
    const g = addr.includes(':') ? parseIPv6(addr) : null;
    if (g !== null) return this.ofIPv6((((g[0] as number) << 16) | (g[1] as number)) >>> 0, (((g[2] as number) << 16) | (g[3] as number)) >>> 0);
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    return ((h ^ (h >>> 16)) >>> 0) % this.count;
  }
}

/** How many hits are at DL 0 (snort_rule_dl: ignore the packet); a loop, per packet with hits. */
function ignoring(hits: readonly SignatureHit[]): number {
  let n = 0;
  for (let i = 0; i < hits.length; i++) if ((hits[i] as SignatureHit).dl === 0) n++;
  return n;
}

/** One thread's line counters of a partitioned analysis (part()): plain data a worker thread can post. */
export interface PipelinePart {
  lines: number;
  firewallLines: number;
  packets: number;
  serviceLines: number;
  serviceEvents: number;
  skipped: Record<string, number>;
  firstSeen: number;
  lastSeen: number;
  timeline: number[][];
}

export class Pipeline {
  lines = 0;
  firewallLines = 0;
  packets = 0;
  /** Lines a service pattern recognised, and the events scored from them. */
  serviceLines = 0;
  serviceEvents = 0;
  readonly skipped: Record<string, number> = Object.create(null) as Record<string, number>;
  firstSeen = Number.POSITIVE_INFINITY;
  lastSeen = Number.NEGATIVE_INFINITY;
  /** Packets per hour by their source's level (the report's `timeline`). */
  readonly timeline = new HourlyTimeline();
  /** This thread counts what belongs to no source (lines, unparsed lines, log prefixes). */
  readonly #first: boolean;
  readonly #part: Partition | null;
  readonly #owners: Owners | null;
  /** Lines seen, in every thread alike (the partition's sequence for merging). */
  #seq = 0;
  /** A light partition (see above) and its look at the current line. */
  readonly #light: TrafficClassifier | null;
  readonly #scan = emptyScan();
  /** The thread the current line belongs to by its bytes (light), -1 when it is routed by its parsed source. */
  #owner = -1;
  /** A line was skipped: the clock may be behind one thread's. */
  #skipped = false;
  /** Lines skipped unparsed (light partitions; TSAD_DEBUG_THREADS prints it). */
  skippedLines = 0;
  /** An address the classifier knows is this host's (the destination of nearly every line), and an IPv6 one as the log writes it. */
  #local = '';
  #local6 = '';

  constructor(private readonly parts: PipelineParts) {
    const part = parts.partition;
    this.#part = part !== undefined && part.count > 1 ? part : null;
    this.#first = this.#part === null || this.#part.index === 0;
    this.#light = this.#part?.light === true ? parts.traffic ?? null : null;
    this.#owners = this.#part === null ? null : new Owners(this.#part.count, parts.keyPrefixes?.v4 ?? 32, parts.keyPrefixes?.v6 ?? 128);
  }

  /** This thread's counts, for absorb() in the thread that reports. */
  part(): PipelinePart {
    const { lines, firewallLines, packets, serviceLines, serviceEvents, firstSeen, lastSeen } = this;
    return { lines, firewallLines, packets, serviceLines, serviceEvents, skipped: { ...this.skipped }, firstSeen, lastSeen, timeline: this.timeline.exportState() };
  }

  /** Adds another thread's counts of the same log (each line and packet was counted by one thread). */
  absorb(o: PipelinePart): void {
    this.lines += o.lines;
    this.firewallLines += o.firewallLines;
    this.packets += o.packets;
    this.serviceLines += o.serviceLines;
    this.serviceEvents += o.serviceEvents;
    for (const [k, n] of Object.entries(o.skipped)) this.skipped[k] = (this.skipped[k] ?? 0) + n;
    if (o.firstSeen < this.firstSeen) this.firstSeen = o.firstSeen;
    if (o.lastSeen > this.lastSeen) this.lastSeen = o.lastSeen;
    this.timeline.absorb(o.timeline);
  }

  skip(reason: string): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
  }

  /** A line dropped by the reader for its length: counted as read, and skipped. */
  tooLong(): void {
    this.#seq++;
    if (!this.#first) return;
    this.lines++;
    this.skip('too-long');
  }

  /** One line of text (live sources). */
  line(text: string, ctx: ParseContext): void {
    this.#line();
    const r = parseText(text, ctx);
    // Not a firewall line: perhaps a service's (a firewall-only log never gets here).
    if (r === null && this.parts.services) this.service(this.parts.services.match(text, ctx));
    else this.result(r);
  }

  /** One line of an archived file: b[start, end), `ascii` when no byte in it is above 127. */
  bytes(b: Buffer, start: number, end: number, ctx: ParseContext, ascii: boolean): void {
    const scanned = this.#light !== null && ascii && !ctx.exportActive && scanLine(b, start, end, this.#scan);
    this.scanned(b, start, end, ctx, ascii, scanned ? this.#scan : null);
  }

  /**
   * The same, with the line's scanLine result already at hand (null: it has
   * none), read once for every thread by the calling thread (shared-lines.ts);
   * used only where ascii && !ctx.exportActive (checked here).
   */
  scanned(b: Buffer, start: number, end: number, ctx: ParseContext, ascii: boolean, sc: LineScan | null): void {
    this.#line();
    const part = this.#part;
    if (sc !== null && this.#light !== null && part !== null && ascii && !ctx.exportActive) {
      const owners = this.#owners as Owners;
      const owner = sc.family === 4 ? owners.ofIPv4(sc.src) : owners.ofIPv6(sc.src, sc.lo);
      if (owner !== part.index && this.#teachesNothing(b, sc)) {
        this.#skipped = true;
        this.skippedLines++;
        return;
      }
      this.#owner = owner;
    }
    const r = parseBytes(b, start, end, ctx, ascii);
    // Only lines that are not firewall lines become strings here, and only when service patterns are on.
    if (r === null && this.parts.services) {
      if (this.#owner >= 0) throw new PartitionRestart('a line with a firewall source did not parse as a firewall line');
      this.service(this.parts.services.match(b.toString(ascii ? 'latin1' : 'utf8', start, end), ctx));
    } else this.result(r);
  }

  /**
   * Whether a light partition's skipped line would teach the classifier
   * nothing: an INPUT TCP or ICMP packet (source-scan.ts) arriving on the
   * interface public sources are known to arrive on, to an address already
   * known as this host's.
   */
  #teachesNothing(b: Buffer, s: LineScan): boolean {
    const traffic = this.#light as TrafficClassifier;
    if (!s.plainInbound) return false;
    const wan = traffic.wan;
    if (wan === '' || !sameText(wan, b, s.inFrom, s.inTo)) return false;
    if (s.family === 6) {
      if (sameText(this.#local6, b, s.dstFrom, s.dstTo)) return true;
      const text = b.latin1Slice(s.dstFrom, s.dstTo);
      const dst = normalizeIPv6(text);
      if (dst === null || !traffic.isLocalAddress(dst)) return false;
      this.#local6 = text;
      return true;
    }
    if (sameText(this.#local, b, s.dstFrom, s.dstTo)) return true;
    const dst = b.latin1Slice(s.dstFrom, s.dstTo);
    if (!traffic.isLocalAddress(dst)) return false;
    this.#local = dst;
    return true;
  }

  /** What a service pattern made of a line (in a partitioned analysis, scored by the thread owning its source). */
  private service(r: ServiceEvent | string | null): void {
    if (r === null) return;
    if (typeof r === 'string') {
      if (!this.#first) return;
      this.serviceLines++;
      this.skip(r);
      return;
    }
    if (this.#part !== null && (this.#owners as Owners).ofKey(this.parts.tracker.keyOf(r.src)) !== this.#part.index) return;
    this.serviceLines++;
    // A line without its own time (a bare `sshd -E` file) happened when it is read.
    if (Number.isNaN(r.ts)) r.ts = Date.now();
    const { since, until } = this.parts;
    if ((since !== undefined && r.ts < since) || (until !== undefined && r.ts >= until)) {
      this.skip('outside-time-range');
      return;
    }
    if (r.family === 6 && this.parts.ipv6 === false) {
      this.skip('ipv6-disabled');
      return;
    }
    if (this.parts.ignoreSource?.(r.src) === true) {
      this.skip('auto-dl-ignore');
      return;
    }
    this.serviceEvents++;
    if (r.ts < this.firstSeen) this.firstSeen = r.ts;
    if (r.ts > this.lastSeen) this.lastSeen = r.ts;
    const state = this.parts.tracker.observeService(r);
    this.parts.onService?.(r, state);
  }

  /** One line parsed by another parser (ulogd2 JSON). */
  parsedLine(r: ParseResult): void {
    this.#line();
    this.result(r);
  }

  /** End of a stream: flushes a pending journal export record. */
  end(ctx: ParseContext): void {
    this.#owner = -1;
    this.result(finishParse(ctx));
  }

  #line(): void {
    this.#owner = -1;
    this.#seq++;
    if (this.#first) this.lines++;
  }

  private result(r: ParseResult): void {
    const part = this.#part;
    if (r === null) {
      if (this.#owner >= 0) throw new PartitionRestart('a line with a firewall source did not parse as a firewall line');
      return;
    }
    if (typeof r === 'string') {
      // A line that belongs to a thread by its bytes is counted there; any other by the first thread.
      if (this.#owner >= 0 ? this.#owner !== part?.index : !this.#first) return;
      this.firewallLines++;
      this.skip(r);
      return;
    }
    if (part === null) {
      this.firewallLines++;
      this.packet(r);
      return;
    }
    const owner = (this.#owners as Owners).ofKey(this.parts.tracker.keyOf(r.src));
    if (this.#owner >= 0 && owner !== this.#owner) throw new PartitionRestart(`source ${r.src} is not the one its line's bytes name`);
    if (owner === part.index) {
      this.firewallLines++;
      this.parts.counters.seq = this.#seq;
      this.packet(r);
      if (this.#light !== null && this.parts.counters.prefixNames > LIGHT_PREFIXES) throw new PartitionRestart('too many distinct log prefixes');
    } else this.#othersPacket(r);
  }

  packet(p: Packet): void {
    const { since, until } = this.parts;
    if ((since !== undefined && p.ts < since) || (until !== undefined && p.ts >= until)) {
      this.skip('outside-time-range');
      return;
    }
    const parts = this.parts;
    const reason = parts.filter(p);
    if (reason !== null) {
      parts.counters.skipped(p, reason);
      this.skip(reason);
      return;
    }
    let hits = parts.signatures === null ? null : parts.signatures.match(p);
    if (hits !== null) {
      // A match at DL 0 (snort_rule_dl) means: ignore the packet.
      const zero = ignoring(hits);
      if (zero === hits.length) {
        parts.counters.skipped(p, 'signature-ignore');
        this.skip('signature-ignore');
        return;
      }
      if (zero > 0) hits = hits.filter((h) => h.dl > 0);
    }
    // Scored at the clock, which a light partition may not have kept (see above).
    if (this.#skipped && Number.isNaN(p.ts)) throw new PartitionRestart('a packet without a time after skipped lines');
    this.packets++;
    if (p.ts < this.firstSeen) this.firstSeen = p.ts;
    if (p.ts > this.lastSeen) this.lastSeen = p.ts;
    parts.counters.observe(p, hits);
    const state = parts.tracker.observe(p, hits);
    this.timeline.packet(p.ts, state.dl);
    if (parts.reputation !== undefined && state.packets === 1) {
      // psad checks feeds per packet; a source's listing does not change between its packets.
      for (const m of parts.reputation(p.src)) parts.tracker.raise(state.key, m.dl, `reputation feed "${m.feed}"`);
    }
    parts.onPacket?.(p, state);
  }

  /**
   * A packet another thread scores: the filter runs for what the classifier
   * learns from it, the first thread counts its log prefix, and a scored
   * packet's time moves the clock.
   */
  #othersPacket(p: Packet): void {
    const { since, until } = this.parts;
    if ((since !== undefined && p.ts < since) || (until !== undefined && p.ts >= until)) return;
    const parts = this.parts;
    const reason = parts.filter(p);
    if (reason === 'ignored-prefix') return;
    // A light partition counts prefixes where the packets are scored (see above).
    if (this.#first && this.#light === null) parts.counters.prefix(p);
    if (reason !== null) return;
    const sigs = parts.signatures;
    if (sigs !== null && sigs.ignores === true) {
      const hits = sigs.match(p);
      if (hits !== null && ignoring(hits) === hits.length) return;
    }
    parts.tracker.tick(p.ts);
  }
}
