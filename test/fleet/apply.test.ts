/**
 * Fleet decisions applied through the real BlockManager and NeverBlock of
 * each sensor (backend "none": records, no firewall), over a real Redis:
 * `tsad block` shared through the transport wrapper, the whitelist and the
 * hard rules refusing on the receiving side, unblocks, and a snapshot that
 * lifts fleet blocks removed while the sensor was away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managerTransport } from '../../src/actions/block/control.js';
import { BlockManager } from '../../src/actions/block/manager.js';
import { NeverBlock } from '../../src/actions/block/never-block.js';
import { NoneBackend } from '../../src/actions/block/backends/none.js';
import { policyFromConfig } from '../../src/actions/block/policy.js';
import { buildConfig, parseConfigText } from '../../src/config/load.js';
import { applyFleetDecisions, shareBlocks, FLEET_REASON } from '../../src/fleet/apply.js';
import { openFleet, type Fleet } from '../../src/fleet/fleet.js';
import { LocalRedis } from '../../src/fleet/local-server.js';
import { connect, whenReady } from '../../src/fleet/connection.js';
import { fleetOptions } from '../../src/fleet/options.js';
import { requireRedis, sensorConf, until } from './helpers.js';

/** Every sensor's block clock: one time base read once, so expiries are exact (no assertion depends on time passing). */
const CLOCK = Date.now();

interface Host {
  manager: BlockManager;
  fleet: Fleet;
  transport: ReturnType<typeof managerTransport>;
}

describe.skipIf(!requireRedis())('fleet decisions through BlockManager and NeverBlock', () => {
  let redis: LocalRedis;
  const hosts: Host[] = [];

  async function host(name: string, extra: Record<string, string> = {}, manager?: BlockManager, position: string | null = null): Promise<Host> {
    const cfg = buildConfig(parseConfigText(sensorConf(redis.url, name, { BLOCK_BACKEND: 'none', ...extra }), 't'), 't');
    const m = manager ?? new BlockManager({ backends: [new NoneBackend()], policy: policyFromConfig(cfg), guard: await NeverBlock.discover(cfg, { resolvConf: '/dev/null' }), now: () => CLOCK });
    const fleet = (await openFleet(cfg, { onDecisions: (batch, kind) => applyFleetDecisions(m, batch, kind, CLOCK), deferStart: true }))!;
    const h = { manager: m, fleet, transport: shareBlocks(managerTransport(m), fleet.decisions) };
    hosts.push(h); // closed in afterAll even when it never connects
    fleet.start(position);
    await until(`${name} connected and loaded`, () => fleet.decisions.position() !== null);
    return h;
  }

  beforeAll(async () => {
    redis = await LocalRedis.start();
  });

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.fleet.close()));
    await redis?.stop();
  });

  it('shares tsad block and unblock; each receiver applies its own never-block rules', async () => {
    const x = await host('x');
    const y = await host('y');
    const z = await host('z', { BLOCK_WHITELIST: '198.51.100.0/24' });
    const r = await x.transport.block({ target: '198.51.100.30', timeoutSec: 600, reason: 'manual' });
    expect(r.ok).toBe(true);
    await until('y blocked it', () => y.manager.get('198.51.100.30') !== undefined);
    const got = y.manager.get('198.51.100.30')!;
    expect(got.reason).toBe(`${FLEET_REASON}x: manual`);
    // On one clock the receiver keeps exactly the end the deciding sensor set (its timeout is that end less its now).
    expect(got.expiresAt).toBe(CLOCK + 600_000);
    expect(x.manager.get('198.51.100.30')!.expiresAt).toBe(CLOCK + 600_000);
    await until('z refused it', () => z.fleet.stats().decisions.refused === 1);
    expect(z.manager.get('198.51.100.30')).toBeUndefined();

    // A sensor without the hard rules (or a hostile one) shares a loopback block: nobody applies it.
    const bad = x.fleet.decisions.block({ cidr: '127.0.0.1', expiresAt: CLOCK + 60_000, reason: 'oops' });
    await until('y refused the loopback block', () => y.fleet.stats().decisions.refused === 1);
    expect(y.manager.get(bad.cidr)).toBeUndefined();

    await y.transport.unblock('198.51.100.30');
    await until('x lifted it', () => x.manager.get('198.51.100.30') === undefined);
  });

  it('a reload after the stream was trimmed under a connected sensor keeps the fleet blocks it already had', async () => {
    const [x, y] = hosts as [Host, Host];
    await x.transport.block({ target: '198.51.100.50', timeoutSec: 600 });
    await until('y blocked .50', () => y.manager.get('198.51.100.50') !== undefined);
    const cfg = buildConfig(parseConfigText(sensorConf(redis.url, 'raw'), 't'), 't');
    const raw = await connect(fleetOptions(cfg)!.endpoint);
    await whenReady(raw, 5000);
    const clients = String(await raw.call('CLIENT', 'LIST'));
    const readerId = /id=(\d+) [^\n]*name=tsad-y-reader/.exec(clients)?.[1];
    expect(readerId).toBeDefined();
    // Cut y's stream connection, and before it is back, trim everything it has read and add one entry.
    const snapshots = y.fleet.stats().decisions.snapshots;
    await Promise.all([
      raw.call('CLIENT', 'KILL', 'ID', readerId!),
      raw.call('XTRIM', 'tsad:{blocks}:log', 'MAXLEN', 0),
      raw.call('XADD', 'tsad:{blocks}:log', '*', 'id', 'r1', 'op', 'block', 'cidr', '198.51.100.51', 'exp', String(CLOCK + 60_000), 'by', 'raw', 'at', '1'),
    ]);
    await raw.close();
    await until('y reloaded the live set', () => y.fleet.stats().decisions.snapshots === snapshots + 1);
    expect(y.manager.get('198.51.100.50')?.reason).toMatch(/^fleet:x/);
  });

  it('a reload of the live set lifts fleet blocks that were removed meanwhile, and keeps local ones', async () => {
    const [x, y] = hosts as [Host, Host];
    await x.transport.block({ target: '198.51.100.32', timeoutSec: 600 });
    await until('y blocked .32', () => y.manager.get('198.51.100.32') !== undefined);
    await y.manager.block('203.0.113.40', { timeoutSec: 600, reason: 'local decision' });
    await y.fleet.close();
    await x.transport.unblock('198.51.100.32');
    await x.transport.block({ target: '198.51.100.33', timeoutSec: 600 });
    // y comes back with no usable position (as after a trimmed stream): it loads the live set.
    const y2 = await host('y', {}, y.manager, null);
    await until('y2 has .33', () => y2.manager.get('198.51.100.33') !== undefined);
    expect(y2.manager.get('198.51.100.32')).toBeUndefined();
    expect(y2.manager.get('203.0.113.40')?.reason).toBe('local decision');
    expect(y2.fleet.stats().decisions.snapshots).toBe(1);
  });
});
