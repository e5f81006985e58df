import { mkdtempSync, rmSync, writeFileSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeoLookup, builtinCountryDbPath } from '../../src/enrich/geoip.js';
import { configFrom } from './helpers/config.js';
import { asnRecord, buildMmdb, cityRecord, countryRecord } from './helpers/mmdb-writer.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-enrich-geo-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeDb(name: string, buf: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, buf);
  return p;
}

describe('embedded CC0 country database (no download, no key)', () => {
  let geo: GeoLookup;
  beforeAll(async () => {
    // The country database alone (the built-in ASN database has its own test, builtin-asn.test.ts).
    geo = await GeoLookup.open(configFrom('GEOIP_ASN_DB NONE;\n'));
  });

  it('is the file shipped by @ip-location-db/geo-whois-asn-country-mmdb', () => {
    expect(builtinCountryDbPath()).toMatch(/@ip-location-db\/geo-whois-asn-country-mmdb\/geo-whois-asn-country\.mmdb$/);
    expect(statSync(builtinCountryDbPath()).size).toBeGreaterThan(1_000_000);
    expect(geo.enabled).toBe(true);
    expect(geo.databases()[0]).toMatchObject({ key: 'GEOIP_COUNTRY_DB', type: 'country ipvAll', lastError: null });
  });

  it.each([
    ['8.8.8.8', 'US'], // Google Public DNS
    ['9.9.9.9', 'US'], // Quad9
    ['1.1.1.1', 'AU'], // APNIC's research prefix, registered in Australia
    ['193.0.14.129', 'NL'], // k.root-servers.net (RIPE NCC)
    ['202.12.27.33', 'JP'], // m.root-servers.net (WIDE)
    ['2001:4860:4860::8888', 'US'],
    ['2606:4700:4700::1111', 'US'],
    ['::ffff:8.8.8.8', 'US'], // IPv4-mapped: looked up as the IPv4 host
  ])('%s is in %s', (addr, cc) => {
    const g = geo.lookup(addr);
    expect(g.country).toBe(cc);
    expect(g.asn).toBeNull(); // the country database carries no AS data
    expect(g.city).toBeNull();
  });

  it.each(['192.0.2.1', '198.51.100.7', '203.0.113.9', '2001:db8::1', '10.1.2.3', '192.168.1.1', '127.0.0.1', '::1', 'fe80::1', '224.0.0.1'])(
    'special-purpose address %s has no country (the whois data gives some of them one)',
    (addr) => {
      expect(geo.lookup(addr)).toEqual({ country: null, asn: null, asOrg: null, city: null });
    },
  );

  it('answers null for text that is not an address', () => {
    expect(geo.lookup('not-an-ip').country).toBeNull();
    expect(geo.lookup('1.2.3.256').country).toBeNull();
  });

  it('caches per address: a repeat returns the same object', () => {
    const a = geo.lookup('81.2.69.142');
    expect(a.country).toBe('GB');
    expect(geo.lookup('81.2.69.142')).toBe(a);
  });

  it('ENABLE_GEOIP N opens nothing and answers null', async () => {
    const off = await GeoLookup.open(configFrom('ENABLE_GEOIP N;'));
    expect(off.enabled).toBe(false);
    expect(off.lookup('8.8.8.8').country).toBeNull();
  });

  it('a closed lookup answers null', async () => {
    const g = await GeoLookup.open(configFrom(''));
    g.close();
    expect(g.lookup('8.8.8.8').country).toBeNull();
  });
});

