/**
 * GeoLite2-schema MaxMind DB files for tests, made with tsad's own writer
 * (src/enrich/mmdb-writer.ts) without a download or licence key and read by
 * the real maxmind reader. Later, longer prefixes may be nested inside earlier ones.
 */
import { MmdbBuilder, type MmdbOptions, type MmdbValue } from '../../../src/enrich/mmdb-writer.js';

export interface MmdbEntry {
  cidr: string;
  data: MmdbValue;
}

/** The bytes of an mmdb file holding the entries (src/enrich/mmdb-writer.ts writes it). */
export function buildMmdb(entries: MmdbEntry[], opts: MmdbOptions): Buffer {
  const b = new MmdbBuilder({ buildEpoch: 1700000000, description: 'tsad test database', ...opts });
  for (const e of entries) b.prefix(e.cidr, b.data(e.data));
  return b.bytes();
}

/** GeoLite2-Country style record. */
export function countryRecord(iso: string, name: string): MmdbValue {
  const country = { geoname_id: 1000 + iso.charCodeAt(0) * 100 + iso.charCodeAt(1), iso_code: iso, names: { en: name } };
  return { continent: { code: 'EU', geoname_id: 6255148, names: { en: 'Europe' } }, country, registered_country: country };
}

/** GeoLite2-City style record. */
export function cityRecord(iso: string, city: string): MmdbValue {
  return {
    city: { geoname_id: 2643743, names: { en: city, de: city } },
    country: { geoname_id: 2635167, iso_code: iso, names: { en: iso } },
    location: { accuracy_radius: 100, latitude: 51.5142, longitude: -0.0931, time_zone: 'Europe/London' },
  };
}

/** GeoLite2-ASN style record. */
export function asnRecord(asn: number, org: string): MmdbValue {
  return { autonomous_system_number: asn, autonomous_system_organization: org };
}
