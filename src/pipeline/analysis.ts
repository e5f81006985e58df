/**
 * Builds a scoring pipeline from a Config (auto_dl, signatures, detection,
 * reputation feeds, GeoIP) and turns its state into the JSON report, with
 * each reported source enriched once. Used by `tsad analyze` and, for its
 * report, by the daemon.
 */
import type { Config } from '../config/keys/index.js';
import type { Packet } from '../model/packet.js';
import type { ServiceEvent } from '../model/service.js';
import type { Report, ReportHead, SourceReport } from '../model/report.js';
import type { GeoInfo } from '../model/enrichment.js';
import {
  configuredFingerprints, createPacketFilter, GlobalCounters, listedSources, loadAutoDl, ScanTracker, sourceReport, topDestinations, TrafficClassifier, type AutoDl, type LevelChangeHandler, type SourceState,
} from '../detect/index.js';
import { loadSignatureSet, signaturePaths, formatProblem } from '../signatures/index.js';
import { FeedSet, GeoLookup, ReverseDns } from '../enrich/index.js';
import { reportHead, withSources, type ReportStream } from '../report/index.js';
import type { ByteLineSink, LineSink } from '../sources/index.js';
import { createServiceMatcher, type ParseContext } from '../parse/index.js';
import { Pipeline, type Partition } from './pipeline.js';
import { ConfigError } from '../config/errors.js';

export interface AnalysisOptions {
  cfg: Config;
  autoDlFile?: string | undefined;
  signaturesPath?: string | undefined;
  signatures?: boolean;
  geoip?: boolean;
  /**
   * False when at most one report is built (analyze): each source's address
   * is then looked up once, and a per-address GeoIP cache would only cost.
   */
  geoCache?: boolean;
  dns?: boolean;
  feeds?: boolean;
  since?: number | undefined;
  until?: number | undefined;
  onPacket?: (p: Packet, s: SourceState) => void;
  /** Keep one-packet sources packed (ScanTracker's packSources; default true): off when onPacket keys anything by the SourceState. */
  packSources?: boolean;
  /** Called for every scored service-log event (the daemon's log samples). */
  onService?: (ev: ServiceEvent, s: SourceState) => void;
  /** Called when a source's danger level rises (the daemon's alerting and blocking hooks). */
  onLevelChange?: LevelChangeHandler;
  /** One thread's share of a partitioned analysis (threads.ts). */
  partition?: Partition;
  warn: (msg: string) => void;
}

/**
 * The sources one thread of `count` may track: its share of
 * MAX_TRACKED_SOURCES plus four standard deviations of how unevenly a hash
 * spreads that many sources, so that threads together evict (nearly) only
 * where one thread would have.
 */
export function threadShare(max: number, count: number): number {
  if (count <= 1) return max;
  const share = Math.ceil(max / count);
  return share + Math.ceil(4 * Math.sqrt(share));
}

export interface Analysis {
  pipeline: Pipeline;
  tracker: ScanTracker;
  counters: GlobalCounters;
  /** The reputation feeds the pipeline matches against (refreshed in place by the daemon), null when off. */
  feeds: FeedSet | null;
  /** The loaded auto_dl table, when AUTO_DL_FILE or --auto-dl names one. */
  autoDl: AutoDl | undefined;
  /** Tells replies, own traffic and LAN chatter from probes; the daemon adds the host's addresses. */
  traffic: TrafficClassifier;
  /** Lines as text (live sources, journalctl's output). */
  sink(ctx: ParseContext): LineSink;
  /** Lines as bytes (archived files). */
  byteSink(ctx: ParseContext): ByteLineSink;
  report(minDl: number, o?: ReportOptions): Promise<Report>;
  /**
   * The same report with its sources built, enriched and handed out in
   * batches as the consumer asks for them (analyze's output), so a million
   * sources are never held as report objects at once. For a finished input:
   * the sources must not change while it is consumed.
   */
  reportStream(minDl: number): Promise<ReportStream>;
  /** The sources at or above minDl in the report's order, and a way to build (and enrich) their reports: one thread's share of a partitioned report (threads.ts). */
  listedSources(minDl: number): Promise<ListedSources>;
  /** The report's head from this analysis's counts, `levels` holding the danger level of every listed source. */
  head(levels: Iterable<number>): ReportHead;
  /** Reverse DNS names of built sources (when the analysis looks them up). */
  resolveNames(sources: readonly SourceReport[]): Promise<void>;
}

export interface ListedSources {
  listed: SourceState[];
  build(from: number, to: number): SourceReport[];
}

/** What a report adds beyond the contract (the status view). */
export interface ReportOptions {
  /** Per listed source, its busiest destinations in the window (`topDestinations`); 0: none. */
  destinations?: number;
  /** Reverse DNS names looked up at most, for the first sources listed (default: all). */
  rdnsMax?: number;
  /** Only the sources whose key this accepts are listed (`tsad status --ip`: no report of every tracked source to pick one). */
  keep?: (key: string) => boolean;
}