describe('GeoLite2-schema databases written by the test', () => {
  let countryDb: string;
  let asnDb: string;
  let cityDb: string;
  let ipinfoDb: string;
  beforeAll(() => {
    countryDb = writeDb('GeoLite2-Country.mmdb', buildMmdb([
      { cidr: '81.2.69.0/24', data: countryRecord('GB', 'United Kingdom') },
      { cidr: '89.160.20.0/24', data: countryRecord('SE', 'Sweden') },
      { cidr: '2a02:cf40::/29', data: countryRecord('NO', 'Norway') },
    ], { databaseType: 'GeoLite2-Country' }));
    asnDb = writeDb('GeoLite2-ASN.mmdb', buildMmdb([
      { cidr: '81.2.69.0/24', data: asnRecord(20712, 'Andrews & Arnold Ltd') },
      { cidr: '89.160.0.0/17', data: asnRecord(29518, 'Bredband2 AB') },
      { cidr: '2a02:cf40::/29', data: asnRecord(64512, 'Example Norway AS') },
    ], { databaseType: 'GeoLite2-ASN' }));
    cityDb = writeDb('GeoLite2-City.mmdb', buildMmdb([
      { cidr: '81.2.69.128/26', data: cityRecord('GB', 'London') },
      { cidr: '5.83.124.0/24', data: cityRecord('FR', 'Paris') },
    ], { databaseType: 'GeoLite2-City' }));
    // IPinfo lite schema: country_code, asn as "ASnnn", as_name.
    ipinfoDb = writeDb('ipinfo-lite.mmdb', buildMmdb([
      { cidr: '5.83.124.0/24', data: { country_code: 'FR', asn: 'AS12876', as_name: 'Scaleway S.a.s.' } },
      { cidr: '81.2.69.0/24', data: { country_code: 'IE', asn: 'AS1', as_name: 'wrong' } },
    ], { databaseType: 'ipinfo lite.mmdb' }));
  });

  it('country, city and ASN files combine; the first file knowing a field wins', async () => {
    const geo = await GeoLookup.open(configFrom(
      `GEOIP_COUNTRY_DB ${countryDb};\nGEOIP_CITY_DB ${cityDb};\nGEOIP_ASN_DB ${asnDb};\nGEOIP_DB ${ipinfoDb};\n`,
    ));
    expect(geo.databases().map((d) => [d.key, d.type])).toEqual([
      ['GEOIP_COUNTRY_DB', 'GeoLite2-Country'], ['GEOIP_CITY_DB', 'GeoLite2-City'], ['GEOIP_ASN_DB', 'GeoLite2-ASN'], ['GEOIP_DB', 'ipinfo lite.mmdb'],
    ]);
    expect(geo.lookup('81.2.69.142')).toEqual({ country: 'GB', asn: 20712, asOrg: 'Andrews & Arnold Ltd', city: 'London' });
    expect(geo.lookup('81.2.69.7')).toEqual({ country: 'GB', asn: 20712, asOrg: 'Andrews & Arnold Ltd', city: null });
    expect(geo.lookup('89.160.20.112')).toEqual({ country: 'SE', asn: 29518, asOrg: 'Bredband2 AB', city: null });
    expect(geo.lookup('89.160.99.1')).toEqual({ country: null, asn: 29518, asOrg: 'Bredband2 AB', city: null });
    expect(geo.lookup('2a02:cf47::1')).toEqual({ country: 'NO', asn: 64512, asOrg: 'Example Norway AS', city: null });
    // Only the city and IPinfo files know 5.83.124.0/24.
    expect(geo.lookup('5.83.124.9')).toEqual({ country: 'FR', asn: 12876, asOrg: 'Scaleway S.a.s.', city: 'Paris' });
    expect(geo.lookup('8.8.8.8')).toEqual({ country: null, asn: null, asOrg: null, city: null });
  });

  it('an IPv4-only database answers null for IPv6 instead of a record of some IPv4 network', async () => {
    const v4 = writeDb('v4only.mmdb', buildMmdb([{ cidr: '32.0.0.0/3', data: countryRecord('US', 'United States') }], { ipVersion: 4, databaseType: 'GeoLite2-Country' }));
    const geo = await GeoLookup.open(configFrom(`GEOIP_COUNTRY_DB ${v4};`));
    expect(geo.lookup('33.1.2.3').country).toBe('US');
    // 2001:4860:: begins with the bits of 32.1.72.96: a naive walk would say US.
    expect(geo.lookup('2001:4860::1').country).toBeNull();
  });

  it('a configured file that is missing or not an mmdb is an error naming the key and path', async () => {
    await expect(GeoLookup.open(configFrom(`GEOIP_ASN_DB ${join(dir, 'missing.mmdb')};`))).rejects.toThrow(/GEOIP_ASN_DB: .*missing\.mmdb: cannot read \(ENOENT\)/);
    const junk = writeDb('junk.mmdb', Buffer.from('this is not a database\n'));
    await expect(GeoLookup.open(configFrom(`GEOIP_CITY_DB ${junk};`))).rejects.toThrow(/GEOIP_CITY_DB: .*junk\.mmdb: not a MaxMind DB file/);
  });

  it('relative paths are configuration errors', () => {
    expect(() => configFrom('GEOIP_ASN_DB GeoLite2-ASN.mmdb;')).toThrow(/test\.conf:1: GEOIP_ASN_DB: .*absolute path/);
  });
});

describe('re-opening a database that changes on disk', () => {
  const db = (cc: string, name: string): Buffer => buildMmdb([{ cidr: '81.2.69.0/24', data: countryRecord(cc, name) }], { databaseType: 'GeoLite2-Country' });

  it('picks up a file replaced by rename, on its own after GEOIP_RECHECK_INTERVAL', async () => {
    const path = writeDb('swap.mmdb', db('DE', 'Germany'));
    const geo = await GeoLookup.open(configFrom(`GEOIP_COUNTRY_DB ${path};\nGEOIP_RECHECK_INTERVAL 1;`));
    expect(geo.lookup('81.2.69.1').country).toBe('DE');
    writeFileSync(`${path}.new`, db('FR', 'France'));
    renameSync(`${path}.new`, path);
    expect(geo.lookup('81.2.69.1').country).toBe('DE'); // not checked yet: no stat per lookup
    // The next check, GEOIP_RECHECK_INTERVAL (1 s) on, sees the new file.
    await waitFor('the replaced database', () => geo.lookup('81.2.69.1').country === 'FR', { every: 50 });
    expect(geo.databases()[0]?.lastError).toBeNull();
  });

  it('reload() picks up an in-place rewrite; a broken file keeps the old data and reports it', async () => {
    const path = writeDb('inplace.mmdb', db('IT', 'Italy'));
    const geo = await GeoLookup.open(configFrom(`GEOIP_COUNTRY_DB ${path};\nGEOIP_RECHECK_INTERVAL 3600;`));
    expect(geo.lookup('81.2.69.1').country).toBe('IT');
    expect(await geo.reload()).toBe(false); // unchanged
    writeFileSync(path, db('ES', 'Spain Kingdom')); // different size, same inode
    expect(await geo.reload()).toBe(true);
    expect(geo.lookup('81.2.69.1').country).toBe('ES');
    writeFileSync(path, Buffer.from('truncated download'));
    expect(await geo.reload()).toBe(false);
    expect(geo.lookup('81.2.69.1').country).toBe('ES');
    expect(geo.databases()[0]?.lastError).toMatch(/inplace\.mmdb: not a MaxMind DB file/);
    rmSync(path);
    expect(await geo.reload()).toBe(false);
    expect(geo.databases()[0]?.lastError).toMatch(/cannot read \(ENOENT\)/);
    expect(geo.lookup('81.2.69.1').country).toBe('ES');
  });
});
