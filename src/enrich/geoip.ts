/**
 * Country, city and AS of a source address from MaxMind DB files. Works with
 * no download and no licence key: the default country database is the CC0
 * one shipped in the npm package @ip-location-db/geo-whois-asn-country-mmdb,
 * the default ASN database tsad's data/asn.mmdb (CC BY 4.0, asn-db-build.ts).
 * GeoLite2/GeoIP2 Country, City and ASN files (and others, GEOIP_DB) can be
 * configured; for each field the first database that knows it wins, in the
 * order country, city, ASN, then the GEOIP_DB files.
 *
 * Results are cached per address (bounded LRU), so the pipeline can ask once
 * per source and a repeat costs a Map probe (a lookup opened for one report,
 * where every address is asked once, goes without); decoded records are
 * shared by all the addresses that lead to them. The files are checked for
 * changes at most every GEOIP_RECHECK_INTERVAL seconds, in the background:
 * lookup() never waits for the disk.
 */
import type { Config } from '../config/keys/index.js';
import type { GeoInfo } from '../model/enrichment.js';
import { existsSync } from 'node:fs';
import { dependencyFile, packageFile } from '../io/package-files.js';
import { ASN_DB } from './asn-db-files.js';
import { normalizeAddress } from '../net/address.js';
import { geoFromRecord, mergeGeo } from './geo-record.js';
import { LruCache } from './lru-cache.js';
import { MmdbFile } from './mmdb-file.js';
import { isSpecialAddress, mappedIPv4 } from './special-ranges.js';

/** Path of the CC0 country database shipped with the npm dependency. */
export function builtinCountryDbPath(): string {
  try {
    return dependencyFile('@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb');
  } catch {
    throw new Error('GEOIP_COUNTRY_DB: the built-in database (npm package @ip-location-db/geo-whois-asn-country-mmdb) is not installed; give a file or NONE');
  }
}

/** Path of the built-in ASN database (data/asn.mmdb, made by `npm run build` from @ip-location-db/asn; CC BY 4.0). */
export function builtinAsnDbPath(): string {
  const path = packageFile(ASN_DB);
  if (!existsSync(path)) throw new Error(`GEOIP_ASN_DB: the built-in database ${path} is missing ("npm run build" makes it from the npm package @ip-location-db/asn); give a file or NONE`);
  return path;
}

const NO_GEO: GeoInfo = Object.freeze({ country: null, asn: null, asOrg: null, city: null }) as GeoInfo;

/** The database files named by the configuration, in priority order, with the key naming each. */
export function geoDbPaths(cfg: Config): { key: string; path: string }[] {
  if (!cfg.ENABLE_GEOIP) return [];
  const out: { key: string; path: string }[] = [];
  const add = (key: string, v: string): void => {
    if (v.toUpperCase() === 'NONE' || v === '') return;
    const builtin = key === 'GEOIP_ASN_DB' ? builtinAsnDbPath : builtinCountryDbPath;
    out.push({ key, path: v.toUpperCase() === 'BUILTIN' ? builtin() : v });
  };
  add('GEOIP_COUNTRY_DB', cfg.GEOIP_COUNTRY_DB);
  add('GEOIP_CITY_DB', cfg.GEOIP_CITY_DB);
  add('GEOIP_ASN_DB', cfg.GEOIP_ASN_DB);
  for (const p of cfg.GEOIP_DB) add('GEOIP_DB', p);
  return out;
}

export interface GeoDbInfo {
  key: string;
  path: string;
  type: string;
  built: string;
  lastError: string | null;
}

export class GeoLookup {
  readonly #dbs: MmdbFile[];
  readonly #keys: string[];
  /** Null when each address is asked once (one report of distinct sources: a cache would only cost). */
  readonly #cache: LruCache<string, GeoInfo> | null;
  /** What each (shared, decoded-once) record gives, so a record is read once however many addresses lead to it. */
  readonly #fromRecord = new WeakMap<object, GeoInfo>();
  readonly #recheckMs: number;
  #lastCheck: number;
  #checking: Promise<boolean> | null = null;
  #closed = false;

  private constructor(dbs: { key: string; db: MmdbFile }[], cacheSize: number, recheckMs: number) {
    this.#dbs = dbs.map((d) => d.db);
    this.#keys = dbs.map((d) => d.key);
    this.#cache = cacheSize > 0 ? new LruCache(cacheSize) : null;
    this.#recheckMs = recheckMs;
    this.#lastCheck = Date.now();
  }

