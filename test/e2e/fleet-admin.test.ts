/**
 * Issue 15, fleet mode as the admin reads it: two `tsad daemon` processes on
 * one private redis-server. Sensor u reads ulogd2 JSON, whose time stamps
 * carry microseconds: `tsad fleet status` must still show the source's
 * packets, its highest local level and the sensor names (a sub-millisecond
 * time used to drop the record). Sensor d runs with --dry-run: a block
 * decided on u is recorded there as a dry-run block, listed by `tsad blocks`
 * with "[dry run: not in the firewall]", never refused.
 * BLOCK_BACKEND none on both: nothing here touches a firewall.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveRedisServer, LocalRedis } from '../../src/fleet/local-server.js';
import { killDaemon, need, startDaemon, tsad, waitFor, writeConfig, type DaemonProc } from './helpers/daemon.js';

const TEMPLATE = JSON.parse(readFileSync(new URL('../daemon/fixtures/ulogd-nflog.json', import.meta.url), 'utf8').split('\n')[0] as string) as Record<string, unknown>;
const SCANNER = '203.0.113.61';

/** ulogd2 JSON lines: a SYN sweep of 12 hosts, each time stamp with microseconds. */
function ulogdSweep(): string {
  const sec = Math.floor(Date.now() / 1000);
  let out = '';
  for (let i = 1; i <= 12; i++) {
    const usec = 123457 + i * 1001;
    const rec = { ...TEMPLATE, timestamp: new Date(sec * 1000).toISOString().replace('Z', '').replace(/\.\d+$/, `.${String(usec).padStart(6, '0')}`), 'oob.time.sec': sec, 'oob.time.usec': usec, src_ip: SCANNER, dest_ip: `198.51.100.${i}`, dest_port: 445 };
    out += `${JSON.stringify(rec)}\n`;
  }
  return out;
}

describe.skipIf(!need('/usr/bin/redis-server (Debian package redis-server)', haveRedisServer))('fleet status and dry-run sensors', () => {
  let redis: LocalRedis | null = null;
  let base = '';
  const s: Record<'u' | 'd', { dir: string; conf: string; socket: string; log: string; p: DaemonProc | null }> = {} as never;

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'tsad-e2e-fleet-admin-'));
    redis = await LocalRedis.start();
    for (const name of ['u', 'd'] as const) {
      const dir = join(base, name);
      mkdirSync(dir);
      const log = join(dir, name === 'u' ? 'ulogd.json' : 'kern.log');
      writeFileSync(log, '');
      const conf = writeConfig(dir, {
        FLEET_REDIS_URL: redis.url,
        FLEET_SENSOR_NAME: name,
        FLEET_PUBLISH_INTERVAL: '1',
        FLEET_MIN_SENSORS: '1',
        ENABLE_AUTO_IDS: 'Y',
        BLOCK_BACKEND: 'none',
      });
      s[name] = { dir, conf, log, socket: join(dir, 'tsad.sock'), p: null };
    }
    s.u.p = await startDaemon(['--source', `ulogd:${s.u.log}`, '-c', s.u.conf, '--state-dir', join(s.u.dir, 'state')], s.u.socket);
    s.d.p = await startDaemon(['--source', `file:${s.d.log}`, '-c', s.d.conf, '--state-dir', join(s.d.dir, 'state'), '--dry-run'], s.d.socket);
  }, 60_000);

  afterAll(async () => {
    for (const x of Object.values(s)) {
      await Promise.race([x.p?.stop(), new Promise((r) => setTimeout(r, 5000))]);
      await killDaemon(x.p);
    }
    await redis?.stop();
    if (base !== '') rmSync(base, { recursive: true, force: true });
  }, 30_000);

  it('tsad fleet status shows packets, level and sensors of a source seen through ulogd (microsecond times)', async () => {
    appendFileSync(s.u.log, ulogdSweep());
    const shown = await waitFor('the source at fleet level', async () => {
      const r = await tsad(['fleet', 'status', '--json', '-c', s.u.conf]);
      const j = JSON.parse(r.stdout || '{}') as { sources?: Array<{ src: string; packets: number; maxLocalDl: number; sensorNames: string[] }> };
      return j.sources?.find((x) => x.src === SCANNER && x.packets > 0) ?? null;
    }, { every: 200, watch: [s.u.p, s.d.p] });
    expect(shown).toMatchObject({ src: SCANNER, packets: 12, sensorNames: ['u'] });
    // The highest level the sensor gave it on its own: what its own status says.
    const local = (await s.u.p?.request('status', { ip: SCANNER })) as { report: { sources: Array<{ dl: number }> } };
    expect(shown.maxLocalDl).toBe(local.report.sources[0]?.dl);
    expect(shown.maxLocalDl).toBeGreaterThan(0);
    const text = (await tsad(['fleet', 'status', '-c', s.u.conf])).stdout;
    expect(text).toMatch(/^ {6}203\.0\.113\.61 +DL: 1, Dsts: 12, Sensors: 1, Pkts: 12/m);
  });

  it('a --dry-run sensor records a fleet decision as a dry-run block that tsad blocks lists', async () => {
    const b = await tsad(['block', '198.51.100.77', '--timeout', '600', '-c', s.u.conf, '--socket', s.u.socket]);
    expect(b.code).toBe(0);
    const listed = await waitFor('the shared block on the dry-run sensor', async () => {
      const r = await tsad(['blocks', '-c', s.d.conf, '--socket', s.d.socket]);
      return r.stdout.includes('198.51.100.77') ? r.stdout : null;
    }, { every: 100, watch: [s.u.p, s.d.p] });
    expect(listed).toMatch(/^198\.51\.100\.77 +\d+m\d+s +20\S+ +- +fleet:u: manual \[dry run: not in the firewall\]$/m);
    const st = (await s.d.p?.request('status')) as { daemon: { notes: string[] } };
    expect(st.daemon.notes.join('\n')).toMatch(/applied 1, refused 0/);
    const status = (await tsad(['status', '-c', s.d.conf, '--socket', s.d.socket])).stdout;
    expect(status).toMatch(/^ {6}198\.51\.100\.77 \(\d+ seconds remaining\) \[dry run: not in the firewall\]$/m);
    // The real sensor's own block is no dry run.
    expect((await tsad(['blocks', '-c', s.u.conf, '--socket', s.u.socket])).stdout).not.toContain('dry run');
  });
});
