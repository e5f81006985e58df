/**
 * Redis outages and absent sensors, with real processes and a real
 * redis-server (appendonly yes, fsync always): Redis killed with SIGKILL and
 * restarted mid-run, a sensor that was away and catches up from its saved
 * position, a new sensor that loads the live set in one batch, and a sensor
 * away longer than the stream keeps. Nothing may be lost or applied twice.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRedis } from '../../src/fleet/local-server.js';
import { connect, whenReady } from '../../src/fleet/connection.js';
import { fleetOptions } from '../../src/fleet/options.js';
import { buildConfig, parseConfigText } from '../../src/config/load.js';
import { requireFreshDist, requireRedis, Sensor, sensorConf, sleep, until, type Event } from './helpers.js';

interface SavedState {
  position: string | null;
  blocks: Record<string, number | null>;
  applied: Record<string, number>;
}

describe.skipIf(!requireRedis())('fleet faults', () => {
  let redis: LocalRedis;
  let dir: string;
  const sensors = new Map<string, Sensor>();
  const conf = (name: string) => sensorConf(redis.url, name, { FLEET_STREAM_MAXLEN: 1000 });
  const stateOf = (name: string) => join(dir, `${name}.json`);
  const start = async (name: string) => {
    const s = await Sensor.start(name, conf(name), { state: stateOf(name) });
    sensors.set(name, s);
    return s;
  };
  const saved = (name: string): SavedState => JSON.parse(readFileSync(stateOf(name), 'utf8')) as SavedState;
  const appliedOn = (s: Sensor, id: unknown) => s.waitFor((e) => e.ev === 'applied' && e.id === id);
  /** The snapshot batch, once it has been handed over (all its events are written in one go). */
  const snapshotOf = async (s: Sensor) => {
    await s.waitFor((e) => e.ev === 'applied' && e.kind === 'snapshot');
    await sleep(300);
    return s.applied((e) => e.kind === 'snapshot');
  };

  beforeAll(async () => {
    requireFreshDist();
    dir = mkdtempSync(join(tmpdir(), 'tsad-fleet-faults-'));
    redis = await LocalRedis.start({ aof: true });
  });

  afterAll(async () => {
    await Promise.all([...sensors.values()].map((s) => s.exit()));
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps working while Redis is killed, and reconciles when it restarts: nothing lost, nothing applied twice', async () => {
    const [a, b, c] = await Promise.all([start('a'), start('b'), start('c')]);
    const x1 = await a.send('block', { cidr: '198.51.100.1', timeoutSec: 3600 });
    await Promise.all([appliedOn(b, x1.id), appliedOn(c, x1.id)]);

    await redis.kill();
    await sleep(300);
    // Decisions and evidence while Redis is away: accepted while it is still down (none waits for it), queued.
    const x2 = await a.send('block', { cidr: '198.51.100.2', timeoutSec: 3600 });
    const x3 = await b.send('block', { cidr: '2001:db8:bad::/48', timeoutSec: 3600 });
    const un1 = await a.send('unblock', { cidr: '198.51.100.1' });
    await a.send('publish', { items: [{ src: '198.51.100.50', dsts: ['203.0.113.1', '203.0.113.2'], packets: 2, dl: 0 }] });
    const down = (await a.send('stats')) as Event & { connected: boolean; stats: { decisions: { queued: number }; evidence: { queued: number } } };
    expect(down.connected).toBe(false);
    expect(down.stats.decisions.queued).toBe(2); // the block of .2 and the unblock of .1
    expect(down.stats.evidence.queued).toBe(1);
    // c goes away while Redis is down; it saved its position.
    await c.exit();
    sensors.delete('c');

    await redis.restart();
    await Promise.all([appliedOn(b, x2.id), appliedOn(b, un1.id), appliedOn(a, x3.id)]);
    // c comes back and catches up from its position (the stream survived: appendonly yes).
    const c2 = await start('c');
    await Promise.all([appliedOn(c2, x2.id), appliedOn(c2, x3.id), appliedOn(c2, un1.id)]);
    expect(c2.applied().every((e) => e.kind === 'live')).toBe(true);
    expect(c2.applied().map((e) => e.id)).not.toContain(x1.id); // applied before it left: not again

    // The evidence queued during the outage arrived too.
    await until('the queued evidence arrived', async () => ((await b.send('level', { src: '198.51.100.50' })).level as { destinations: number }).destinations === 2);

    await sleep(300);
    const want = { '198.51.100.2': expect.any(Number), '2001:db8:bad::/48': expect.any(Number) };
    for (const name of ['a', 'b', 'c']) {
      expect((await sensors.get(name)!.send('blocks')).blocks).toEqual(want);
      expect(Object.values(saved(name).applied).every((n) => n === 1)).toBe(true);
    }
    expect(Object.keys(saved('c').applied).sort()).toEqual([x1.id, x2.id, x3.id, un1.id].map(String).sort());
  });

  it('a new sensor loads the live set in one batch (hostile entries skipped), then follows the stream', async () => {
    const raw = await connect(fleetOptions(buildConfig(parseConfigText(conf('raw'), 't'), 't'))!.endpoint);
    await whenReady(raw, 5000);
    const exp = String(Date.now() + 60_000);
    await raw.call('HSET', 'tsad:{blocks}:info',
      '0.0.0.0/0', JSON.stringify({ id: 'i1', op: 'block', cidr: '0.0.0.0/0', exp, by: 'eve', at: '1' }),
      '198.51.100.3', JSON.stringify({ id: 'i2', op: 'block', cidr: '198.51.100.3', exp, by: 'eve', at: '1', why: 'x'.repeat(3000) }),
      '198.51.100.6', 'not json',
      '198.51.100.7', JSON.stringify({ id: 'i3', op: 'block', cidr: '198.51.100.7', exp: '1', by: 'eve', at: '1' }));
    await raw.close();
    const d = await start('d');
    const snap = await snapshotOf(d);
    expect(snap.map((e) => e.cidr).sort()).toEqual(['198.51.100.2', '2001:db8:bad::/48']);
    const st = (await d.send('stats')).stats as { decisions: { invalid: number; expired: number } };
    expect(st.decisions).toMatchObject({ invalid: 3, expired: 1 });
    expect(new Set(snap.map((e) => e.t)).size).toBe(1); // one batch
    const x4 = await sensors.get('a')!.send('block', { cidr: '198.51.100.4', timeoutSec: 60 });
    expect(await appliedOn(d, x4.id)).toMatchObject({ kind: 'live', accepted: true });
  });

  it('a sensor away for longer than the stream keeps reloads the live set instead', async () => {
    const d = sensors.get('d')!;
    await d.exit();
    sensors.delete('d');
    const a = sensors.get('a')!;
    // 1500 decisions through a stream kept at about 1000: d's position is trimmed away.
    for (let i = 0; i < 1500; i++) a.send('block', { cidr: `198.18.${i >> 8}.${i & 255}`, timeoutSec: 600 }).catch(() => undefined);
    await a.send('flush');
    const last = await a.send('block', { cidr: '198.51.100.5', timeoutSec: 600 });
    await appliedOn(sensors.get('b')!, last.id);
    const d2 = await start('d');
    const snap = await snapshotOf(d2);
    // 1500 + .2, .4, .5 and the /48: the whole live set, in one batch.
    expect(snap.length).toBe(1504);
    expect(d2.stderr).toMatch(/trimmed from the stream/);
    expect(Object.keys(saved('d').blocks).length).toBe(1504);
  });
});
