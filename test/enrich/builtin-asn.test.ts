/**
 * Issue 15, enrichment out of the box: the ASN database built from the npm
 * package @ip-location-db/asn (CC BY 4.0) into data/asn.mmdb is read by the
 * real maxmind reader with no configuration, so AS number and organisation
 * appear in the text report; tsad's MaxMind DB writer, which makes it, is
 * checked against the reader for every record size.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Reader } from 'maxmind';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { ASN_DB, ASN_LICENSE, rangeToPrefixes } from '../../src/enrich/asn-db-build.js';
import { GeoLookup } from '../../src/enrich/geoip.js';
import { MmdbBuilder } from '../../src/enrich/mmdb-writer.js';
import { ROOT, runCli } from '../helpers/run-cli.js';

describe('the built-in ASN database', () => {
  it('gives AS number and organisation with the default configuration, IPv4 and IPv6', async () => {
    const geo = await GeoLookup.open(defaultConfig());
    expect(geo.databases().map((d) => [d.key, d.type])).toEqual([['GEOIP_COUNTRY_DB', expect.any(String)], ['GEOIP_ASN_DB', 'ip-location-db-asn']]);
    expect(geo.lookup('1.1.1.1')).toMatchObject({ asn: 13335, asOrg: 'Cloudflare, Inc.' });
    expect(geo.lookup('8.8.8.8')).toMatchObject({ asn: 15169, asOrg: 'Google LLC' });
    expect(geo.lookup('2001:4860:4860::8888')).toMatchObject({ asn: 15169, asOrg: 'Google LLC' });
    expect(geo.lookup('::ffff:9.9.9.9')).toMatchObject({ asn: 19281 });
    expect(geo.lookup('203.0.113.5')).toMatchObject({ asn: null, asOrg: null });
    geo.close();
  });

  it('carries its attribution (CC BY 4.0)', () => {
    const text = readFileSync(join(ROOT, ASN_LICENSE), 'utf8');
    expect(text).toContain('Creative Commons Attribution 4.0');
    for (const who of ['Route Views', 'NRO', 'DB-IP']) expect(text).toContain(who);
    expect(readFileSync(join(ROOT, ASN_DB)).length).toBeLessThan(16 * 1024 ** 2);
  });

  it('shows in the text report of a log with no configuration', async () => {
    const line = 'Dec  6 10:00:00 fw1 kernel: [ 1.0] DROP IN=eth0 OUT= MAC=52:54:00:7c:a0:14:52:54:00:7c:a0:0a:08:00 SRC=1.1.1.1 DST=198.51.100.20 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0 \n';
    const r = await runCli(['analyze', '--min-dl', '0', '-'], { input: line });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SRC: {2}1\.1\.1\.1, .*\n {4}Country: AU, ASN: AS13335 \(Cloudflare, Inc\.\)$/m);
  });
});

describe('the MaxMind DB writer', () => {
  it('splits a range into the CIDR blocks covering it exactly', () => {
    expect(rangeToPrefixes(16777216n, 16777471n, 32)).toEqual([[16777216n, 24]]);
    // 10.0.0.5 - 10.0.0.20: /32, /31, /29 (8-15), /30 (16-19), /32 (20).
    const first = 167772160n;
    expect(rangeToPrefixes(first + 5n, first + 20n, 32).map(([a, l]) => [Number(a - first), l])).toEqual([[5, 32], [6, 31], [8, 29], [16, 30], [20, 32]]);
    expect(rangeToPrefixes(0n, (1n << 128n) - 1n, 128)).toEqual([[0n, 0]]);
  });

  it.each([24, 28, 32] as const)('writes %i-bit records the maxmind reader reads, merging equal siblings', (recordSize) => {
    const b = new MmdbBuilder({ databaseType: 'test', recordSize, buildEpoch: 1700000000 });
    const a = b.data({ autonomous_system_number: 64500, autonomous_system_organization: 'Example A' });
    const c = b.data({ autonomous_system_number: 64501 });
    b.prefix('198.51.100.0/25', a);
    b.prefix('198.51.100.128/25', a); // with its sibling: one /24 in the tree
    b.prefix('2001:db8::/32', c);
    b.prefix('2001:db8:1::/48', a); // nested inside the /32
    const r = new Reader(b.bytes());
    expect(r.metadata.recordSize).toBe(recordSize);
    expect(r.get('198.51.100.7')).toEqual({ autonomous_system_number: 64500, autonomous_system_organization: 'Example A' });
    expect(r.get('198.51.100.200')).toEqual({ autonomous_system_number: 64500, autonomous_system_organization: 'Example A' });
    expect(r.get('198.51.101.1')).toBeNull();
    expect(r.get('2001:db8:2::1')).toEqual({ autonomous_system_number: 64501 });
    expect(r.get('2001:db8:1::1')).toMatchObject({ autonomous_system_number: 64500 });
    expect(r.getWithPrefixLength('198.51.100.7')[1]).toBe(24); // merged: one /24, not two /25
  });
});
