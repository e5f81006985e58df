/**
 * Fleet mode across a sensor restart during a Redis outage: a private
 * redis-server (AOF on) and two `tsad daemon` processes. With Redis down,
 * sensor s1 blocks two addresses (`tsad block`) and counts half of a sweep;
 * it is killed with SIGKILL after the first block and stopped with SIGTERM
 * after the second, and restarted each time while Redis is still down. When
 * Redis comes back, s2 must apply both blocks (each once) and see the sweep
 * at fleet level from s1's saved evidence plus its own half: nothing that
 * was queued for the fleet may be lost by the restarts.
 */
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRedisServer, LocalRedis } from '../../src/fleet/local-server.js';
import { killDaemon, need, startDaemon, tsad, waitFor, writeConfig, type DaemonProc, type FleetSensor } from './helpers/daemon.js';

const ATTACKER = '203.0.113.17';
const BLOCK_KILLED = '203.0.113.91';
const BLOCK_STOPPED = '203.0.113.92';

/** A SYN dropped by iptables (RFC 3339 time, so no year or zone is guessed). */
function synLine(dst: string, i: number): string {
  return `${new Date().toISOString()} fw1 kernel: DROP IN=eth0 OUT= SRC=${ATTACKER} DST=${dst} LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=${100 + i} DF PROTO=TCP SPT=${40000 + i} DPT=8443 SEQ=1 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 \n`;
}

/** Six destinations of the sweep (net 198.51.N.x): below DL1_UNIQUE_HOSTS 10 on one sensor, 12 on two. */
function slice(log: string, net: number): void {
  let text = '';
  for (let k = 1; k <= 6; k++) text += synLine(`198.51.${net}.${k}`, k);
  appendFileSync(log, text);
}

type Sensor = FleetSensor;

const ready = need('/usr/bin/redis-server (Debian package redis-server)', haveRedisServer);

describe.skipIf(!ready)('a fleet sensor restarted during a Redis outage', () => {
  let redis: LocalRedis | null = null;
  let base = '';
  const sensors: Sensor[] = [];

  const start = async (s: Sensor): Promise<DaemonProc> => (s.d = await startDaemon(['--source', `file:${s.log}`, '-c', s.conf, '--state-dir', join(s.dir, 'state')], s.socket));
  const status = async (s: Sensor): Promise<{ sources: Array<{ src: string; dl: number; packets: number }>; notes: string[] }> => {
    const r = await s.d?.request('status', { minDl: 0 });
    if (r?.ok !== true) throw new Error(`${s.name}: ${JSON.stringify(r)}`);
    return { sources: (r.report as { sources: Array<{ src: string; dl: number; packets: number }> }).sources, notes: (r.daemon as { notes: string[] }).notes };
  };
  const fleetNote = async (s: Sensor): Promise<string> => (await status(s)).notes.find((n) => n.startsWith('Fleet:')) ?? '';
  const blocks = async (s: Sensor): Promise<string[]> => {
    const r = await s.d?.request('blocks');
    return r?.ok === true ? (r.blocks as Array<{ cidr: string }>).map((b) => b.cidr) : [];
  };

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'tsad-e2e-fleet-restart-'));
    redis = await LocalRedis.start({ aof: true });
    for (const n of [1, 2]) {
      const dir = join(base, `s${n}`);
      mkdirSync(dir);
      const log = join(dir, 'kern.log');
      writeFileSync(log, '');
      const conf = writeConfig(dir, { FLEET_REDIS_URL: redis.url, FLEET_SENSOR_NAME: `s${n}`, FLEET_PUBLISH_INTERVAL: '1', ENABLE_AUTO_IDS: 'Y', BLOCK_BACKEND: 'none', SCAN_TIMEOUT: '3600' });
      sensors.push({ name: `s${n}`, dir, log, conf, socket: join(dir, 'tsad.sock'), d: null });
    }
    for (const s of sensors) await start(s);
  }, 60_000);

  afterAll(async () => {
    for (const s of sensors) await killDaemon(s.d);
    await redis?.stop();
    if (base !== '') rmSync(base, { recursive: true, force: true });
  }, 30_000);

  it('keeps the decisions and evidence queued for the fleet through kill -9 and SIGTERM', async () => {
    const [s1, s2] = sensors as [Sensor, Sensor];
    await waitFor('both sensors connected', async () => (await Promise.all(sensors.map(fleetNote))).every((n) => /, connected;/.test(n)), { every: 100, watch: sensors.map((x) => x.d) });
    await redis?.kill();
    await waitFor('both sensors to notice the outage', async () => (await Promise.all(sensors.map(fleetNote))).every((n) => n.includes('NOT CONNECTED')), { every: 100, watch: sensors.map((x) => x.d) });

    // During the outage s1 sees half the sweep and blocks an address: both wait in its queue.
    slice(s1.log, 120);
    await waitFor('s1 to count its half of the sweep', async () => (await status(s1)).sources.find((x) => x.src === ATTACKER)?.packets === 6, { watch: sensors.map((x) => x.d) });
    const b1 = await tsad(['block', BLOCK_KILLED, '--socket', s1.socket, '-c', s1.conf]);
    expect(b1.code, b1.stderr).toBe(0);
    expect(b1.stdout).toMatch(new RegExp(`^blocked ${BLOCK_KILLED} `));
    expect(await fleetNote(s1)).toMatch(/queued 1 source\(s\), 1 decision\(s\)/);

    // kill -9 right after "blocked": the decision was in the snapshot before the command answered.
    await s1.d?.kill9();
    await start(s1);
    expect(s1.d?.log()).toMatch(/1 decision\(s\) and 1 source\(s\) of evidence saved while unsent are queued again/);
    expect(await fleetNote(s1)).toMatch(/NOT CONNECTED; queued 1 source\(s\), 1 decision\(s\)/);

    // A second block, then SIGTERM: the final snapshot keeps what the last send could not deliver.
    expect((await tsad(['block', BLOCK_STOPPED, '--socket', s1.socket, '-c', s1.conf])).code).toBe(0);
    expect(await s1.d?.stop()).toBe(0);
    await start(s1);
    expect(s1.d?.log()).toMatch(/2 decision\(s\) and 1 source\(s\) of evidence saved while unsent are queued again/);

    await redis?.restart();
    await waitFor('both blocks on s2', async () => {
      const b = await blocks(s2);
      return b.includes(BLOCK_KILLED) && b.includes(BLOCK_STOPPED);
    }, { every: 100, watch: sensors.map((x) => x.d) });
    // s2's half of the sweep: only with s1's saved evidence does the fleet see 12 destinations.
    slice(s2.log, 120 + 1);
    for (const s of sensors) {
      await waitFor(`${s.name} to see ${ATTACKER} at fleet level`, async () => ((await status(s)).sources.find((x) => x.src === ATTACKER)?.dl ?? 0) >= 1, { every: 100, watch: sensors.map((x) => x.d) });
    }
    await waitFor('s1 to send everything', async () => /, connected; queued 0 source\(s\), 0 decision\(s\)/.test(await fleetNote(s1)), { every: 100, watch: sensors.map((x) => x.d) });
    expect(await fleetNote(s2)).toMatch(/applied 2,/);
    expect((await blocks(s2)).filter((c) => c === BLOCK_KILLED)).toHaveLength(1);
  }, 180_000);
});
