/**
 * Keys owned by the enrich stage, and the grammar of REPUTATION_FEED (kept
 * here so that a bad feed line is a configuration error naming file and line
 * when the file is loaded, not a surprise at run time).
 */
import { isIP } from 'node:net';
import { flag, int, KeyValueError, list, repeated, str, type KeyDef, type KeyTable } from '../key-types.js';

export const title = 'Enrichment: GeoIP, reputation feeds, DNS';

/** Feed file formats; firehol and emerging-threats lists are read like plain ones. */
export const FEED_FORMATS = ['plain', 'firehol', 'emerging-threats', 'dshield-top10', 'dshield-block'] as const;
export type FeedFormat = (typeof FEED_FORMATS)[number];
const FORMAT_ALIASES: Record<string, FeedFormat> = { netset: 'firehol', et: 'emerging-threats', 'dshield-topips': 'dshield-top10' };

export interface FeedSpec {
  name: string;
  /** Danger level given to a listed source, 1-5. */
  dl: number;
  format: FeedFormat;
  /** http(s) URL, or a file path (relative paths are under REPUTATION_FEEDS_DIR). */
  source: string;
  /** Seconds between refreshes; 0: only on `tsad feeds update`. */
  refreshSec: number;
  /** Block every listed entry before it sends a packet (proactive blocking). */
  block: boolean;
  /** Written in psad's comma form (its update command is ignored: tsad runs no shell strings). */
  psadForm: boolean;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DURATION_RE = /^(\d{1,7})([smhd])$/;
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

function parseDuration(v: string): number {
  if (v === '0' || v.toLowerCase() === 'never') return 0;
  const m = DURATION_RE.exec(v);
  if (!m) throw new KeyValueError(`refresh "${v}" is not a duration such as 30m, 12h or 1d (0 or never: no automatic refresh)`);
  const sec = Number(m[1]) * (UNIT_SECONDS[m[2] as string] as number);
  if (sec < 60) throw new KeyValueError(`refresh "${v}" is shorter than one minute`);
  return sec;
}

function parseDl(v: string): number {
  if (!/^[1-5]$/.test(v)) throw new KeyValueError(`dl "${v}" must be a danger level from 1 to 5`);
  return Number(v);
}

function parseFormat(v: string): FeedFormat {
  const low = v.toLowerCase();
  const f = FORMAT_ALIASES[low] ?? FEED_FORMATS.find((x) => x === low);
  if (f === undefined) throw new KeyValueError(`format "${v}" is not one of ${FEED_FORMATS.join(', ')}`);
  return f;
}

function parseSource(v: string): string {
  if (/^https?:\/\//i.test(v)) {
    try {
      new URL(v);
    } catch {
      throw new KeyValueError(`source "${v}" is not a valid URL`);
    }
    return v;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v) && !v.toLowerCase().startsWith('file://')) {
    throw new KeyValueError(`source "${v}": only http, https and file sources are supported`);
  }
  const path = v.toLowerCase().startsWith('file://') ? v.slice(7) : v;
  if (path === '' || path.includes('\0')) throw new KeyValueError(`source "${v}" is not a file path`);
  return path;
}

function parseYesNo(field: string, v: string): boolean {
  const u = v.toUpperCase();
  if (u === 'Y' || u === 'YES') return true;
  if (u === 'N' || u === 'NO') return false;
  throw new KeyValueError(`${field} "${v}" must be Y or N`);
}

/** tsad's form: `name=N source=URL|PATH [dl=4] [format=plain] [refresh=12h] [block=N]`. */
function parseOwnForm(text: string): FeedSpec {
  const spec: Partial<FeedSpec> = { dl: 4, format: 'plain', refreshSec: 12 * 3600, block: false, psadForm: false };
  const seen = new Set<string>();
  for (const tok of text.split(/\s+/).filter((t) => t !== '')) {
    const eq = tok.indexOf('=');
    if (eq <= 0) throw new KeyValueError(`"${tok}" is not field=value (fields: name, source, dl, format, refresh, block)`);
    const field = tok.slice(0, eq).toLowerCase();
    const v = tok.slice(eq + 1);
    if (seen.has(field)) throw new KeyValueError(`field "${field}" is given twice`);
    seen.add(field);
    if (field === 'name') {
      if (!NAME_RE.test(v)) throw new KeyValueError(`name "${v}" must be letters, digits, ".", "_" or "-" (at most 64)`);
      spec.name = v;
    } else if (field === 'source' || field === 'url') spec.source = parseSource(v);
    else if (field === 'dl') spec.dl = parseDl(v);
    else if (field === 'format') spec.format = parseFormat(v);
    else if (field === 'refresh') spec.refreshSec = parseDuration(v);
    else if (field === 'block') spec.block = parseYesNo('block', v);
    else throw new KeyValueError(`unknown field "${field}" (fields: name, source, dl, format, refresh, block)`);
  }
  if (spec.name === undefined) throw new KeyValueError('missing name=...');
  if (spec.source === undefined) throw new KeyValueError('missing source=URL or source=PATH');
  return spec as FeedSpec;
}

