/** Pure parts of fleet mode: configuration, decision checks, the queues, the level ladder. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConfig, parseConfigText } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';
import { parseFleetUrl } from '../../src/config/keys/fleet.js';
import { fleetOptions } from '../../src/fleet/options.js';
import { decodeDecision, type AcceptBounds } from '../../src/fleet/decision.js';
import { EvidenceQueue, MAX_SET } from '../../src/fleet/evidence-queue.js';
import { fleetDangerLevel } from '../../src/fleet/fleet-level.js';
import { compareStreamIds } from '../../src/fleet/validate.js';
import { parseHeartbeat } from '../../src/fleet/heartbeat.js';
import { streamGap } from '../../src/fleet/decision-reader.js';
import { applyFleetDecisions, type BlockOpts, type BlockTarget } from '../../src/fleet/apply.js';
import type { FleetDecision } from '../../src/fleet/decision.js';

const cfg = (text: string) => buildConfig(parseConfigText(text, 'u.conf'), 'u.conf');

describe('FLEET_REDIS_URL and friends', () => {
  it('parses standalone, TLS, sentinel and cluster forms', () => {
    expect(parseFleetUrl('redis://127.0.0.1')).toMatchObject({ topology: 'standalone', tls: false, hosts: [{ host: '127.0.0.1', port: 6379 }], db: 0 });
    expect(parseFleetUrl('rediss://tsad:s%40cret@redis.example.org:6380/2')).toMatchObject({ tls: true, username: 'tsad', password: 's@cret', db: 2, hosts: [{ host: 'redis.example.org', port: 6380 }] });
    expect(parseFleetUrl('sentinel://[2001:db8::1]:26379,10.0.0.2/mymaster')).toMatchObject({ topology: 'sentinel', master: 'mymaster', hosts: [{ host: '2001:db8::1', port: 26379 }, { host: '10.0.0.2', port: 26379 }] });
    expect(parseFleetUrl('redis://n1:7000,n2:7001').hosts).toHaveLength(2);
  });

  it.each([
    ['http://x', /unknown scheme/],
    ['redis://', /not a redis/],
    ['redis://host:99999', /out of range/],
    ['sentinel://h:26379', /master group/],
    ['redis://h/1x', /database/],
    ['redis://h/1/2', /database/],
    ['redis://bad host', /HOST/],
  ])('rejects %s', (url, msg) => {
    expect(() => parseFleetUrl(url)).toThrow(msg);
    expect(() => cfg(`FLEET_REDIS_URL ${url};`)).toThrow(ConfigError);
  });

  it('is off by default and needs FLEET_REDIS_CLUSTER for several hosts', () => {
    expect(fleetOptions(cfg(''))).toBeNull();
    expect(() => fleetOptions(cfg('FLEET_REDIS_URL redis://a:1,b:2;'))).toThrow(/FLEET_REDIS_CLUSTER/);
    expect(fleetOptions(cfg('FLEET_REDIS_URL redis://a:1,b:2;\nFLEET_REDIS_CLUSTER Y;'))!.endpoint.topology).toBe('cluster');
  });

  it('takes the password from a file, keeps credentials out of the display form, follows SCAN_TIMEOUT', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsad-fleet-unit-'));
    writeFileSync(join(dir, 'pw'), 'from-file\n');
    const o = fleetOptions(cfg(`FLEET_REDIS_URL redis://u:inurl@h:1;\nFLEET_REDIS_PASSWORD_FILE ${join(dir, 'pw')};\nSCAN_TIMEOUT 600;\nFLEET_SENSOR_NAME fw-1;`))!;
    expect(o.endpoint).toMatchObject({ username: 'u', password: 'from-file', display: 'redis://h:1' });
    expect(o).toMatchObject({ sensor: 'fw-1', windowMs: 600_000, hostLadder: [10, 20, 50, 100, 500] });
    rmSync(dir, { recursive: true, force: true });
    expect(() => fleetOptions(cfg('FLEET_REDIS_URL redis://h;\nFLEET_REDIS_PASSWORD_FILE /nonexistent/pw;'))).toThrow(/cannot read/);
    expect(() => cfg('FLEET_SENSOR_NAME a b;')).toThrow(ConfigError);
    expect(() => cfg('FLEET_KEY_PREFIX {x};')).toThrow(ConfigError);
  });
});

describe('decisions from other sensors', () => {
  const now = 1_800_000_000_000;
  const b: AcceptBounds = { minPrefixV4: 16, minPrefixV6: 32, maxBlockMs: 30 * 86_400_000 };
  const base = { id: 'x:1', op: 'block', cidr: '198.51.100.7', exp: String(now + 60_000), dl: '3', by: 'fw-2', at: String(now), why: 'danger level 3' };

  it('accepts a well-formed one and ignores unknown fields', () => {
    const d = decodeDecision({ ...base, extra: 'ignored' }, b, now);
    expect(d).toEqual({ kind: 'ok', merged: false, clamped: false, decision: { id: 'x:1', op: 'block', cidr: '198.51.100.7', expiresAt: now + 60_000, dl: 3, reason: 'danger level 3', by: 'fw-2', at: now } });
  });

  it.each([
    [{ cidr: '198.51.100.256' }, /canonical/],
    [{ cidr: '0.0.0.0/0' }, /shorter/],
    [{ cidr: '::/0' }, /shorter/],
    [{ cidr: '198.51.100.7/24' }, /canonical/],
    [{ cidr: '2001:DB8::1' }, /canonical/],
    [{ exp: '1e99' }, /out of bounds/],
    [{ exp: String(now + 11 * 365 * 86_400_000) }, /out of bounds/],
    [{ dl: '6' }, /danger level/],
    [{ by: '../etc' }, /sensor/],
    [{ id: '' }, /id/],
    [{ op: 'flush' }, /operation/],
    [{ at: '-1' }, /time/],
  ])('rejects %o', (bad, msg) => {
    const d = decodeDecision({ ...base, ...bad }, b, now);
    expect(d.kind).toBe('invalid');
    expect(d.kind === 'invalid' && d.reason).toMatch(msg);
  });

  it('shortens permanent and over-long blocks to the bound, drops expired ones, strips control characters', () => {
    expect(decodeDecision({ ...base, exp: '0' }, b, now)).toMatchObject({ kind: 'ok', clamped: true, decision: { expiresAt: now + b.maxBlockMs } });
    expect(decodeDecision({ ...base, exp: '0' }, { ...b, maxBlockMs: 0 }, now)).toMatchObject({ kind: 'ok', clamped: false, decision: { expiresAt: null } });
    expect(decodeDecision({ ...base, exp: String(now - 1) }, b, now)).toEqual({ kind: 'expired', id: 'x:1' });
    expect(decodeDecision({ ...base, why: 'a\r\nb\x1b[31m' }, b, now)).toMatchObject({ decision: { reason: 'ab[31m' } });
    expect(decodeDecision({ ...base, op: 'unblock', cidr: '10.0.0.0/8' }, b, now)).toMatchObject({ kind: 'ok' }); // lifting a wide block is fine
  });

  it('orders stream ids numerically', () => {
    expect(compareStreamIds('9-0', '10-0')).toBe(-1);
    expect(compareStreamIds('10-2', '10-10')).toBe(-1);
    expect(compareStreamIds('18446744073709551615-0', '18446744073709551614-9')).toBe(1);
    expect(compareStreamIds('5-5', '5-5')).toBe(0);
  });

  it('tells when the stream cannot be replayed from a position (XINFO STREAM)', () => {
    const info = (o: Record<string, unknown>) => Object.entries(o).flat();
    const v7 = (added: number) => info({ length: 3, 'last-generated-id': '50-0', 'max-deleted-entry-id': '0-0', 'entries-added': added, 'first-entry': ['40-0', ['op', 'block']] });
    expect(streamGap(v7(3), '10-0')).toBeNull(); // nothing removed: the stream simply started after the position
    expect(streamGap(v7(3), '0-0')).toBeNull();
    expect(streamGap(v7(900), '10-0')).toMatch(/trimmed/);
    expect(streamGap(v7(900), '45-0')).toBeNull(); // its position is still in the stream
    expect(streamGap(v7(3), '60-0')).toMatch(/lost data/);
    const v6 = info({ length: 3, 'last-generated-id': '50-0', 'first-entry': ['40-0', []] });
    expect(streamGap(v6, '10-0')).toMatch(/trimmed/); // Redis 6: a guess
    expect(streamGap(v6, '0-0')).toBeNull();
    expect(streamGap(null, '0-0')).toBeNull();
    expect(streamGap(null, '10-0')).toMatch(/lost data/);
  });

  it('reads heartbeats defensively', () => {
    expect(parseHeartbeat('fw-1', '{"seen":5,"pos":"1-0","ev":{"q":2},"dec":{"ok":3,"no":-1}}')).toMatchObject({ seen: 5, position: '1-0', evidence: { queued: 2 }, decisions: { applied: 3, refused: 0 } });
    expect(parseHeartbeat('fw-1', '{"seen":"soon"}')).toBeNull();
    expect(parseHeartbeat('bad name', '{"seen":5}')).toBeNull();
  });
});

describe('evidence queue', () => {
  it('merges per source: newest figures, union of destinations', () => {
    const q = new EvidenceQueue(10);
    q.add({ src: '198.51.100.7', dsts: ['203.0.113.1'], packets: 1, dl: 0 }, 1);
    q.add({ src: '198.51.100.7', dsts: ['203.0.113.2'], ports: ['tcp/22'], packets: 5, dl: 1 }, 2);
    const [p] = q.take(10);
    expect(p).toMatchObject({ packets: 5, dl: 1, lastSeen: 2 });
    expect([...p!.dsts]).toEqual(['203.0.113.1', '203.0.113.2']);
    expect(q.size).toBe(0);
  });

  it('is bounded: drops the least recently updated source and counts it', () => {
    const q = new EvidenceQueue(10);
    for (let i = 0; i < 15; i++) q.add({ src: `198.51.100.${i}`, dsts: [], packets: 1, dl: 0 }, i);
    expect(q.size).toBe(10);
    expect(q.dropped).toBe(5);
    expect(q.take(1)[0]!.src).toBe('198.51.100.5');
  });

  it('refuses malformed items and bounds destinations per source', () => {
    const q = new EvidenceQueue(10);
    q.add({ src: '198.51.100.7/24', dsts: [], packets: 1, dl: 0 }, 0);
    q.add({ src: '198.51.100.7', dsts: ['2001:0db8::1', 'x'], ports: ['tcp/22;rm'], packets: 1, dl: 0 }, 0);
    expect(q.invalid).toBe(4);
    q.add({ src: '198.51.100.8', dsts: Array.from({ length: MAX_SET + 5 }, (_, i) => `10.0.${i >> 8}.${i & 255}`), packets: 1, dl: 0 }, 0);
    expect(q.truncated).toBe(1);
  });

  it('a failed send goes back under newer figures', () => {
    const q = new EvidenceQueue(10);
    q.add({ src: '198.51.100.7', dsts: ['203.0.113.1'], packets: 1, dl: 0 }, 1);
    const failed = q.take(1);
    q.add({ src: '198.51.100.7', dsts: ['203.0.113.2'], packets: 9, dl: 2 }, 2);
    q.putBack(failed);
    const [p] = q.take(1);
    expect(p).toMatchObject({ packets: 9, dl: 2 });
    expect(p!.dsts.size).toBe(2);
  });
});

describe('fleet danger level', () => {
  const r = { hostLadder: [10, 20, 50, 100, 500] as const, minSensors: 2, windowMs: 1 };
  it('follows psad\'s destination ladder once enough sensors saw the source', () => {
    expect([9, 10, 19, 20, 50, 100, 499, 500].map((d) => fleetDangerLevel(d, 3, r))).toEqual([0, 1, 1, 2, 3, 4, 4, 5]);
    expect(fleetDangerLevel(600, 1, r)).toBe(0);
    expect(fleetDangerLevel(600, 3, { ...r, hostLadder: [0, 20, 50, 100, 500] })).toBe(0); // DL1_UNIQUE_HOSTS 0: off
  });
});

describe('applyFleetDecisions (logic; the real BlockManager is in apply.test.ts)', () => {
  const now = 1_800_000_000_000;
  const dec = (cidr: string, op: 'block' | 'unblock' = 'block'): FleetDecision => ({ id: cidr, op, cidr, expiresAt: op === 'block' ? now + 10_500 : null, dl: 2, reason: 'r', by: 'fw-2', at: now });

  it('batches blocks decided together, maps refusals back by cidr, and a snapshot lifts stale fleet blocks', async () => {
    const calls: string[] = [];
    const held = [{ cidr: '198.51.100.9', reason: 'fleet:fw-2: old' }, { cidr: '198.51.100.8', reason: 'local' }];
    const target: BlockTarget = {
      block: async (cidr) => ({ ok: true, cidr }),
      blockMany: async (cidrs: readonly string[], opts: BlockOpts) => {
        calls.push(`many ${cidrs.join(' ')} for ${opts.timeoutSec}`);
        return cidrs.map((cidr) => (cidr === '198.51.100.2' ? { ok: false as const, cidr, reason: 'whitelisted' } : { ok: true as const, cidr })).reverse();
      },
      unblock: async (c) => void calls.push(`unblock ${c}`),
      records: () => held,
    };
    const v = await applyFleetDecisions(target, [dec('198.51.100.1'), dec('198.51.100.2'), dec('198.51.100.3', 'unblock'), dec('198.51.100.4'), { ...dec('198.51.100.5'), expiresAt: now + 60_000 }], 'snapshot', now);
    expect(v).toEqual([{ accepted: true }, { accepted: false, reason: 'whitelisted' }, { accepted: true }, { accepted: true }, { accepted: true }]);
    expect(calls).toEqual(['unblock 198.51.100.3', 'many 198.51.100.1 198.51.100.2 198.51.100.4 for 11', 'many 198.51.100.5 for 60', 'unblock 198.51.100.9']);
  });
});
