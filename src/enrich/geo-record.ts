/**
 * Reads country, city and AS fields out of an mmdb record whatever its schema:
 * MaxMind GeoLite2/GeoIP2 (and DB-IP lite, which copies it):
 *   country.iso_code, registered_country.iso_code, city.names.en,
 *   autonomous_system_number, autonomous_system_organization;
 * ip-location-db (the embedded default): country_code, city,
 *   autonomous_system_number, autonomous_system_organization;
 * IPinfo lite: country_code, asn ("AS15169"), as_name.
 * Values are checked, so a file of another kind yields nulls, not garbage.
 */
import type { GeoInfo } from '../model/enrichment.js';

type Rec = Record<string, unknown>;

function isRec(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isoCode(v: unknown): string | null {
  if (typeof v !== 'string' || v.length !== 2) return null;
  const up = v.toUpperCase();
  return /^[A-Z]{2}$/.test(up) ? up : null;
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

function countryOf(r: Rec): string | null {
  for (const k of ['country', 'registered_country', 'represented_country']) {
    const sub = r[k];
    if (isRec(sub)) {
      const c = isoCode(sub.iso_code);
      if (c !== null) return c;
    }
  }
  return isoCode(r.country_code) ?? isoCode(r.country);
}

function cityOf(r: Rec): string | null {
  const c = r.city;
  if (isRec(c)) {
    const names = c.names;
    return isRec(names) ? text(names.en) : null;
  }
  return text(c);
}

function asnOf(r: Rec): number | null {
  const v = r.autonomous_system_number ?? r.asn;
  if (typeof v === 'number') return Number.isSafeInteger(v) && v > 0 ? v : null;
  if (typeof v === 'string') {
    const m = /^(?:AS)?(\d{1,10})$/i.exec(v.trim());
    const n = m ? Number(m[1]) : NaN;
    return n > 0 && n <= 0xffffffff ? n : null;
  }
  return null;
}

function asOrgOf(r: Rec): string | null {
  return text(r.autonomous_system_organization) ?? text(r.as_name);
}

/** The fields one record provides (nulls for what it lacks). */
export function geoFromRecord(rec: unknown): GeoInfo {
  if (!isRec(rec)) return { country: null, asn: null, asOrg: null, city: null };
  return { country: countryOf(rec), asn: asnOf(rec), asOrg: asOrgOf(rec), city: cityOf(rec) };
}

/** Fills the null fields of `into` from `from` (the first database that knows a field wins). */
export function mergeGeo(into: GeoInfo, from: GeoInfo): void {
  into.country ??= from.country;
  into.city ??= from.city;
  if (into.asn === null && from.asn !== null) {
    into.asn = from.asn;
    into.asOrg = from.asOrg;
  }
}
