/**
 * Builds tsad's built-in ASN database, data/asn.mmdb, at build time from the
 * npm package @ip-location-db/asn (RouteViews, the five RIRs via the NRO and
 * DB-IP's IP to ASN Lite, merged by ip-location-db; CC BY 4.0: the licence
 * texts go beside it as data/ASN-LICENSE). Its records use GeoLite2-ASN's
 * field names, so the maxmind reader and geo-record.ts read it like any ASN
 * file. `npm run build` runs this; it does nothing when the file is newer
 * than the package. Run as `node dist/enrich/asn-db-build.js [--force]`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode, encodeMapWithKeys, MmdbBuilder } from './mmdb-writer.js';

import { ASN_DB, ASN_LICENSE } from './asn-db-files.js';

export { ASN_DB, ASN_LICENSE };

const SOURCE_PKG = '@ip-location-db/asn';

/** `start,end,asn,org` with org perhaps quoted ("Cloudflare, Inc."; "" inside quotes). */
function fields(line: string): [string, string, number, string] | null {
  const a = line.indexOf(',');
  const b = line.indexOf(',', a + 1);
  const c = line.indexOf(',', b + 1);
  if (a < 0 || b < 0 || c < 0) return null;
  const asn = Number(line.slice(b + 1, c));
  let org = line.slice(c + 1).trim();
  if (org.startsWith('"') && org.endsWith('"')) org = org.slice(1, -1).replace(/""/g, '"');
  if (!Number.isSafeInteger(asn) || asn <= 0 || asn > 0xffffffff) return null;
  return [line.slice(0, a), line.slice(a + 1, b), asn, org];
}

/** The CIDR blocks covering [start, end] of a `bits`-wide space, each as (first address, prefix length). */
export function rangeToPrefixes(start: bigint, end: bigint, bits: number): Array<[bigint, number]> {
  const out: Array<[bigint, number]> = [];
  while (start <= end) {
    let size = 0;
    while (size < bits && ((start >> BigInt(size)) & 1n) === 0n && start + (1n << BigInt(size + 1)) - 1n <= end) size++;
    out.push([start, bits - size]);
    start += 1n << BigInt(size);
  }
  return out;
}

function words(addr: bigint): Uint32Array {
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = Number((addr >> BigInt(96 - 32 * i)) & 0xffffffffn);
  return w;
}

export interface AsnBuild {
  bytes: Buffer;
  ranges: number;
  records: number;
}

/** The database from the package's `asn-ipv4-num.csv` and `asn-ipv6-num.csv` (IPv4 at ::/96). */
export function buildAsnDb(v4Csv: string, v6Csv: string, buildEpoch: number): AsnBuild {
  const b = new MmdbBuilder({ databaseType: 'ip-location-db-asn', description: 'IP to ASN: RouteViews, NRO and DB-IP IP to ASN Lite data merged by ip-location-db (CC BY 4.0)', buildEpoch });
  // The two keys once, at the start of the data section; every record points at them.
  const asnKey = { pointer: b.dataBytes(encode('autonomous_system_number')) };
  const orgKey = { pointer: b.dataBytes(encode('autonomous_system_organization')) };
  const records = new Map<string, number>();
  let ranges = 0;
  const record = (asn: number, org: string): number => {
    const key = `${asn}\t${org}`;
    let r = records.get(key);
    if (r === undefined) {
      const pairs: Array<[typeof asnKey, number | string]> = [[asnKey, asn]];
      if (org !== '') pairs.push([orgKey, org]);
      r = b.data(encodeMapWithKeys(pairs));
      records.set(key, r);
    }
    return r;
  };
  for (const [csv, v6] of [[v4Csv, false], [v6Csv, true]] as const) {
    for (const line of csv.split('\n')) {
      const f = fields(line);
      if (f === null) continue;
      const [from, to] = [BigInt(f[0]), BigInt(f[1])];
      const r = record(f[2], f[3]);
      ranges++;
      for (const [first, len] of rangeToPrefixes(from, to, v6 ? 128 : 32)) b.add(words(first), v6 ? len : len + 96, r);
    }
  }
  return { bytes: b.bytes(), ranges, records: records.size };
}

/** Writes data/asn.mmdb (and the licence) under `root` unless it is newer than the source package. */
export function writeAsnDb(root: string, force = false): string {
  const pkgJson = createRequire(join(root, 'package.json')).resolve(`${SOURCE_PKG}/package.json`);
  const src = dirname(pkgJson);
  const out = join(root, ASN_DB);
  if (!force && existsSync(out) && statSync(out).mtimeMs >= statSync(join(src, 'asn-ipv4-num.csv')).mtimeMs) return `${out} is up to date`;
  const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  // The data's date is in the package version (2.3.YYYYMMDDHH): the file says when its data is from.
  const m = /\.(\d{4})(\d{2})(\d{2})(\d{2})$/.exec(version);
  const epoch = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4])) / 1000 : Math.floor(statSync(pkgJson).mtimeMs / 1000);
  const db = buildAsnDb(readFileSync(join(src, 'asn-ipv4-num.csv'), 'utf8'), readFileSync(join(src, 'asn-ipv6-num.csv'), 'utf8'), epoch);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.tmp`, db.bytes);
  renameSync(`${out}.tmp`, out);
  const licences = ['ROUTEVIEWS-LICENSE', 'NRO_LICENSE', 'DBIP-LICENSE', 'MODIFICATIONS'].map((f) => readFileSync(join(src, f), 'utf8').trim());
  writeFileSync(join(root, ASN_LICENSE), `${ASN_DB}: built from the npm package ${SOURCE_PKG} ${version} (https://github.com/sapics/ip-location-db),\nlicensed under the Creative Commons Attribution 4.0 International License\n(https://creativecommons.org/licenses/by/4.0/). Attribution as its authors ask:\n\n${licences.join('\n\n')}\n\ntsad converted the CSV ranges to a MaxMind DB file; the data is unchanged.\n`);
  return `${out}: ${db.ranges} ranges, ${db.records} distinct AS records, ${(db.bytes.length / 1024 ** 2).toFixed(1)} MB`;
}

// Run as a program (not when imported, nor inside the Debian package's bundle, where import.meta.url is empty).
const self: string | undefined = import.meta.url;
if (self !== undefined && self !== '' && process.argv[1] !== undefined && fileURLToPath(self) === process.argv[1]) {
  const root = fileURLToPath(new URL('../../', self));
  process.stdout.write(`${writeAsnDb(root, process.argv.includes('--force'))}\n`);
}
