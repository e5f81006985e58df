/**
 * The enrich stage as the pipeline uses it: GeoIP and feed matches for a
 * source in one synchronous call (GeoIP is cached per address and a feed
 * match is a few hash probes, so asking again when a source's level changes
 * is cheap, and a reloaded database or updated feed shows at once), and its
 * reverse DNS name as a promise that the alert path may await and the
 * detection path never does.
 */
import type { Config } from '../config/keys/index.js';
import type { GeoInfo, ReputationMatch } from '../model/enrichment.js';
import { FeedSet } from './feed-set.js';
import { GeoLookup } from './geoip.js';
import { ReverseDns } from './reverse-dns.js';

export interface SourceEnrichment {
  geo: GeoInfo;
  /** Feeds listing the source, highest DL first. */
  reputation: ReputationMatch[];
  /** Highest DL among the matches, 0 when none. */
  reputationDl: number;
}

export interface EnricherOptions {
  /** Reverse DNS on (the daemon follows ENABLE_DNS_LOOKUPS; analyze passes --dns). */
  dns?: boolean;
  /** Download URL feeds that are due while loading. */
  fetchRemote?: boolean;
  /** Feed cache directory instead of REPUTATION_FEEDS_DIR. */
  cacheDir?: string;
}

export class Enricher {
  private constructor(
    readonly geo: GeoLookup,
    readonly feeds: FeedSet,
    readonly dns: ReverseDns | null,
  ) {}

  static async open(cfg: Config, opts: EnricherOptions = {}): Promise<Enricher> {
    const geo = await GeoLookup.open(cfg);
    const feeds = await FeedSet.load(cfg, { fetchRemote: opts.fetchRemote ?? false, ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}) });
    const dns = opts.dns === true
      ? new ReverseDns({ timeoutMs: cfg.DNS_TIMEOUT * 1000, servers: [...cfg.DNS_RESOLVERS], cacheSize: cfg.DNS_CACHE_SIZE, ttlMs: cfg.DNS_CACHE_TTL * 1000 })
      : null;
    return new Enricher(geo, feeds, dns);
  }

  /** GeoIP and feed matches of a source address: a fresh object each call, built from the address alone. */
  enrich(addr: string): SourceEnrichment {
    const reputation = this.feeds.match(addr);
    return { geo: this.geo.lookup(addr), reputation, reputationDl: reputation[0]?.dl ?? 0 };
  }

  /** Reverse DNS name, null when off, none, or timed out. */
  hostname(addr: string): Promise<string | null> {
    return this.dns === null ? Promise.resolve(null) : this.dns.lookup(addr);
  }

  close(): void {
    this.geo.close();
    this.dns?.close();
  }
}