/** Sources per batch of a streamed report (one round of rDNS lookups each); small, so report objects die young. */
const REPORT_BATCH = 64;

/** The address to look up for a source (`2001:db8:1:2::/64` -> the least address seen in it, else the key without its length). */
export function lookupAddress(s: SourceReport): string {
  return addressToLookUp(s.src, s.addresses);
}

/** lookupAddress of the report a state makes, without making it. */
function stateLookupAddress(st: SourceState): string {
  return addressToLookUp(st.key, st.addresses);
}

/** The least of `addresses` (a report lists them sorted, a state as seen), or the key without its prefix length. */
function addressToLookUp(key: string, addresses: readonly string[] | null | undefined): string {
  if (addresses === null || addresses === undefined || addresses.length === 0) return key.replace(/\/\d+$/, '');
  let least = addresses[0] as string;
  for (const x of addresses) if (x < least) least = x;
  return least;
}

/** Fills a source's country, AS and reputation feeds (the report's and the alert mails' enrichment); `place`: its GeoIP answer when already looked up. */
export function enrichSource(s: SourceReport, geo: GeoLookup | null, feeds: FeedSet | null, place?: GeoInfo): void {
  const addr = lookupAddress(s);
  if (geo) {
    const g = place ?? geo.lookup(addr);
    s.country = g.country;
    s.asn = g.asn;
    if (g.asOrg) s.asOrg = g.asOrg;
    if (g.city) s.city = g.city;
  }
  if (feeds) s.reputation = feeds.match(addr).map((m) => ({ feed: m.feed, dl: m.dl }));
}

/** auto_dl's level 0 for a whole address: its service events are not scored either. */
function ignoredBy(autoDl: AutoDl | undefined): ((src: string) => boolean) | undefined {
  return autoDl !== undefined && autoDl.size > 0 ? (src) => autoDl.ignoresAddress(src) : undefined;
}

