/**
 * Three sensors as separate processes sharing one real redis-server on
 * loopback: a sweep that no sensor sees enough of alone, a block decided on
 * one sensor and applied on the others (refused where a never-block rule
 * says so), hostile stream entries, and the fleet status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/keys/index.js';
import { buildConfig, parseConfigText } from '../../src/config/load.js';
import { connect, whenReady, type RedisLink } from '../../src/fleet/connection.js';
import { fleetOptions } from '../../src/fleet/options.js';
import { FleetKeys } from '../../src/fleet/keys.js';
import { LocalRedis } from '../../src/fleet/local-server.js';
import { fleetStatus, type FleetBlockStatus } from '../../src/fleet/status.js';
import { renderFleetStatus } from '../../src/fleet/status-text.js';
import { fleetStatusSection } from '../../src/cli/commands/fleet.js';
import { defaultConfig } from '../../src/config/load.js';
import { requireFreshDist, requireRedis, Sensor, sensorConf, sleep } from './helpers.js';

const SCANNER = '203.0.113.66';

describe.skipIf(!requireRedis())('a fleet of three sensor processes', () => {
  let redis: LocalRedis;
  let a: Sensor;
  let b: Sensor;
  let c: Sensor;
  let raw: RedisLink;
  const keys = new FleetKeys('tsad');
  const conf = (name: string) => sensorConf(redis.url, name);
  const cfgOf = (name: string): Config => buildConfig(parseConfigText(conf(name), 't.conf'), 't.conf');

  beforeAll(async () => {
    requireFreshDist();
    redis = await LocalRedis.start();
    // c protects the scanner's network (say, a partner's range): it must refuse blocks inside it.
    [a, b, c] = await Promise.all([Sensor.start('a', conf('a')), Sensor.start('b', conf('b')), Sensor.start('c', conf('c'), { refuse: ['203.0.113.0/24'] })]);
    raw = await connect(fleetOptions(cfgOf('test'))!.endpoint);
    await whenReady(raw, 5000);
  });

  afterAll(async () => {
    await Promise.all([a, b, c].map((s) => s?.exit()));
    await raw?.close();
    await redis?.stop();
  });

  it('catches a slow sweep fleet-wide that each sensor alone sees below DL1', async () => {
    // Each firewall sees the scanner at 4 of its own addresses once: 4 < DL1_UNIQUE_HOSTS (10).
    const sweep = (s: Sensor, first: number) =>
      s.send('publish', { items: [{ src: SCANNER, dsts: [0, 1, 2, 3].map((i) => `198.51.100.${first + i}`), ports: ['tcp/445'], packets: 4, dl: 0 }] }).then(() => s.send('flush'));
    await sweep(a, 1);
    await sweep(b, 11);
    const twoSensors = (await a.send('level', { src: SCANNER })).level as { dl: number; destinations: number; sensors: number };
    expect(twoSensors).toMatchObject({ dl: 0, destinations: 8, sensors: 2 });
    await sweep(c, 21);
    const level = (await b.send('level', { src: SCANNER })).level as { dl: number; destinations: number; sensors: number; bySensor: Array<{ destinations: number; dl: number }> };
    expect(level).toMatchObject({ dl: 1, destinations: 12, sensors: 3, ports: 1, packets: 12, maxLocalDl: 0 });
    expect(level.bySensor.map((x) => x.destinations)).toEqual([4, 4, 4]);
    // The sensor whose publish crossed DL1 reports the rise, and announces it: the other two learn it too.
    for (const s of [a, b, c]) expect(await s.waitFor((e) => e.ev === 'rise' && e.src === SCANNER)).toMatchObject({ dl: 1, previous: 0, sensors: 3 });
  });

  it('applies a block decided on one sensor on every other, refused by a never-block rule', async () => {
    const sent = await a.send('block', { cidr: SCANNER, timeoutSec: 3600, dl: 1, reason: 'fleet sweep' });
    const onB = await b.waitFor((e) => e.ev === 'applied' && e.id === sent.id);
    const onC = await c.waitFor((e) => e.ev === 'applied' && e.id === sent.id);
    expect(onB).toMatchObject({ op: 'block', cidr: SCANNER, by: 'a', accepted: true, kind: 'live' });
    expect(onC).toMatchObject({ op: 'block', cidr: SCANNER, accepted: false });
    expect(a.applied((e) => e.id === sent.id)).toEqual([]); // its own decision is already in force there
    expect((await b.send('blocks')).blocks).toHaveProperty([SCANNER]);
    expect((await c.send('blocks')).blocks).not.toHaveProperty([SCANNER]);

    const lifted = await b.send('unblock', { cidr: SCANNER });
    await a.waitFor((e) => e.ev === 'applied' && e.id === lifted.id);
    expect((await a.send('blocks')).blocks).not.toHaveProperty([SCANNER]);
  });

  it('validates entries written by others: bad addresses, /0, host bits, huge timeouts, bad levels are ignored', async () => {
    // The entries' own times (a sensor stamps `at` and `exp` from its clock): data for the validator, no elapsed time is measured.
    const now = Date.now();
    const entry = (f: Record<string, string>) => raw.call('XADD', keys.log, '*', ...Object.entries({ op: 'block', by: 'mallory', at: String(now), dl: '5', exp: String(now + 60_000), ...f }).flat());
    const hostile: Array<Record<string, string>> = [
      { id: 'h1', cidr: '198.51.100.300' },
      { id: 'h2', cidr: '0.0.0.0/0' },
      { id: 'h3', cidr: '198.51.100.7/24' },
      { id: 'h4', cidr: '2001:0db8::1' },
      { id: 'h5', cidr: '198.51.100.8', exp: '99999999999999999999' },
      { id: 'h6', cidr: '198.51.100.9', exp: String(now + 20 * 365 * 86_400_000) },
      { id: 'h7', cidr: '198.51.100.10', dl: '9' },
      { id: 'h8', cidr: '198.51.100.11', by: 'bad name!' },
      { id: 'h9 with space', cidr: '198.51.100.12' },
      { id: 'h10', cidr: '198.51.100.13', op: 'drop-table' },
      { id: 'h11', cidr: '198.51.100.14', why: 'x'.repeat(5000) },
      { id: 'h12', cidr: '10.0.0.0/8' },
    ];
    for (const h of hostile) await entry(h);
    // Valid: an unknown field is ignored; 60 days is cut to FLEET_MAX_BLOCK_TIMEOUT (30 days).
    const asked = now + 60 * 86_400_000;
    await entry({ id: 'ok1', cidr: '198.51.100.77', future: 'field', exp: String(asked), why: 'long\nblock' });
    // The stream is applied in order: once every sensor applied ok1, it has judged every hostile entry before it.
    const [ok] = await Promise.all([b, a, c].map((s) => s.waitFor((e) => e.ev === 'applied' && e.id === 'ok1')));
    // Cut, not the 60 days asked for (the exact rule, now + FLEET_MAX_BLOCK_TIMEOUT, is checked on a fixed clock in units.test.ts).
    expect(ok!.expiresAt as number).toBeLessThan(asked);
    for (const s of [a, b, c]) {
      expect(s.applied((e) => String(e.id).startsWith('h'))).toEqual([]);
      const st = (await s.send('stats')).stats as { decisions: { invalid: number; clamped: number } };
      expect(st.decisions.invalid).toBe(hostile.length);
      expect(st.decisions.clamped).toBe(1);
    }

    // Hostile per-sensor evidence is skipped too; the honest figures stay.
    await raw.call('HSET', keys.by(SCANNER), 'mallory', '{"t":1,"p":-5,"dl":9}', 'bad name', '{}', 'eve', 'not json');
    const level = (await a.send('level', { src: SCANNER })).level as { bySensor: Array<{ sensor: string }>; packets: number };
    expect(level.bySensor.map((x) => x.sensor)).toEqual(['a', 'b', 'c']);
    expect(level.packets).toBe(12);
  });

  it('tsad status --fleet: sensors with lag, fleet-level sources, shared blocks', async () => {
    await a.send('block', { cidr: '198.51.100.99', timeoutSec: 600, dl: 3, reason: 'danger level 3' });
    await b.waitFor((e) => e.ev === 'applied' && e.cidr === '198.51.100.99');
    // Each sensor reports its position with its next heartbeat: wait until all three have (no fixed sleep).
    // The poll's only bound is the test's own timeout: how long heartbeats take on a loaded machine is not what this checks.
    let r = await fleetStatus(cfgOf('a'));
    while (!r.sensors.every((s) => s.behind === 0)) {
      await sleep(50);
      r = await fleetStatus(cfgOf('a'));
    }
    expect(r.sensors.map((s) => s.name)).toEqual(['a', 'b', 'c']);
    for (const s of r.sensors) expect(s).toMatchObject({ behind: 0 });
    expect(r.sensors.find((s) => s.name === 'c')!.refused).toBeGreaterThanOrEqual(1);
    expect(r.sources[0]).toMatchObject({ src: SCANNER, dl: 1, destinations: 12, sensors: 3, sensorNames: ['a', 'b', 'c'] });
    // The live set holds what went through the decision script (the raw XADDs above did not).
    expect(r.blocks.list.map((x) => x.cidr)).toEqual(['198.51.100.99']);
    expect(r.blocks.total).toBe(1);
    const text = renderFleetStatus(r);
    expect(text).toContain('[+] Fleet sensors:');
    expect(text).toMatch(/^ {6}203\.0\.113\.66 +DL: 1, Dsts: 12, Sensors: 3, Pkts: 12/m);
    // The shared block ends when the sensor that made it said, and the one that applied it enforces that end; the text shows the seconds left the report computed.
    const [shared] = r.blocks.list as [FleetBlockStatus];
    const ends = async (s: Sensor): Promise<unknown> => ((await s.send('blocks')).blocks as Record<string, number>)['198.51.100.99'];
    expect(Date.parse(shared.expiresAt as string)).toBe(await ends(a));
    expect(await ends(b)).toBe(await ends(a));
    expect(shared.secondsLeft).not.toBeNull();
    expect(text).toContain(`      198.51.100.99 (${shared.secondsLeft} seconds remaining) by a: danger level 3\n`);
    // What `tsad status --fleet` prints.
    const json = JSON.parse(await fleetStatusSection(cfgOf('b'), { json: true, top: 5 })) as { sensor: string; sources: unknown[] };
    expect(json).toMatchObject({ version: 1, sensor: 'b', sources: [{ src: SCANNER }] });
    expect(await fleetStatusSection(cfgOf('b'))).toContain('[+] Top 25 fleet attackers:');
    await expect(fleetStatusSection(defaultConfig())).rejects.toThrow(/fleet mode is off/);
  });
});
