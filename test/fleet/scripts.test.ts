/**
 * The server-side parts against a real redis-server: decision ids make a
 * re-sent decision a no-op, a block never shortens a longer live one, expired
 * blocks leave the live set, evidence keys always carry an expiry and old
 * destinations age out of the window.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig, parseConfigText } from '../../src/config/load.js';
import { connect, whenReady, type RedisLink } from '../../src/fleet/connection.js';
import { decisionArgs, type FleetDecision } from '../../src/fleet/decision.js';
import { FleetEvidence } from '../../src/fleet/evidence.js';
import { FleetKeys, PERMANENT } from '../../src/fleet/keys.js';
import { LocalRedis } from '../../src/fleet/local-server.js';
import { fleetOptions } from '../../src/fleet/options.js';
import { DECIDE, PRUNE_BLOCKS } from '../../src/fleet/scripts.js';
import { requireRedis, sensorConf } from './helpers.js';

describe.skipIf(!requireRedis())('fleet scripts on a real Redis', () => {
  let redis: LocalRedis;
  let link: RedisLink;
  const k = new FleetKeys('t1');
  const now = Date.now();
  const decide = (d: Partial<FleetDecision> & { id: string; cidr: string }) =>
    link.run(DECIDE, [k.log, k.live, k.info, k.ids], [now, 1000, ...decisionArgs({ op: 'block', expiresAt: now + 3_600_000, dl: 1, reason: 'r', by: 's1', at: now, ...d })]);
  const entries = async () => ((await link.call('XRANGE', k.log, '-', '+')) as Array<[string, string[]]>).map(([, f]) => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i], f[2 * i + 1]])));

  beforeAll(async () => {
    redis = await LocalRedis.start();
    const o = fleetOptions(buildConfig(parseConfigText(sensorConf(redis.url, 's1'), 't'), 't'))!;
    link = await connect(o.endpoint);
    await whenReady(link, 5000);
  });

  afterAll(async () => {
    await link?.close();
    await redis?.stop();
  });

  it('appends a decision once, whatever the number of sends', async () => {
    expect(await decide({ id: 'd1', cidr: '198.51.100.1' })).toMatch(/^\d+-\d+$/);
    expect(await decide({ id: 'd1', cidr: '198.51.100.1' })).toBeNull();
    expect(await link.call('XLEN', k.log)).toBe(1);
  });

  it('never shortens a longer live block: the stream carries the longer expiry for everyone', async () => {
    await decide({ id: 'd2', cidr: '198.51.100.2', expiresAt: now + 7_200_000 });
    await decide({ id: 'd3', cidr: '198.51.100.2', expiresAt: now + 600_000, by: 's2' });
    await decide({ id: 'd4', cidr: '198.51.100.3', expiresAt: null });
    await decide({ id: 'd5', cidr: '198.51.100.3', expiresAt: now + 600_000, by: 's2' });
    const [, d2, d3, d4, d5] = await entries();
    expect(d2).toMatchObject({ exp: String(now + 7_200_000), m: '0' });
    expect(d3).toMatchObject({ exp: String(now + 7_200_000), m: '1', by: 's2' });
    expect(d4).toMatchObject({ exp: '0', m: '0' });
    expect(d5).toMatchObject({ exp: '0', m: '1' });
    expect(Number(await link.call('ZSCORE', k.live, '198.51.100.3'))).toBe(PERMANENT);
    expect(JSON.parse((await link.call('HGET', k.info, '198.51.100.2')) as string)).toMatchObject({ id: 'd3', exp: String(now + 7_200_000) });
  });

  it('an unblock removes the live entry; expired entries are pruned', async () => {
    await decide({ id: 'd6', cidr: '198.51.100.2', op: 'unblock', expiresAt: null });
    expect(await link.call('HEXISTS', k.info, '198.51.100.2')).toBe(0);
    await link.call('ZADD', k.live, now - 1, '198.51.100.9');
    await link.call('HSET', k.info, '198.51.100.9', '{}');
    expect(await link.run(PRUNE_BLOCKS, [k.live, k.info], [now])).toBe(1);
    expect(await link.call('HEXISTS', k.info, '198.51.100.9')).toBe(0);
    expect(await link.call('ZRANGE', k.live, 0, -1)).toEqual(['198.51.100.1', '198.51.100.3']);
  });

  it('evidence keys all expire, and destinations age out of the window', async () => {
    let clock = Math.floor(now / 900_000) * 900_000 + 1; // a bucket boundary: the ageing below is exact
    const ev = new FleetEvidence(link, { sensor: 's1', keys: k, queueMax: 100, intervalMs: 1000, hostLadder: [10, 20, 50, 100, 500], minSensors: 1, windowMs: 3_600_000, now: () => clock });
    ev.publish([{ src: '2001:db8:1:2::/64', dsts: ['2001:db8:ffff::1', '2001:db8:ffff::2'], ports: ['tcp/22'], packets: 2, dl: 0 }]);
    expect(await ev.flush()).toBe(1);
    const evidenceKeys = ((await link.call('KEYS', 't1:{2001:db8:1:2::/64}:*')) as string[]).sort();
    expect(evidenceKeys.length).toBe(4); // seen, by, one destination bucket, one port bucket
    for (const key of evidenceKeys) expect(Number(await link.call('PTTL', key))).toBeGreaterThan(3_500_000);
    expect((await ev.fleetLevel('2001:db8:1:2::/64')).destinations).toBe(2);
    clock += 45 * 60_000; // still inside the hour
    ev.publish([{ src: '2001:db8:1:2::/64', dsts: ['2001:db8:ffff::3'], packets: 3, dl: 0 }]);
    await ev.flush();
    expect((await ev.fleetLevel('2001:db8:1:2::/64')).destinations).toBe(3);
    clock += 70 * 60_000; // the first bucket has left the window; the second not yet
    expect((await ev.fleetLevel('2001:db8:1:2::/64')).destinations).toBe(1);
    clock += 60 * 60_000;
    expect(await ev.fleetLevel('2001:db8:1:2::/64')).toMatchObject({ destinations: 0, sensors: 0 });
  });
});
