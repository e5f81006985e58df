import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { configuredFingerprints, loadFingerprints, parseFingerprints, shippedFingerprintsPath, ScanTracker, sourceReport } from '../../src/detect/index.js';
import { IP_DF } from '../../src/model/packet.js';
import { cfgWith, pkt } from './packet-builder.js';

const { db, problems } = loadFingerprints(shippedFingerprintsPath(), 30);

test('the shipped file parses without problems', () => {
  expect(problems).toEqual([]);
  expect(db.entries.length).toBeGreaterThan(8);
});

describe('guesses from SYN packets', () => {
  const syn = (over: Parameters<typeof pkt>[0]) => pkt({ ipFlags: IP_DF, ...over });
  const label = (over: Parameters<typeof pkt>[0]): string | null => db.guess(syn(over))?.fp.label ?? null;

  test('Linux (IPv4 and IPv6), as captured from a connect() scan', () => {
    const opts = '020405B40402080A61A19162000000000103030A';
    expect(label({ ttl: 64, window: 64240, len: 60, tcpOpts: opts })).toBe('Linux 2.6-6.x');
    expect(label({ ttl: 52, window: 29200, len: 60, tcpOpts: opts })).toBe('Linux 2.6-6.x');
    expect(label({ src: '2001:db8::1', dst: '2001:db8::2', ttl: 61, window: 64800, len: 80, tcpOpts: '020405A00402080A61A19162000000000103030A', ipFlags: 0 })).toBe('Linux 2.6-6.x');
  });

  test('Windows, macOS, FreeBSD, OpenBSD', () => {
    expect(label({ ttl: 117, window: 64240, len: 52, tcpOpts: '020405B40103030801010402' })).toBe('Windows 7-11 / Server 2008-2022');
    expect(label({ ttl: 128, window: 65535, len: 48, tcpOpts: '020405B401010402' })).toBe('Windows XP / Server 2003');
    expect(label({ ttl: 60, window: 65535, len: 64, tcpOpts: '020405B4010303060101080A123456780000000004020000' })).toBe('macOS / iOS');
    expect(label({ ttl: 64, window: 65535, len: 60, tcpOpts: '020405B4010303060402080A1234567800000000' })).toBe('FreeBSD');
    expect(label({ ttl: 64, window: 16384, len: 64, tcpOpts: '020405B401010402010303060101080A1234567800000000' })).toBe('OpenBSD');
  });

  test('without logged options only the length is compared (score 1)', () => {
    const g = db.guess(syn({ ttl: 120, window: 64240, len: 52, tcpOpts: '' }));
    expect(g?.fp.label).toBe('Windows 7-11 / Server 2008-2022');
    expect(g?.score).toBe(1);
  });

  test('raw-packet scanners are tools, not operating systems', () => {
    expect(db.guess(pkt({ ttl: 44 }))?.fp).toMatchObject({ kind: 'tool', label: 'nmap' });
    expect(db.guess(pkt({ ttl: 250, window: 1024, tcpOpts: '', len: 40 }))?.fp).toMatchObject({ kind: 'tool', label: 'masscan' });
    expect(db.guess(pkt({ ttl: 249, window: 65535, tcpOpts: '', len: 40, id: 54321 }))?.fp).toMatchObject({ kind: 'tool', label: 'zmap' });
  });

  test('a TTL further than MAX_HOPS from every initial TTL gives no guess', () => {
    const near = loadFingerprints(shippedFingerprintsPath(), 5).db;
    expect(near.guess(syn({ ttl: 40, window: 64240, len: 60, tcpOpts: '020405B40402080A61A19162000000000103030A' }))).toBeNull();
  });
});

test('the tracker reports the best guess; a logged-options match beats a length match', () => {
  const cfg = cfgWith();
  const t = new ScanTracker(cfg, { osFingerprints: db });
  t.observe(pkt({ ipFlags: IP_DF, ttl: 120, window: 64240, len: 52, tcpOpts: '', dport: 1 }), null);
  const s = t.observe(pkt({ ipFlags: IP_DF, ttl: 58, window: 64240, len: 60, tcpOpts: '020405B40402080A61A19162000000000103030A', dport: 2 }), null);
  const r = sourceReport(s, cfg);
  expect(r.os).toBe('Linux 2.6-6.x');
  expect(r.osBasis).toBe('tcp-options');
});

test('OS_FINGERPRINTS_FILE: shipped, NONE, or a path', () => {
  expect(configuredFingerprints(cfgWith()).db?.entries.length).toBe(db.entries.length);
  expect(configuredFingerprints(cfgWith({ OS_FINGERPRINTS_FILE: 'NONE' })).db).toBeUndefined();
  expect(configuredFingerprints(cfgWith({ OS_FINGERPRINTS_FILE: '/nonexistent/fp' })).problems[0]?.reason).toMatch(/ENOENT/);
});

test('bad fingerprint lines are reported with their line', () => {
  const r = parseFingerprints('os * 64 1 * M,S,T,N,W Linux\nbogus line\nos 5 64 1 * M x\nos * 63 1 * M x\nos * 64 2 * M x\nos * 64 1 abc M x\nos * 64 1 * Q x\n', 'fp', 30);
  expect(r.db.entries.length).toBe(1);
  expect(r.problems.map((p) => p.line)).toEqual([2, 3, 4, 5, 6, 7]);
});

test('a remembered guess is the guess worked out afresh, for any packet form', () => {
  const opts = ['', '020405B4', '020405B40402080A61A19162000000000103030A', '020405B40103030801010402', '020405B401010402', 'zz'];
  const form = fc.record({
    v6: fc.boolean(), df: fc.boolean(), ttl: fc.oneof(fc.integer({ min: -1, max: 256 }), fc.constantFrom(64, 128, 255)),
    window: fc.oneof(fc.integer({ min: -1, max: 65_536 }), fc.constantFrom(1024, 29_200, 64_240, 65_535)),
    tcpOpts: fc.constantFrom(...opts), len: fc.integer({ min: 40, max: 100 }),
  });
  const memo = loadFingerprints(shippedFingerprintsPath(), 30).db;
  fc.assert(fc.property(fc.array(form, { minLength: 1, maxLength: 30 }), (forms) => {
    // Twice over: the second round is answered from memory.
    for (const f of [...forms, ...forms]) {
      const p = pkt({ ...(f.v6 ? { src: '2001:db8::1', dst: '2001:db8::2' } : {}), ipFlags: f.df ? IP_DF : 0, ttl: f.ttl, window: f.window, tcpOpts: f.tcpOpts, len: f.len });
      const fresh = loadFingerprints(shippedFingerprintsPath(), 30).db.guess(p);
      expect(memo.guess(p)).toEqual(fresh);
    }
  }), { numRuns: 60 });
});
