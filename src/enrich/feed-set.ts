/**
 * The configured reputation feeds: loading (last good copy from disk, local
 * files re-read), refreshing on each feed's interval, and matching a source
 * address against every feed.
 *
 * Each feed has its own PrefixMap (longest match), so a source listed by two
 * feeds gets both, and a match never depends on other addresses: psad shared
 * one match hash between packets, so sources in no feed were reported as
 * listed. match() builds a fresh result from the address alone.
 *
 * A list is only ever replaced by a download that parsed well (see
 * rejectReason); failures are recorded per feed and returned by update().
 */
import { resolve } from 'node:path';
import { ConfigError } from '../config/errors.js';
import { type FeedFormat, type FeedSpec, parseFeedSpec } from '../config/keys/enrich.js';
import type { Config } from '../config/keys/index.js';
import type { ReputationMatch } from '../model/enrichment.js';
import { addressBytes } from '../net/address.js';
import { PrefixMap } from '../net/prefix-map.js';
import { readFeedCache, writeFeedCache } from './feed-cache.js';
import { fetchFeed, type FetchLimits, isUrl, type Validators } from './feed-fetch.js';
import { type ParsedFeed, parseFeedText, rejectReason } from './feed-parse.js';

export interface FeedInfo {
  name: string;
  dl: number;
  format: FeedFormat;
  /** URL or absolute file path. */
  source: string;
  block: boolean;
  refreshSec: number;
  entries: number;
  /** Malformed lines in the copy in use. */
  malformed: number;
  /** Where the list in use came from: nothing yet, the on-disk copy, or the source itself this run. */
  origin: 'none' | 'cache' | 'source';
  /** When the list in use was fetched (ISO 8601), null when there is none. */
  fetchedAt: string | null;
  /** Last successful check of the source (ISO 8601), null when none this run. */
  checkedAt: string | null;
  lastError: string | null;
}

export type FeedUpdateStatus = 'updated' | 'unchanged' | 'rejected' | 'failed';

export interface FeedUpdateResult {
  feed: string;
  status: FeedUpdateStatus;
  /** Entries in use after the update (the old count when rejected or failed). */
  entries: number;
  added: number;
  removed: number;
  /** Why the download failed or was rejected; for 'updated', a problem saving the copy. */
  error: string | null;
}

export interface FeedLoadOptions {
  /** Where the saved copies live (default REPUTATION_FEEDS_DIR). */
  cacheDir?: string;
  /** Download URL feeds that are due or have no saved copy (default false: analyze never downloads). */
  fetchRemote?: boolean;
  /** Only the saved copies: no file read, no download. */
  cacheOnly?: boolean;
  /** Clock for due checks and fetch times (tests). */
  now?: number;
}

export interface FeedUpdateOptions {
  /** Check every feed now, due or not. */
  force?: boolean;
  /** Only these feeds. */
  names?: readonly string[];
  /** Clock for due checks (tests). */
  now?: number;
}

interface FeedState {
  spec: FeedSpec;
  source: string;
  map: PrefixMap<true>;
  entries: readonly string[];
  malformed: number;
  origin: FeedInfo['origin'];
  validators: Validators | null;
  fetchedAt: string | null;
  checkedAt: number | null;
  attemptedAt: number | null;
  lastError: string | null;
}

/** A failed source is retried sooner than its refresh interval, but not more often than this. */
const RETRY_AFTER_FAILURE_SEC = 900;
/** Local files are only stat()ed when unchanged, so they are checked at least this often. */
const FILE_CHECK_SEC = 60;

function specsOf(cfg: Config): FeedSpec[] {
  if (!cfg.ENABLE_REPUTATION_FEEDS) return [];
  const specs = cfg.REPUTATION_FEED.map((raw) => parseFeedSpec(raw));
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new ConfigError('(configuration)', 0, 'REPUTATION_FEED', `feed name "${s.name}" is used twice`);
    seen.add(s.name);
  }
  return specs;
}

