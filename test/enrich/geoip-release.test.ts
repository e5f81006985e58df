/**
 * A lookup opened for one report answers a whole list at once and then lets
 * go of its databases (GeoLookup.lookupAll, MmdbFile.release): the answers
 * are lookup()'s, on the real built-in databases and random IPv4 and IPv6
 * addresses; a released file is read again when asked again, and a file gone
 * by then answers null with the reason in lastError instead of failing.
 */
import { copyFileSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinAsnDbPath, builtinCountryDbPath, GeoLookup } from '../../src/enrich/geoip.js';
import { MmdbFile } from '../../src/enrich/mmdb-file.js';
import { configFrom } from './helpers/config.js';
import { rng } from '../helpers/rng.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-enrich-release-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function addresses(n: number, seed: number): string[] {
  const next = rng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 4 === 3) {
      // IPv6 in the allocated global unicast range 2000::/3, and now and then mapped IPv4.
      const groups = Array.from({ length: 8 }, (_, g) => (g === 0 ? 0x2000 + (next() % 0x2000) : next() & 0xffff).toString(16));
      out.push(i % 40 === 3 ? `::ffff:${next() % 224}.${next() & 255}.${next() & 255}.${next() & 255}` : groups.join(':'));
    } else out.push(`${1 + (next() % 223)}.${next() & 255}.${next() & 255}.${next() & 255}`);
  }
  return out;
}

describe('GeoLookup.lookupAll', () => {
  it('answers as lookup() does, then lets the databases go; asked again, they are read again', async () => {
    const cfg = configFrom('');
    const reference = await GeoLookup.open(cfg);
    const once = await GeoLookup.open(cfg, { cache: false });
    const list = addresses(4000, 19);
    const answers = once.lookupAll(list.length, (i) => list[i] as string);
    expect(answers).toHaveLength(list.length);
    let known = 0;
    for (let i = 0; i < list.length; i++) {
      expect(answers[i], list[i]).toEqual(reference.lookup(list[i] as string));
      if (answers[i]?.country !== null) known++;
    }
    // The comparison means something: most random public addresses have a country.
    expect(known).toBeGreaterThan(list.length / 2);
    // Released, then asked again: the same answers from the files read anew.
    const again = addresses(500, 7);
    for (const a of again) expect(once.lookup(a)).toEqual(reference.lookup(a));
    expect(once.lookupAll(again.length, (i) => again[i] as string)).toEqual(again.map((a) => reference.lookup(a)));
    expect(once.databases().map((d) => d.lastError)).toEqual([null, null]);
  });

  it('a cached lookup (the daemon) keeps its databases', async () => {
    const geo = await GeoLookup.open(configFrom(''));
    const list = addresses(200, 3);
    const answers = geo.lookupAll(list.length, (i) => list[i] as string);
    // Cached answers are the very objects lookup() returns next.
    for (let i = 0; i < list.length; i++) expect(geo.lookup(list[i] as string)).toBe(answers[i]);
  });

  it('an empty list and a lookup with no databases answer nothing', async () => {
    const off = await GeoLookup.open(configFrom('ENABLE_GEOIP N;\n'), { cache: false });
    expect(off.lookupAll(2, (i) => ['8.8.8.8', '::1'][i] as string)).toEqual([
      { country: null, asn: null, asOrg: null, city: null },
      { country: null, asn: null, asOrg: null, city: null },
    ]);
    const geo = await GeoLookup.open(configFrom(''), { cache: false });
    expect(geo.lookupAll(0, () => '8.8.8.8')).toEqual([]);
  });
});

describe('MmdbFile.release', () => {
  it('frees the bytes, reads the file again when asked, and answers as before', async () => {
    const path = join(dir, 'asn.mmdb');
    copyFileSync(builtinAsnDbPath(), path);
    const db = await MmdbFile.open(path);
    const fresh = await MmdbFile.open(builtinAsnDbPath());
    const list = addresses(1000, 11);
    const before = list.map((a) => db.get(a));
    db.release();
    db.release(); // twice is harmless
    expect(db.databaseType).toBe(fresh.databaseType);
    expect(db.buildTime).toEqual(fresh.buildTime);
    expect(list.map((a) => db.get(a))).toEqual(before);
    expect(before.filter((r) => r !== null).length).toBeGreaterThan(list.length / 2);
    expect(db.lastError).toBeNull();
  });

  it('a file gone once released answers null and says why; it is read again when it is back', async () => {
    const path = join(dir, 'country.mmdb');
    copyFileSync(builtinCountryDbPath(), path);
    const db = await MmdbFile.open(path);
    expect(db.get('8.8.8.8')).not.toBeNull();
    db.release();
    unlinkSync(path);
    expect(db.get('8.8.8.8')).toBeNull();
    expect(db.lastError).toBe(`${path}: cannot read (ENOENT)`);
    copyFileSync(builtinCountryDbPath(), path);
    expect(db.get('8.8.8.8')).toEqual((await MmdbFile.open(builtinCountryDbPath())).get('8.8.8.8'));
    expect(db.lastError).toBeNull();
  });
});
