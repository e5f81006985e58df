/**
 * The other ways to reach Redis, each against real servers on loopback:
 * a three-node Redis Cluster (keys must shard by their hash tags), Redis
 * Sentinel with a failover in the middle, and TLS with client certificates
 * and an ACL user confined to the key prefix.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig, parseConfigText } from '../../src/config/load.js';
import { freePort, LocalRedis } from '../../src/fleet/local-server.js';
import { fleetStatus } from '../../src/fleet/status.js';
import { openTestFleet, redisCli, requireRedis, sensorConf, until, type TestFleet } from './helpers.js';

const execFileP = promisify(execFile);
const hour = () => Date.now() + 3_600_000;

async function pair(conf: (name: string) => string): Promise<[TestFleet, TestFleet]> {
  const x = await openTestFleet(conf('x'));
  const y = await openTestFleet(conf('y'));
  try {
    await until('both sensors connected and past their first load', () => x.fleet.connected() && y.fleet.connected() && y.fleet.decisions.position() !== null);
  } catch (err) {
    await closeAll(x, y);
    throw err;
  }
  return [x, y];
}

async function closeAll(...fleets: Array<TestFleet | undefined>): Promise<void> {
  await Promise.all(fleets.map((f) => f?.fleet.close()));
}

describe.skipIf(!requireRedis())('Redis Cluster', () => {
  const nodes: LocalRedis[] = [];
  let x: TestFleet;
  let y: TestFleet;

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) nodes.push(await LocalRedis.start({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'] }));
    await redisCli(['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const n of nodes) await until('cluster_state:ok', async () => (await redisCli(['-p', String(n.port), 'cluster', 'info'])).includes('cluster_state:ok'));
    const seeds = nodes.slice(0, 2).map((n) => `127.0.0.1:${n.port}`).join(',');
    [x, y] = await pair((name) => sensorConf(`redis://${seeds}`, name, { FLEET_REDIS_CLUSTER: 'Y' }));
  });

  afterAll(async () => {
    await closeAll(x, y);
    await Promise.all(nodes.map((n) => n.stop()));
  });

  it('shards evidence per source across the nodes and counts it fleet-wide', async () => {
    const srcs = Array.from({ length: 30 }, (_, i) => `198.51.100.${i + 1}`);
    const items = (base: number) => srcs.map((src) => ({ src, dsts: Array.from({ length: 6 }, (_, j) => `203.0.113.${base + j}`), packets: 6, dl: 0 }));
    x.fleet.evidence.publish(items(0));
    y.fleet.evidence.publish(items(100));
    expect(await x.fleet.evidence.flush()).toBe(30);
    expect(await y.fleet.evidence.flush()).toBe(30);
    const levels = await Promise.all(srcs.map((s) => x.fleet.evidence.fleetLevel(s)));
    expect(levels.every((l) => l.dl === 1 && l.destinations === 12 && l.sensors === 2)).toBe(true);
    const sizes = await Promise.all(nodes.map(async (n) => Number((await redisCli(['-p', String(n.port), 'dbsize'])).trim())));
    expect(sizes.filter((s) => s > 0).length).toBe(3);
  });

  it('shares decisions through the stream and the live set on their own slot', async () => {
    const d = x.fleet.decisions.block({ cidr: '2001:db8:1:2::/64', expiresAt: hour(), dl: 2, reason: 'cluster' });
    await until('y applied the block', () => y.got.some((g) => g.id === d.id));
    const cfg = buildConfig(parseConfigText(sensorConf(`redis://127.0.0.1:${nodes[2]!.port}`, 'x', { FLEET_REDIS_CLUSTER: 'Y' }), 't'), 't');
    const r = await fleetStatus(cfg);
    expect(r.blocks.list.map((b) => b.cidr)).toEqual(['2001:db8:1:2::/64']);
    expect(r.sources.length).toBeGreaterThan(0);
  });
});

describe.skipIf(!requireRedis())('Redis Sentinel', () => {
  let master: LocalRedis;
  let replica: LocalRedis;
  let sentinel: LocalRedis;
  let dir: string;
  let x: TestFleet;
  let y: TestFleet;

  beforeAll(async () => {
    master = await LocalRedis.start({ aof: true });
    replica = await LocalRedis.start({ aof: true, args: ['--replicaof', '127.0.0.1', String(master.port)] });
    dir = mkdtempSync(join(tmpdir(), 'tsad-fleet-sentinel-'));
    const port = await freePort();
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(conf, `port ${port}\nsentinel monitor tsadm 127.0.0.1 ${master.port} 1\nsentinel down-after-milliseconds tsadm 1000\nsentinel failover-timeout tsadm 5000\n`);
    sentinel = await LocalRedis.start({ configFile: conf, port, args: ['--sentinel'] });
    await until('replica in sync', async () => (await redisCli(['-p', String(replica.port), 'info', 'replication'])).includes('master_link_status:up'));
    [x, y] = await pair((name) => sensorConf(`sentinel://127.0.0.1:${port}/tsadm`, name));
  });

  afterAll(async () => {
    await closeAll(x, y);
    await Promise.all([sentinel, replica, master].map((r) => r?.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('follows a failover: decisions keep flowing, none lost or applied twice', async () => {
    const before = x.fleet.decisions.block({ cidr: '198.51.100.10', expiresAt: hour() });
    await until('y applied the first block', () => y.got.some((g) => g.id === before.id));
    await redisCli(['-p', String(master.port), 'WAIT', '1', '2000']);
    await master.kill();
    // Decided while there is no master: queued, sent to the promoted replica.
    const during = x.fleet.decisions.block({ cidr: '198.51.100.11', expiresAt: hour() });
    await until('the replica was promoted', async () => (await redisCli(['-p', String(replica.port), 'role'])).startsWith('master'));
    await until('y applied the block decided during the failover', () => y.got.some((g) => g.id === during.id));
    const after = y.fleet.decisions.block({ cidr: '198.51.100.12', expiresAt: hour() });
    await until('x applied a block decided after it', () => x.got.some((g) => g.id === after.id));
    const ids = y.got.filter((g) => g.kind === 'live').map((g) => g.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(y.got.filter((g) => g.kind === 'live').map((g) => g.cidr)).toEqual(['198.51.100.10', '198.51.100.11']);
  }, 90_000);
});

describe.skipIf(!requireRedis())('TLS with client certificates and an ACL user', () => {
  let dir: string;
  let redis: LocalRedis;
  let x: TestFleet;
  let y: TestFleet;
  const file = (n: string) => join(dir, n);
  const openssl = (args: string[]) => execFileP('/usr/bin/openssl', args, { cwd: dir });

  async function issue(name: string, ca: string, extra: string[] = []): Promise<void> {
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`]);
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, ...extra]);
  }

  const conf = (name: string, over: Record<string, string> = {}) =>
    sensorConf(`rediss://127.0.0.1:${redis.port}`, name, {
      FLEET_REDIS_USERNAME: 'tsad', FLEET_REDIS_PASSWORD_FILE: file('pw'), FLEET_REDIS_TLS_CA_FILE: file('ca.crt'),
      FLEET_REDIS_TLS_CERT_FILE: file('client.crt'), FLEET_REDIS_TLS_KEY_FILE: file('client.key'), ...over,
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsad-fleet-tls-'));
    for (const ca of ['ca', 'other-ca']) await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-subj', `/CN=${ca}`, '-days', '2', '-out', `${ca}.crt`]);
    writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    await issue('server', 'ca', ['-extfile', 'san.ext']);
    await issue('client', 'ca');
    writeFileSync(file('pw'), 's3cret-fleet\n', { mode: 0o600 });
    redis = await LocalRedis.start({
      tls: { cert: file('server.crt'), key: file('server.key'), ca: file('ca.crt') },
      // Only tsad's keys and channel, no dangerous commands but INFO (the client's ready check), and no default user.
      args: ['--user', 'default', 'off', '--user', 'tsad', 'on', '>s3cret-fleet', '~tsad:*', '&tsad:*', '+@all', '-@dangerous', '+info'],
    });
    [x, y] = await pair((name) => conf(name));
  });

  afterAll(async () => {
    await closeAll(x, y);
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('works end to end inside the key prefix', async () => {
    const d = x.fleet.decisions.block({ cidr: '198.51.100.20', expiresAt: hour() });
    await until('y applied the block', () => y.got.some((g) => g.id === d.id));
    x.fleet.evidence.publish([{ src: '198.51.100.21', dsts: ['203.0.113.1'], packets: 1, dl: 0 }]);
    expect(await x.fleet.evidence.flush()).toBe(1);
    const r = await fleetStatus(buildConfig(parseConfigText(conf('x'), 't'), 't'));
    expect(r.blocks.total).toBe(1);
    expect(x.log.filter((l) => l.startsWith('warn') || l.startsWith('error'))).toEqual([]);
  });

  it('refuses a server its CA did not sign, and a wrong password, with the reason (no endless retry)', async () => {
    const cfgOf = (over: Record<string, string>) => buildConfig(parseConfigText(conf('z', over), 't'), 't');
    await expect(fleetStatus(cfgOf({ FLEET_REDIS_TLS_CA_FILE: file('other-ca.crt') }))).rejects.toThrow(/cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+: .*certificate/i);
    writeFileSync(file('bad-pw'), 'wrong\n');
    await expect(fleetStatus(cfgOf({ FLEET_REDIS_PASSWORD_FILE: file('bad-pw') }))).rejects.toThrow(/WRONGPASS/);
  });
});