export async function buildAnalysis(o: AnalysisOptions): Promise<Analysis> {
  const { cfg } = o;
  let autoDl: AutoDl | undefined;
  const autoDlPath = o.autoDlFile ?? (cfg.AUTO_DL_FILE !== '' ? cfg.AUTO_DL_FILE : undefined);
  if (autoDlPath !== undefined) {
    const loaded = loadAutoDl(autoDlPath, o.autoDlFile !== undefined);
    const first = loaded.problems[0];
    // A file named on the command line must be usable; problems in the configured one are warnings.
    if (first !== undefined && o.autoDlFile !== undefined) throw new ConfigError(first.file, first.line, '', first.reason);
    for (const p of loaded.problems) o.warn(`${p.file}:${p.line}: ${p.reason}`);
    autoDl = loaded.autoDl;
  }
  let signatures = null;
  if (o.signatures !== false) {
    const { set, problems } = loadSignatureSet({ paths: signaturePaths(cfg, o.signaturesPath), cfg });
    for (const p of problems) if (!p.skipped) o.warn(formatProblem(p));
    signatures = set;
  }
  const feeds = o.feeds !== false && cfg.ENABLE_REPUTATION_FEEDS ? await FeedSet.load(cfg, { fetchRemote: false }) : null;
  const fingerprints = configuredFingerprints(cfg);
  for (const p of fingerprints.problems) o.warn(`${p.file}:${p.line}: ${p.reason}`);
  const count = o.partition?.count ?? 1;
  const tracker = new ScanTracker(cfg, { autoDl, osFingerprints: fingerprints.db, onLevelChange: o.onLevelChange, maxSources: threadShare(cfg.MAX_TRACKED_SOURCES, count), packSources: o.packSources });
  const light = count > 1 && o.partition?.light === true;
  const counters = new GlobalCounters(cfg, { prefixes: count <= 1 || o.partition?.index === 0 || light, prefixOrder: light });
  const traffic = new TrafficClassifier(cfg);
  const pipeline = new Pipeline({
    filter: createPacketFilter(cfg, { autoDl, traffic }),
    signatures,
    tracker,
    counters,
    onPacket: o.onPacket,
    onService: o.onService,
    since: o.since,
    until: o.until,
    reputation: feeds === null ? undefined : (addr) => feeds.match(addr),
    partition: o.partition,
    traffic,
    keyPrefixes: { v4: cfg.IPV4_AGGREGATE_PREFIX, v6: cfg.IPV6_AGGREGATE_PREFIX },
    services: createServiceMatcher(cfg, o.warn),
    ipv6: cfg.ENABLE_IPV6_DETECTION,
    ignoreSource: ignoredBy(autoDl),
  });

  // Opened on the first report and kept: the daemon builds a report for every `tsad status`,
  // and reopening would re-read the database and lose the per-address caches each time.
  let geo: Promise<GeoLookup | null> | undefined;
  let rdns: ReverseDns | null | undefined;
  const enrichers = async (): Promise<{ geo: GeoLookup | null; rdns: ReverseDns | null }> => {
    geo ??= o.geoip !== false && cfg.ENABLE_GEOIP ? GeoLookup.open(cfg, { cache: o.geoCache !== false }) : Promise.resolve(null);
    rdns ??= o.dns ? new ReverseDns({ timeoutMs: cfg.DNS_TIMEOUT * 1000, servers: [...cfg.DNS_RESOLVERS], cacheSize: cfg.DNS_CACHE_SIZE, ttlMs: cfg.DNS_CACHE_TTL * 1000 }) : null;
    return { geo: await geo, rdns };
  };

  /** The report's head; `levels` holds the danger level of every listed source. */
  const headOf = (levels: Iterable<number>): ReportHead => {
    // Every tracked source is counted at its level, also those below minDl that are not listed (the tracker keeps the counts).
    const [, l1 = 0, l2 = 0, l3 = 0, l4 = 0, l5 = 0] = tracker.levelCounts();
    const dangerLevels = { 1: l1, 2: l2, 3: l3, 4: l4, 5: l5 };
    return reportHead({
      lines: pipeline.lines,
      firewallLines: pipeline.firewallLines,
      skipped: pipeline.skipped,
      topPorts: counters.topPorts(cfg.TOP_PORTS_LOG_THRESHOLD),
      topSignatures: counters.topSignatures(cfg.TOP_SIGS_LOG_THRESHOLD),
      logPrefixes: counters.logPrefixes(),
      firstSeen: pipeline.firstSeen,
      lastSeen: pipeline.lastSeen,
      timeline: pipeline.timeline.toReport(),
      dangerLevels,
      extra: { packets: pipeline.packets, serviceLines: pipeline.serviceLines, serviceEvents: pipeline.serviceEvents, tracked: tracker.stats.tracked, evicted: tracker.stats.evicted, protocolCounters: counters.protocols() },
    }, levels);
  };

  const resolveNames = async (sources: readonly SourceReport[]): Promise<void> => {
    const { rdns } = await enrichers();
    if (!rdns) return;
    await Promise.all(sources.map(async (s) => {
      s.rdns = await rdns.lookup(lookupAddress(s));
    }));
  };

  /** The listed sources, sorted by their states (most sources are quiet noise below minDl and are never built), and a way to build them. */
  const sourcesOf = async (minDl: number, ro: ReportOptions): Promise<ListedSources> => {
    const { geo } = await enrichers();
    const listed = listedSources(tracker, minDl, ro.keep);
    // All at once: a lookup for one report then lets its databases go before the report is built (GeoLookup.lookupAll).
    const places = geo?.lookupAll(listed.length, (i) => stateLookupAddress(listed[i] as SourceState)) ?? null;
    return {
      listed,
      build(from, to) {
        const out: SourceReport[] = [];
        for (let i = from; i < to; i++) {
          const st = listed[i] as SourceState;
          const s = sourceReport(st, cfg);
          enrichSource(s, geo, feeds, places?.[i]);
          if (ro.destinations !== undefined && ro.destinations > 0) {
            const d = topDestinations(st, ro.destinations);
            s.topDestinations = d.list;
            s.destinationsInWindow = d.inWindow;
          }
          out.push(s);
        }
        return out;
      },
    };
  };

  const reportParts = async (minDl: number, ro: ReportOptions): Promise<ListedSources & { head: ReportHead }> => {
    const parts = await sourcesOf(minDl, ro);
    return { ...parts, head: headOf(parts.listed.map((st) => st.peakDl)) };
  };

  return {
    pipeline,
    tracker,
    counters,
    feeds,
    autoDl,
    traffic,
    sink(ctx) {
      return { line: (l) => pipeline.line(l, ctx), tooLong: () => pipeline.tooLong() };
    },
    byteSink(ctx) {
      return { bytes: (b, start, end, ascii) => pipeline.bytes(b, start, end, ctx, ascii), tooLong: () => pipeline.tooLong() };
    },
    async report(minDl, ro = {}) {
      const parts = await reportParts(minDl, ro);
      const sources = parts.build(0, parts.listed.length);
      // In the contract's order: the sources a reader looks at first get their names first.
      await resolveNames(sources.slice(0, ro.rdnsMax ?? sources.length));
      return withSources(parts.head, sources);
    },
    async reportStream(minDl) {
      const parts = await reportParts(minDl, {});
      async function* batches(): AsyncGenerator<SourceReport[]> {
        for (let i = 0; i < parts.listed.length; i += REPORT_BATCH) {
          const batch = parts.build(i, Math.min(parts.listed.length, i + REPORT_BATCH));
          await resolveNames(batch);
          yield batch;
        }
      }
      return { head: parts.head, batches: batches() };
    },
    listedSources: (minDl) => sourcesOf(minDl, {}),
    head: headOf,
    resolveNames,
  };
}
