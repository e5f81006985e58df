/**
 * Fleet mode end to end: a private redis-server on loopback (AOF on) and
 * three `tsad daemon` processes, each reading its own log file with its own
 * sensor name. (a) A sweep spread over the three firewalls - 4 destinations
 * each, below DL1_UNIQUE_HOSTS 10 at every sensor - is caught at fleet
 * level on all three; (b) `tsad block` on one sensor shows in `tsad blocks`
 * of the others within about a second; (c) Redis killed and restarted: the
 * daemons keep detecting and blocking, and the evidence and block of the
 * outage arrive afterwards, each decision applied once.
 * BLOCK_BACKEND none: real nft enforcement of shared decisions is covered by
 * test/fleet/enforce.test.ts.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRedisServer, LocalRedis } from '../../src/fleet/local-server.js';
import { ROOT } from '../helpers/run-cli.js';
import { killDaemon, need, startDaemon, tsad, waitFor, writeConfig, type FleetSensor } from './helpers/daemon.js';

const ATTACKER_A = '203.0.113.7';
const ATTACKER_B = '203.0.113.8';
const BLOCK_1 = '203.0.113.99';
const BLOCK_OUTAGE = '203.0.113.98';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A syslog timestamp (local time, as the kernel log file has it). */
function stamp(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** A SYN dropped by iptables, in the shape of fixtures/captured/ipt/connect.kern.log. */
function synLine(src: string, dst: string, dport: number, i: number): string {
  return `${stamp(new Date())} fw1 kernel: [ 1650.${String(961069 + i).padStart(6, '0')}] DROP IN=eth0 OUT= MAC=52:54:00:7c:a0:14:52:54:00:7c:a0:0a:08:00 SRC=${src} DST=${dst} LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=${57418 + i} DF PROTO=TCP SPT=${49946 + i} DPT=${dport} SEQ=3425222341 ACK=0 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080AC7606435000000000103030A) \n`;
}

type Sensor = FleetSensor;

interface Status {
  report: { sources: Array<{ src: string; dl: number; packets: number; destinations: number }> };
  daemon: { notes: string[] };
}

function requireFreshDist(): void {
  for (const rel of ['daemon/extensions/fleet', 'fleet/fleet', 'cli/commands/status']) {
    const js = join(ROOT, 'dist', `${rel}.js`);
    const ts = join(ROOT, 'src', `${rel}.ts`);
    if (!existsSync(js) || statSync(js).mtimeMs < statSync(ts).mtimeMs) throw new Error(`${js} is missing or older than its source: run "npm run build" first`);
  }
}

const ready = need('/usr/bin/redis-server (Debian package redis-server)', haveRedisServer);

describe.skipIf(!ready)('three fleet daemons sharing one Redis', () => {
  let redis: LocalRedis | null = null;
  let base = '';
  const sensors: Sensor[] = [];

  const status = async (s: Sensor): Promise<Status> => {
    const r = await s.d?.request('status', { minDl: 0 });
    if (r?.ok !== true) throw new Error(`${s.name}: status failed: ${JSON.stringify(r)}`);
    return r as unknown as Status;
  };
  const source = async (s: Sensor, src: string) => (await status(s)).report.sources.find((x) => x.src === src);
  const fleetNote = async (s: Sensor): Promise<string> => (await status(s)).daemon.notes.find((n) => n.startsWith('Fleet:')) ?? '';
  const counter = (note: string, what: string): number => Number(new RegExp(`(\\d+) ${what}`).exec(note)?.[1] ?? NaN);
  const published = async (s: Sensor): Promise<number> => counter(await fleetNote(s), 'evidence');
  const applied = async (s: Sensor): Promise<number> => Number(/applied (\d+)/.exec(await fleetNote(s))?.[1] ?? NaN);
  const blocks = async (s: Sensor): Promise<string[]> => {
    const r = await s.d?.request('blocks');
    return r?.ok === true ? (r.blocks as Array<{ cidr: string }>).map((b) => b.cidr) : [];
  };

  /** Appends a 4-destination slice of a sweep by `src` to sensor `i`'s log (destinations 4i+1 .. 4i+4). */
  const sweepSlice = (i: number, src: string, net: number): void => {
    const s = sensors[i] as Sensor;
    let text = '';
    for (let k = 1; k <= 4; k++) text += synLine(src, `198.51.${net}.${4 * i + k}`, 8443, 4 * i + k);
    appendFileSync(s.log, text);
  };

  beforeAll(async () => {
    requireFreshDist();
    base = mkdtempSync(join(tmpdir(), 'tsad-e2e-fleet-'));
    redis = await LocalRedis.start({ aof: true });
    for (const n of [1, 2, 3]) {
      const dir = join(base, `s${n}`);
      mkdirSync(dir);
      const log = join(dir, 'kern.log');
      writeFileSync(log, '');
      writeFileSync(join(dir, 'auto_dl'), '');
      const conf = writeConfig(dir, {
        FLEET_REDIS_URL: redis.url,
        FLEET_SENSOR_NAME: `s${n}`,
        FLEET_PUBLISH_INTERVAL: '1',
        ENABLE_AUTO_IDS: 'Y',
        BLOCK_BACKEND: 'none',
        SCAN_TIMEOUT: '3600',
      });
      sensors.push({ name: `s${n}`, dir, log, conf, socket: join(dir, 'tsad.sock'), d: null });
    }
    await Promise.all(
      sensors.map(async (s) => {
        s.d = await startDaemon(['--source', `file:${s.log}`, '-c', s.conf, '--state-dir', join(s.dir, 'state')], s.socket);
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(sensors.map(async (s) => {
      await Promise.race([s.d?.stop(), new Promise((r) => setTimeout(r, 5000))]);
      await killDaemon(s.d);
    }));
    await redis?.stop();
    if (base !== '') rmSync(base, { recursive: true, force: true });
  }, 30_000);

  it('catches a sweep spread over three sensors at fleet level only', async () => {
    // One slice at a time: each sensor alone stays at DL 0 (4 destinations < DL1_UNIQUE_HOSTS 10).
    for (const i of [0, 1]) {
      const s = sensors[i] as Sensor;
      sweepSlice(i, ATTACKER_A, 100);
      const local = await waitFor(`${s.name} to count the slice`, async () => {
        const x = await source(s, ATTACKER_A);
        return x !== undefined && x.packets === 4 ? x : null;
      }, { watch: sensors.map((x) => x.d) });
      expect(local).toMatchObject({ dl: 0, destinations: 4 });
      await waitFor(`${s.name} to publish its evidence`, async () => (await published(s)) >= 1, { watch: sensors.map((x) => x.d) });
    }
    // 8 destinations on 2 sensors: still below the ladder fleet-wide.
    expect((await source(sensors[0] as Sensor, ATTACKER_A))?.dl).toBe(0);
    sweepSlice(2, ATTACKER_A, 100);
    for (const s of sensors) {
      const x = await waitFor(`${s.name} to see ${ATTACKER_A} at fleet level`, async () => {
        const y = await source(s, ATTACKER_A);
        return y !== undefined && y.dl >= 1 ? y : null;
      }, { watch: sensors.map((x) => x.d) });
      expect(x.destinations).toBe(4); // its own view is unchanged: the level came from the fleet
      expect(await fleetNote(s)).toMatch(/connected;.* [1-9]\d* fleet level rise/);
    }
    expect(sensors.map((s) => s.d?.log() ?? '').every((l) => l.includes(`${ATTACKER_A}: danger level 0 -> 1 (fleet: 12 destinations seen by 3 sensors)`))).toBe(true);

    const text = await tsad(['status', '--fleet', '-c', sensors[0]?.conf as string, '--socket', sensors[0]?.socket as string]);
    expect(text.code, text.stderr).toBe(0);
    for (const n of ['s1', 's2', 's3']) expect(text.stdout).toMatch(new RegExp(`^ +${n} +last seen \\d+ s ago`, 'm'));
    expect(text.stdout).toContain(ATTACKER_A);
    const json = await tsad(['status', '--fleet', '--json', '-c', sensors[1]?.conf as string, '--socket', sensors[1]?.socket as string]);
    expect(json.code, json.stderr).toBe(0);
    const st = JSON.parse(json.stdout) as { daemon: unknown; fleet: { sensor: string; sensors: Array<{ name: string }>; sources: Array<{ src: string; dl: number }> } };
    expect(st.daemon).toBeTruthy();
    expect(st.fleet.sensor).toBe('s2');
    expect(st.fleet.sensors.map((s) => s.name).sort()).toEqual(['s1', 's2', 's3']);
    expect(st.fleet.sources.find((s) => s.src === ATTACKER_A)?.dl).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it('shares a block made on one sensor with the others', async () => {
    const [s1, s2, s3] = sensors as [Sensor, Sensor, Sensor];
    const spawned = Date.now();
    const r = await tsad(['block', BLOCK_1, '--socket', s1.socket, '-c', s1.conf]);
    expect(r.code, r.stderr).toBe(0);
    const returned = Date.now();
    await waitFor('the block on s2 and s3', async () => (await blocks(s2)).includes(BLOCK_1) && (await blocks(s3)).includes(BLOCK_1), { every: 10, watch: sensors.map((x) => x.d) });
    const done = Date.now();
    // A figure for the notes; `npm run bench` (fleet) measures decision throughput.
    console.log(`fleet block propagation: ${done - returned} ms after "tsad block" returned (${done - spawned} ms including its start-up)`);
    for (const s of [s2, s3]) {
      const out = await tsad(['blocks', '--socket', s.socket, '-c', s.conf]);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).toContain(BLOCK_1);
    }
  }, 60_000);

  it('keeps running through a Redis outage and reconciles afterwards, applying nothing twice', async () => {
    const [s1, s2, s3] = sensors as [Sensor, Sensor, Sensor];
    const appliedBefore = await Promise.all(sensors.map(applied));
    expect(appliedBefore).toEqual([0, 1, 1]);
    await redis?.kill();
    await waitFor('every sensor to notice the outage', async () => (await Promise.all(sensors.map(fleetNote))).every((n) => n.includes('NOT CONNECTED')), { every: 100, watch: sensors.map((x) => x.d) });
    // During the outage: detection, evidence and a manual block go on locally.
    for (const i of [0, 1, 2]) sweepSlice(i, ATTACKER_B, 101);
    for (const s of sensors) {
      await waitFor(`${s.name} to count ${ATTACKER_B} locally`, async () => (await source(s, ATTACKER_B))?.packets === 4, { watch: sensors.map((x) => x.d) });
      expect((await source(s, ATTACKER_B))?.dl).toBe(0);
    }
    const r = await tsad(['block', BLOCK_OUTAGE, '--socket', s2.socket, '-c', s2.conf]);
    expect(r.code, r.stderr).toBe(0);
    expect(await blocks(s2)).toContain(BLOCK_OUTAGE);
    expect(counter(await fleetNote(s2), 'decision\\(s\\);')).toBe(1); // queued
    await new Promise((res) => setTimeout(res, 1500));
    for (const s of sensors) expect(s.d?.proc.exitCode, s.d?.log()).toBeNull();

    await redis?.restart();
    await waitFor('the outage block on s1 and s3', async () => (await blocks(s1)).includes(BLOCK_OUTAGE) && (await blocks(s3)).includes(BLOCK_OUTAGE), { every: 50, watch: sensors.map((x) => x.d) });
    for (const s of sensors) {
      await waitFor(`${s.name} to see ${ATTACKER_B} at fleet level after the outage`, async () => ((await source(s, ATTACKER_B))?.dl ?? 0) >= 1, { every: 100, watch: sensors.map((x) => x.d) });
    }
    // Give a replay (if any) time to show, then count: each sensor applied each other sensor's decision once.
    await new Promise((res) => setTimeout(res, 2500));
    expect(await Promise.all(sensors.map(applied))).toEqual([1, 1, 2]);
    for (const s of sensors) {
      const b = await blocks(s);
      expect(b.filter((c) => c === BLOCK_1)).toHaveLength(1);
      expect(b.filter((c) => c === BLOCK_OUTAGE)).toHaveLength(1);
      expect(await fleetNote(s)).toMatch(/, connected; queued 0 source\(s\), 0 decision\(s\)/);
    }
  }, 120_000);
});