/** Splits psad's comma form, where a field may be double-quoted and contain commas. */
function splitPsadFields(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= text.length) {
    while (text[i] === ' ' || text[i] === '\t') i++;
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new KeyValueError('unbalanced double quote');
      out.push(text.slice(i + 1, end));
      i = end + 1;
      while (text[i] === ' ' || text[i] === '\t') i++;
      if (i < text.length && text[i] !== ',') throw new KeyValueError(`unexpected text after a quoted field: "${text.slice(i, i + 20)}"`);
    } else {
      const end = text.indexOf(',', i);
      out.push(text.slice(i, end < 0 ? text.length : end).trim());
      i = end < 0 ? text.length : end;
    }
    i++;
  }
  return out;
}

/** psad's form: `"<name>",<dl>,IP,newline,<update minutes>,<Y|N diffs>,<local file>,"<update cmd>"`. */
function parsePsadForm(text: string): FeedSpec {
  const f = splitPsadFields(text);
  if (f.length < 7 || f.length > 8) throw new KeyValueError(`psad form needs 7 or 8 comma separated fields, got ${f.length}`);
  const [name, dl, kind, sep, minutes, diffs, file] = f as [string, string, string, string, string, string, string];
  if (name === '' || name.length > 64 || /[\x00-\x1f"]/.test(name)) throw new KeyValueError(`feed name "${name}" is empty, too long or has control characters`);
  if (kind.toUpperCase() !== 'IP' || sep.toLowerCase() !== 'newline') throw new KeyValueError(`only IP lists separated by newline are supported, got ${kind},${sep}`);
  if (!/^\d{1,5}$/.test(minutes) || Number(minutes) > 43200) throw new KeyValueError(`update interval "${minutes}" must be 0-43200 minutes`);
  parseYesNo('diff flag', diffs);
  const refreshSec = Number(minutes) * 60;
  return { name, dl: parseDl(dl), format: 'plain', source: parseSource(file), refreshSec: refreshSec === 0 ? 0 : Math.max(60, refreshSec), block: false, psadForm: true };
}

function parseEitherForm(v: string): FeedSpec {
  return /^"[^"]*"\s*,/.test(v) ? parsePsadForm(v) : parseOwnForm(v);
}

/**
 * Parses one REPUTATION_FEED value (either form); throws KeyValueError saying
 * what is wrong. The whole value may be wrapped in one more pair of double
 * quotes, as `config dump` writes values that contain spaces.
 */
export function parseFeedSpec(raw: string): FeedSpec {
  const v = raw.trim();
  try {
    return parseEitherForm(v);
  } catch (err) {
    if (v.length > 2 && v.startsWith('"') && v.endsWith('"')) {
      try {
        return parseEitherForm(v.slice(1, -1).trim());
      } catch {
        // Report the problem with the value as written.
      }
    }
    throw err;
  }
}

/** REPUTATION_FEED: repeatable, validated at load, kept as written (psad's form has quotes of its own). */
function feedKey(doc: string): KeyDef<readonly string[]> {
  return {
    default: [], doc, repeatable: true,
    parse(raw) {
      parseFeedSpec(raw);
      return [raw.trim()];
    },
    format: (v) => v.join('\n'),
  };
}

/** ADDR, IPv4:PORT or [IPv6]:PORT, as node's Resolver.setServers takes them. */
function validResolver(v: string): string | null {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(v) ?? /^([\d.]+):(\d{1,5})$/.exec(v);
  const addr = m ? (m[1] as string) : v;
  const port = m ? Number(m[2]) : 53;
  return isIP(addr) !== 0 && port > 0 && port < 65536 ? null : `"${v}" is not ADDR, IPv4:PORT or [IPv6]:PORT`;
}

function dbPath(extra: string) {
  return (v: string): string | null => {
    const u = v.toUpperCase();
    if (u === 'NONE' || (extra !== '' && u === extra)) return null;
    return v.startsWith('/') ? null : `"${v}" must be an absolute path${extra ? `, ${extra}` : ''} or NONE`;
  };
}

export const keys = {
  ENABLE_GEOIP: flag(true, 'Y: look up the country and AS (and the city when such a database is given) of each source in MaxMind DB (mmdb) files, once per source. No download or licence key is needed: the default country (CC0) and ASN (CC BY 4.0) databases are shipped with tsad. Private, documentation and other special-purpose addresses never get a country or AS.', { psad: '(none)' }),
  GEOIP_COUNTRY_DB: str('BUILTIN', 'Country database: BUILTIN (the CC0 ip-location-db geo-whois-asn-country database shipped with tsad), NONE, or the absolute path of an mmdb file such as GeoLite2-Country.mmdb or GeoIP2-Country.mmdb. Files are re-read when they change on disk.', { psad: '(none)', validate: dbPath('BUILTIN') }),
  GEOIP_CITY_DB: str('NONE', 'Absolute path of a GeoLite2-City or GeoIP2-City mmdb file (adds the city, and the country when GEOIP_COUNTRY_DB is NONE), or NONE.', { psad: '(none)', validate: dbPath('') }),
  GEOIP_ASN_DB: str('BUILTIN', 'AS number and organisation database: BUILTIN (the ip-location-db ASN data of RouteViews, the NRO and DB-IP, CC BY 4.0, shipped with tsad as data/asn.mmdb, built from the npm package @ip-location-db/asn; attribution in data/ASN-LICENSE), NONE, or the absolute path of a GeoLite2-ASN mmdb file (or another with the same fields).', { psad: '(none)', validate: dbPath('BUILTIN') }),
  GEOIP_DB: repeated([], 'Absolute path of another mmdb file to consult after the three above, for whatever it knows of country_code/country.iso_code, city, autonomous_system_number/asn and autonomous_system_organization/as_name (for example IPinfo lite or DB-IP lite). May be given several times.', { psad: '(none)', validate: dbPath('') }),
  GEOIP_RECHECK_INTERVAL: int(60, 'Seconds between checks of the GeoIP files for changes on disk (a stat() each; a changed file is re-read in the background while lookups go on).', { min: 1, max: 86400 }, { psad: '(none)' }),
  GEOIP_CACHE_SIZE: int(50000, 'Number of addresses whose GeoIP answer is kept in memory (least recently used are dropped).', { min: 1, max: 10000000 }, { psad: '(none)' }),
  ENABLE_REPUTATION_FEEDS: flag(true, 'Y: match sources against the REPUTATION_FEED lists; a listed source gets at least the feed\'s danger level, and the feed name appears in reports and alerts.'),
  REPUTATION_FEED: feedKey('A reputation feed (blocklist), one per line, as space separated field=value pairs: name=NAME (letters, digits, ".", "_", "-") source=URL|PATH (http, https, or a file; relative paths are under REPUTATION_FEEDS_DIR) dl=1-5 (default 4) format=plain|firehol|emerging-threats|dshield-top10|dshield-block (default plain: one address, CIDR or range per line, "#" and ";" comments) refresh=DURATION (30m, 12h, 1d; 0: only on "tsad feeds update"; default 12h) block=Y|N (block listed entries before they send a packet; default N). Example: REPUTATION_FEED name=dshield-block source=https://feeds.dshield.org/block.txt format=dshield-block refresh=12h; psad\'s comma form "<name>",<dl>,IP,newline,<minutes>,<Y|N>,<file>,"<cmd>" is read too, as a file in REPUTATION_FEEDS_DIR (the command is not run: use a URL source or "tsad feeds update"). Downloads use conditional requests; a failed, empty or mostly malformed download keeps the last good copy.'),
  REPUTATION_FEEDS_DIR: str('/var/lib/tsad/feeds', 'Directory of the last good copy of each feed (written atomically, so a restart needs no download) and of feed files given by a relative path.', { validate: (v) => (v.startsWith('/') ? null : `"${v}" must be an absolute path`) }),
  REPUTATION_FEED_TIMEOUT: int(60, 'Seconds allowed for one feed download.', { min: 1, max: 3600 }, { psad: '(none)' }),
  REPUTATION_FEED_MAX_BYTES: int(268435456, 'Largest feed download accepted, in bytes; a larger one is refused and the last good copy kept.', { min: 1024 }, { psad: '(none)' }),
  ENABLE_DNS_LOOKUPS: flag(true, 'Y: look up the reverse DNS name of sources for alerts and the status view, asynchronously, with DNS_TIMEOUT, never delaying detection. "tsad analyze" does it only with --dns.'),
  DNS_TIMEOUT: int(2, 'Seconds to wait for one reverse DNS answer (psad had no limit).', { min: 1, max: 60 }, { psad: '(none)' }),
  DNS_RESOLVERS: list([], 'Comma separated name servers for reverse DNS (ADDR or ADDR:PORT, [IPv6]:PORT); NONE uses the system resolvers of /etc/resolv.conf.', { psad: '(none)', validate: validResolver }),
  DNS_CACHE_SIZE: int(10000, 'Number of reverse DNS answers kept in memory (least recently used are dropped).', { min: 1, max: 1000000 }, { psad: '(none)' }),
  DNS_CACHE_TTL: int(3600, 'Seconds a reverse DNS answer is reused (psad reused one for DNS_LOOKUP_THRESHOLD lookups instead). Failures are retried after a minute.', { min: 1, max: 604800 }, { psad: 'DNS_LOOKUP_THRESHOLD' }),
} satisfies KeyTable;