  /**
   * Opens every configured database. A file that cannot be opened is an
   * Error naming the key and the path: a configured database that silently
   * gives nothing would look like "no country" everywhere.
   */
  static async open(cfg: Config, o: { cache?: boolean } = {}): Promise<GeoLookup> {
    const dbs: { key: string; db: MmdbFile }[] = [];
    for (const { key, path } of geoDbPaths(cfg)) {
      try {
        dbs.push({ key, db: await MmdbFile.open(path) });
      } catch (err) {
        throw new Error(`${key}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return new GeoLookup(dbs, o.cache === false ? 0 : cfg.GEOIP_CACHE_SIZE, cfg.GEOIP_RECHECK_INTERVAL * 1000);
  }

  /** True when at least one database is open. */
  get enabled(): boolean {
    return this.#dbs.length > 0;
  }

  /** The open databases, for `config check`-style listings. */
  databases(): GeoDbInfo[] {
    return this.#dbs.map((db, i) => ({
      key: this.#keys[i] as string,
      path: db.path,
      type: db.databaseType,
      built: db.buildTime.toISOString(),
      lastError: db.lastError,
    }));
  }

  /**
   * Country, AS and city of an address; all null for an invalid address, a
   * special-purpose one (private, documentation, ...) or one no database
   * lists. The returned object is shared through the cache: do not modify it.
   */
  lookup(addr: string): GeoInfo {
    if (this.#closed || this.#dbs.length === 0) return NO_GEO;
    this.#maybeRecheck();
    if (this.#cache === null) return this.#resolve(addr);
    const hit = this.#cache.get(addr);
    if (hit !== undefined) return hit;
    const info = this.#resolve(addr);
    this.#cache.set(addr, info);
    return info;
  }

  /**
   * lookup() of `count` addresses (`addressAt(i)`), asked together. A lookup
   * opened for one report (no cache) has then answered all it will be asked:
   * it lets go of its databases (held whole in memory, 18 MB for the
   * built-in ones; MmdbFile.release frees them at once), so they are not
   * held while the report is built (an analysis's peak memory was at the
   * end of its report). A later lookup reads the files again.
   */
  lookupAll(count: number, addressAt: (i: number) => string): GeoInfo[] {
    const out = new Array<GeoInfo>(count);
    for (let i = 0; i < count; i++) out[i] = this.lookup(addressAt(i));
    if (this.#cache === null && count > 0 && this.#dbs.length > 0) {
      for (const db of this.#dbs) db.release();
    }
    return out;
  }

  #resolve(addr: string): GeoInfo {
    const norm = normalizeAddress(addr);
    if (norm === null) return NO_GEO;
    const target = mappedIPv4(norm) ?? norm;
    if (isSpecialAddress(target)) return NO_GEO;
    const info: GeoInfo = { country: null, asn: null, asOrg: null, city: null };
    for (const db of this.#dbs) {
      mergeGeo(info, this.#geoOf(db.get(target)));
      if (info.country !== null && info.asn !== null && info.city !== null) break;
    }
    return info.country === null && info.asn === null && info.city === null ? NO_GEO : Object.freeze(info);
  }

  #geoOf(rec: unknown): GeoInfo {
    if (typeof rec !== 'object' || rec === null) return geoFromRecord(rec);
    let g = this.#fromRecord.get(rec);
    if (g === undefined) {
      g = Object.freeze(geoFromRecord(rec));
      this.#fromRecord.set(rec, g);
    }
    return g;
  }

  #maybeRecheck(): void {
    const now = Date.now();
    if (this.#checking !== null || now - this.#lastCheck < this.#recheckMs) return;
    this.#lastCheck = now;
    void this.reload();
  }

  /**
   * Re-reads every database whose file changed (also what the periodic check
   * runs). Resolves true when any new data is in use; the cache is then
   * emptied. Failures keep the old data and show in databases().lastError.
   */
  reload(): Promise<boolean> {
    if (this.#checking !== null) return this.#checking;
    const run = async (): Promise<boolean> => {
      let changed = false;
      for (const db of this.#dbs) if (await db.reloadIfChanged()) changed = true;
      if (changed) this.#cache?.clear();
      return changed;
    };
    this.#checking = run().finally(() => {
      this.#checking = null;
      this.#lastCheck = Date.now();
    });
    return this.#checking;
  }

  close(): void {
    this.#closed = true;
    this.#cache?.clear();
  }
}
