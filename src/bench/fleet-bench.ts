/**
 * Fleet mode figures on a private redis-server (127.0.0.1, random port):
 *   1. shared decisions per second: one sensor decides N blocks, another
 *      receives them through the stream (end to end, both in this process);
 *   2. a new sensor loading the live set of 100,000 shared blocks;
 *   3. Redis memory per shared block and per source of evidence, and the
 *      rate at which evidence is published.
 * A benchmark, not a test: it asserts nothing.
 *
 *   node dist/bench/fleet-bench.js [--decisions N] [--blocks N] [--sources N]
 */
import { BlockManager } from '../actions/block/manager.js';
import { NoneBackend } from '../actions/block/backends/none.js';
import { policyFromConfig } from '../actions/block/policy.js';
import { buildConfig, defaultConfig, parseConfigText } from '../config/load.js';
import { applyFleetDecisions, openFleet, type Fleet, type FleetDecision } from '../fleet/index.js';
import { connect, whenReady, type RedisLink } from '../fleet/connection.js';
import { LocalRedis } from '../fleet/local-server.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const out = (s: string) => void process.stdout.write(`${s}\n`);

/** The i-th benchmark address: 198.18.0.0/15 (RFC 2544), 131,072 of them. */
function addr(i: number): string {
  return `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
}

type Handler = (b: readonly FleetDecision[], kind: string) => void | Promise<void>;

async function sensor(url: string, name: string, onBatch: Handler, streamMaxLen = 200_000, onSnapshot: Handler = onBatch): Promise<Fleet> {
  const cfg = buildConfig(parseConfigText(`FLEET_REDIS_URL ${url};\nFLEET_SENSOR_NAME ${name};\nFLEET_QUEUE_MAX 1000000;\nFLEET_STREAM_MAXLEN ${streamMaxLen};\n`, 'bench'), 'bench');
  const f = await openFleet(cfg, {
    onDecisions: async (b, kind) => {
      await (kind === 'snapshot' ? onSnapshot : onBatch)(b, kind);
      return b.map(() => ({ accepted: true as const }));
    },
  });
  if (f === null) throw new Error('fleet mode is off');
  const deadline = Date.now() + 10_000;
  while (f.decisions.position() === null) {
    if (Date.now() > deadline) throw new Error(`${name} did not start`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return f;
}

/** Bytes Redis uses for the keys (MEMORY USAGE, every element counted). */
async function keyBytes(link: RedisLink, keys: readonly string[]): Promise<number> {
  const sizes = await Promise.all(keys.map((k) => link.call('MEMORY', 'USAGE', k, 'SAMPLES', 0)));
  return sizes.reduce<number>((sum, b) => sum + Number(b ?? 0), 0);
}

/** Bytes of every key of one source's evidence. */
async function sourceBytes(link: RedisLink, src: string): Promise<number> {
  const keys = await link.call('KEYS', `tsad:{${src}}:*`);
  return keyBytes(link, Array.isArray(keys) ? (keys as string[]) : []);
}

/** One block at a time, idle fleet: time from block() on one sensor to the handler on another. */
async function latency(a: Fleet, arm: (fn: () => void) => void, samples = 50): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < samples; i++) {
    const got = new Promise<void>((r) => arm(r));
    const t0 = performance.now();
    a.decisions.block({ cidr: addr(100_000 + i), expiresAt: Date.now() + 60_000 });
    await got;
    ms.push(performance.now() - t0);
  }
  ms.sort((x, y) => x - y);
  out(`one shared decision, block() to applied on another sensor: median ${(ms[samples >> 1] ?? 0).toFixed(1)} ms, worst ${(ms[samples - 1] ?? 0).toFixed(1)} ms (${samples} samples)`);
}

/** N blocks from `a`, received by `b`: decisions per second end to end, and the sending rate alone. */
async function decisionRate(url: string, n: number): Promise<void> {
  let received = 0;
  let done: () => void = () => undefined;
  let onOne: (() => void) | null = null;
  const all = new Promise<void>((r) => (done = r));
  const b = await sensor(url, 'rate-b', (batch) => {
    if (onOne !== null) return onOne();
    received += batch.length;
    if (received >= n) done();
  });
  const a = await sensor(url, 'rate-a', () => undefined);
  const exp = Date.now() + 3_600_000;
  await latency(a, (fn) => (onOne = fn));
  onOne = null;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) a.decisions.block({ cidr: addr(i), expiresAt: exp, dl: 1, reason: 'bench' });
  await a.decisions.flush();
  const sent = performance.now() - t0;
  await all;
  const total = performance.now() - t0;
  out(`shared decisions: ${fmt(n)} blocks appended in ${(sent / 1000).toFixed(2)} s (${fmt(n / (sent / 1000))}/s); all applied on another sensor after ${(total / 1000).toFixed(2)} s (${fmt(n / (total / 1000))} decisions/s end to end)`);
  await Promise.all([a.close(), b.close()]);
}

/** Fills the live set with `n` blocks, then times a new sensor's first load. */
async function loadLiveSet(url: string, link: RedisLink, n: number): Promise<void> {
  const a = await sensor(url, 'fill', () => undefined, 1000);
  const exp = Date.now() + 3_600_000;
  for (let i = 0; i < n; i++) a.decisions.block({ cidr: addr(i), expiresAt: exp, dl: 3, reason: 'danger level 3' });
  while (a.decisions.stats().queued > 0) await a.decisions.flush();
  await a.close();
  const logBytes = (await keyBytes(link, ['tsad:{blocks}:log'])) / Number(await link.call('XLEN', 'tsad:{blocks}:log'));
  const idBytes = (await keyBytes(link, ['tsad:{blocks}:ids'])) / Number(await link.call('ZCARD', 'tsad:{blocks}:ids'));
  out(`Redis memory per decision in the stream: ${fmt(logBytes)} bytes; per remembered decision id (one day): ${fmt(idBytes)} bytes`);
  await link.call('DEL', 'tsad:{blocks}:ids', 'tsad:{blocks}:log');
  const perBlock = (await keyBytes(link, ['tsad:{blocks}:live', 'tsad:{blocks}:info'])) / n;
  let loaded = 0;
  let loadedAt = 0;
  let appliedAt = 0;
  // The newcomer hands the batch to a BlockManager (backend "none": the manager's work without the kernel's; block-bench measures nftables).
  const manager = new BlockManager({ backends: [new NoneBackend()], policy: policyFromConfig(defaultConfig()), guard: { check: () => null } });
  const t0 = performance.now();
  const c = await sensor(url, 'newcomer', () => undefined, 200_000, async (batch, kind) => {
    if (kind !== 'snapshot') return;
    loaded = batch.length;
    loadedAt = performance.now();
    await applyFleetDecisions(manager, batch, kind);
    appliedAt = performance.now();
  });
  out(`new sensor: ${fmt(loaded)} live shared blocks read and checked in ${((loadedAt - t0) / 1000).toFixed(2)} s (connect, one atomic read, validation), in its BlockManager after ${((appliedAt - t0) / 1000).toFixed(2)} s (${fmt(manager.size)} records)`);
  out(`Redis memory per live shared block (sorted set + details hash): ${fmt(perBlock)} bytes`);
  await c.close();
}

/** Evidence for `n` sources (10 destinations, 3 ports each) from two sensors: rate and memory per source. */
async function evidence(url: string, link: RedisLink, n: number): Promise<void> {
  const fleets = [await sensor(url, 'ev-a', () => undefined), await sensor(url, 'ev-b', () => undefined)];
  const t0 = performance.now();
  fleets.forEach((f, s) => {
    const items = Array.from({ length: n }, (_, i) => ({ src: addr(i), dsts: Array.from({ length: 5 }, (_, j) => `203.0.113.${s * 5 + j}`), ports: ['tcp/22', 'tcp/23', 'tcp/445'], packets: 5, dl: 0 }));
    f.evidence.publish(items);
  });
  await Promise.all(fleets.map((f) => f.evidence.flush()));
  const secs = (performance.now() - t0) / 1000;
  const sample = Array.from({ length: 200 }, (_, i) => addr(Math.floor((i * n) / 200)));
  const perSource = (await Promise.all(sample.map((src) => sourceBytes(link, src)))).reduce((a, b) => a + b, 0) / sample.length;
  out(`evidence: ${fmt(2 * n)} source updates published in ${secs.toFixed(2)} s (${fmt((2 * n) / secs)}/s); Redis memory per source (2 sensors, 10 destinations, 3 ports): ${fmt(perSource)} bytes`);
  const wide = Array.from({ length: 20 }, (_, k) => ({ src: addr(n + 1), dsts: Array.from({ length: 1000 }, (_, j) => `10.${k}.${j >> 8}.${j & 255}`), packets: 1000, dl: 5 }));
  for (const w of wide) {
    fleets[0]!.evidence.publish([w]);
    await fleets[0]!.evidence.flush();
  }
  out(`evidence of one source that reached 20,000 destinations (dense HyperLogLog): ${fmt(await sourceBytes(link, addr(n + 1)))} bytes`);
  await Promise.all(fleets.map((f) => f.close()));
}

async function main(): Promise<void> {
  const redis = await LocalRedis.start();
  const link = await connect({ topology: 'standalone', hosts: [{ host: '127.0.0.1', port: redis.port }], master: '', db: 0, username: '', password: '', sentinelUsername: '', sentinelPassword: '', tls: null, display: redis.url });
  try {
    await whenReady(link, 5000);
    out(`redis-server ${/redis_version:(\S+)/.exec(String(await link.call('INFO', 'server')))?.[1] ?? '?'} on ${redis.url}, node ${process.version}`);
    await decisionRate(redis.url, arg('--decisions', 20_000));
    await link.call('FLUSHALL');
    await loadLiveSet(redis.url, link, arg('--blocks', 100_000));
    await link.call('FLUSHALL');
    await evidence(redis.url, link, arg('--sources', 10_000));
  } finally {
    await link.close();
    await redis.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`fleet-bench: ${String(err)}\n`);
  process.exitCode = 1;
});