function newState(spec: FeedSpec, dir: string): FeedState {
  return {
    spec, source: isUrl(spec.source) ? spec.source : resolve(dir, spec.source), map: new PrefixMap<true>(), entries: [], malformed: 0,
    origin: 'none', validators: null, fetchedAt: null, checkedAt: null, attemptedAt: null, lastError: null,
  };
}

function adopt(st: FeedState, p: ParsedFeed, origin: FeedInfo['origin']): void {
  st.map = p.map;
  st.entries = p.entries;
  st.malformed = p.malformed;
  st.origin = origin;
}

function diffCounts(oldEntries: readonly string[], newEntries: readonly string[]): { added: number; removed: number } {
  const old = new Set(oldEntries);
  let added = 0;
  for (const e of newEntries) if (!old.has(e)) added++;
  return { added, removed: oldEntries.length - (newEntries.length - added) };
}

export class FeedSet {
  readonly feeds: readonly FeedSpec[];
  readonly #states: FeedState[];
  readonly #dir: string;
  readonly #limits: FetchLimits;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(states: FeedState[], dir: string, limits: FetchLimits) {
    this.#states = states;
    this.feeds = states.map((s) => s.spec);
    this.#dir = dir;
    this.#limits = limits;
  }

  /**
   * Loads every feed: the last good copy from the cache directory, then the
   * file itself for file sources, and a download for URL sources when
   * fetchRemote is set and the feed is due (or has no copy); with cacheOnly,
   * only the saved copies (for a caller that runs update() next). Problems
   * with a feed are recorded in list(), never thrown: detection runs
   * regardless. Throws ConfigError when two feeds share a name.
   */
  static async load(cfg: Config, opts: FeedLoadOptions = {}): Promise<FeedSet> {
    const dir = opts.cacheDir ?? cfg.REPUTATION_FEEDS_DIR;
    const states = specsOf(cfg).map((spec) => newState(spec, cfg.REPUTATION_FEEDS_DIR));
    const set = new FeedSet(states, dir, { timeoutMs: cfg.REPUTATION_FEED_TIMEOUT * 1000, maxBytes: cfg.REPUTATION_FEED_MAX_BYTES });
    for (const st of states) {
      await set.#loadCache(st);
      if (opts.cacheOnly === true) continue;
      const url = isUrl(st.source);
      const now = opts.now ?? Date.now();
      if (!url || (opts.fetchRemote === true && (st.origin === 'none' || set.#isDue(st, now)))) await set.#refresh(st, now);
    }
    return set;
  }

  async #loadCache(st: FeedState): Promise<void> {
    const copy = await readFeedCache(this.#dir, st.spec.name, st.source);
    if (copy === null) return;
    const parsed = await parseFeedText(copy.body, st.spec.format);
    if (rejectReason(parsed) !== null) return;
    adopt(st, parsed, 'cache');
    st.validators = { etag: copy.meta.etag, lastModified: copy.meta.lastModified, fileStamp: copy.meta.fileStamp };
    st.fetchedAt = copy.meta.fetchedAt;
    const t = Date.parse(copy.meta.fetchedAt);
    st.attemptedAt = Number.isNaN(t) ? null : t;
  }

  #isDue(st: FeedState, now: number): boolean {
    const every = isUrl(st.source) ? st.spec.refreshSec : Math.min(st.spec.refreshSec, FILE_CHECK_SEC);
    if (every === 0) return false;
    if (st.attemptedAt === null) return true;
    const wait = st.lastError !== null ? Math.min(every, RETRY_AFTER_FAILURE_SEC) : every;
    return now - st.attemptedAt >= wait * 1000;
  }

  /** Fetches, checks and (when good) adopts one feed's source; never throws. */
  async #refresh(st: FeedState, now: number): Promise<FeedUpdateResult> {
    st.attemptedAt = now;
    const result = (status: FeedUpdateStatus, error: string | null, added = 0, removed = 0): FeedUpdateResult => {
      st.lastError = error;
      return { feed: st.spec.name, status, entries: st.entries.length, added, removed, error };
    };
    let got;
    try {
      got = await fetchFeed(st.source, st.origin === 'none' ? null : st.validators, this.#limits);
    } catch (err) {
      return result('failed', err instanceof Error ? err.message : String(err));
    }
    if (got.kind === 'unchanged') {
      st.checkedAt = now;
      return result('unchanged', null);
    }
    const parsed = await parseFeedText(got.text, st.spec.format);
    const reason = rejectReason(parsed);
    if (reason !== null) return result('rejected', `${st.source}: ${reason}; keeping the last good copy (${st.entries.length} entries)`);
    const { added, removed } = diffCounts(st.entries, parsed.entries);
    adopt(st, parsed, 'source');
    st.checkedAt = now;
    st.fetchedAt = new Date(now).toISOString();
    st.validators = { etag: got.etag, lastModified: got.lastModified, fileStamp: got.fileStamp };
    const meta = { source: st.source, ...st.validators, fetchedAt: st.fetchedAt, entries: parsed.entries.length };
    try {
      await writeFeedCache(this.#dir, st.spec.name, { meta, body: got.text });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      return result('updated', `cannot save the copy in ${this.#dir} (${code})`, added, removed);
    }
    return result('updated', null, added, removed);
  }

  /**
   * Refreshes the feeds that are due (all of them with force), one at a
   * time; concurrent calls queue. Returns one result per feed checked.
   */
  update(opts: FeedUpdateOptions = {}): Promise<FeedUpdateResult[]> {
    const run = async (): Promise<FeedUpdateResult[]> => {
      const out: FeedUpdateResult[] = [];
      for (const st of this.#states) {
        if (opts.names !== undefined && !opts.names.includes(st.spec.name)) continue;
        const now = opts.now ?? Date.now();
        if (opts.force === true || this.#isDue(st, now)) out.push(await this.#refresh(st, now));
      }
      return out;
    };
    const next = this.#queue.then(run, run);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Milliseconds until the next feed is due (0: now), or null when none refreshes by itself. */
  msUntilDue(now = Date.now()): number | null {
    let best: number | null = null;
    for (const st of this.#states) {
      if (this.#isDue(st, now)) return 0;
      const every = isUrl(st.source) ? st.spec.refreshSec : Math.min(st.spec.refreshSec, FILE_CHECK_SEC);
      if (every === 0 || st.attemptedAt === null) continue;
      const wait = (st.lastError !== null ? Math.min(every, RETRY_AFTER_FAILURE_SEC) : every) * 1000 - (now - st.attemptedAt);
      best = best === null ? wait : Math.min(best, wait);
    }
    return best;
  }

  /**
   * Every feed listing the address (its longest matching entry in each),
   * highest DL first. Empty for an invalid address or one no feed lists.
   */
  match(addr: string): ReputationMatch[] {
    // Called for every new source: with no feeds loaded, not even the address is parsed.
    if (this.#states.length === 0) return [];
    const bytes = addressBytes(addr);
    if (bytes === null) return [];
    const out: ReputationMatch[] = [];
    for (const st of this.#states) {
      if (st.map.get(bytes) === undefined) continue;
      const m = st.map.match(addr);
      out.push({ feed: st.spec.name, dl: st.spec.dl, entry: m?.prefix ?? addr });
    }
    return out.sort((a, b) => b.dl - a.dl || (a.feed < b.feed ? -1 : a.feed > b.feed ? 1 : 0));
  }

  /** The entries of feeds with block=Y, without duplicates, for proactive blocking. */
  proactiveBlockList(): string[] {
    const all = new Set<string>();
    for (const st of this.#states) if (st.spec.block) for (const e of st.entries) all.add(e);
    return [...all];
  }

  list(): FeedInfo[] {
    return this.#states.map((st) => ({
      name: st.spec.name, dl: st.spec.dl, format: st.spec.format, source: st.source, block: st.spec.block,
      refreshSec: st.spec.refreshSec, entries: st.entries.length, malformed: st.malformed, origin: st.origin,
      fetchedAt: st.fetchedAt, checkedAt: st.checkedAt === null ? null : new Date(st.checkedAt).toISOString(), lastError: st.lastError,
    }));
  }
}
