/**
 * Blocking speed, measured on the real nftables in a throw-away network
 * namespace: loading 100,000 blocks into the sets in one transaction, and
 * the time from BlockManager.block() being called to the element being in
 * the kernel (block() resolves when `nft` has committed). Needs root.
 *
 *   node dist/bench/block-bench.js [COUNT]
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { NftablesBackend } from '../actions/block/backends/nftables.js';
import { BlockManager } from '../actions/block/manager.js';
import { policyFromConfig } from '../actions/block/policy.js';
import { writeState } from '../actions/block/state.js';
import { backendContext, netnsRunner } from '../actions/block/runner.js';
import type { BlockEntry, Runner } from '../actions/block/types.js';
import { defaultConfig } from '../config/load.js';

const exec = promisify(execFile);

export interface BlockBenchResult {
  count: number;
  /** One `nft -f -` transaction creating table, sets and chains and loading every element: best of `loadRunsMs`. */
  loadMs: number;
  /** Every load measured (the sets emptied in between); the spread shows how busy the machine was. */
  loadRunsMs: number[];
  /** CPU seconds (user + system) the nft process used for the best load. */
  loadCpuSec: number;
  /** Elements found in the kernel afterwards. */
  loaded: number;
  /** BlockManager.fromJSON + reconcile() of the same number of saved blocks (a daemon restart). */
  restoreMs: number;
  /** block() latency with the sets full: median and worst of `samples` calls. */
  latencyFullMs: { median: number; max: number };
  /** block() latency with empty sets. */
  latencyEmptyMs: { median: number; max: number };
  /** Cost of starting any command in the namespace (`ip netns exec NS true`), included in the latencies above. */
  netnsExecMs: { median: number; max: number };
  samples: number;
}

/** `count` distinct blocks: IPv4 addresses counting up from 198.18.0.0 (RFC 2544; past 131,072 beyond it, harmless in a namespace), 1 in 10 an IPv6 address or /64. */
export function benchEntries(count: number): BlockEntry[] {
  const out: BlockEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (i % 10 === 9) {
      const j = Math.floor(i / 10);
      // Every group stays within 16 bits (nft rejects a 5-hex-digit group).
      const hi = (j >>> 16).toString(16);
      const lo = (j & 0xffff).toString(16);
      const cidr = j % 2 === 0 ? `2001:db8:b:${hi}:${lo}::1` : `2001:db8:${(0xc000 + (j >>> 16)).toString(16)}:${lo}::/64`;
      out.push({ cidr, family: 6, timeoutSec: 3600 });
    } else {
      const n = (198 << 24) + (18 << 16) + i;
      out.push({ cidr: `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`, family: 4, timeoutSec: 3600 + (i % 600) });
    }
  }
  return out;
}

async function countElements(run: Runner): Promise<number> {
  let n = 0;
  for (const set of ['block_v4', 'block_v6']) {
    const doc = JSON.parse((await run('nft', ['-j', 'list', 'set', 'inet', 'tsad', set])).stdout) as { nftables: Array<{ set?: { elem?: unknown[] } }> };
    n += doc.nftables.find((x) => x.set)?.set?.elem?.length ?? 0;
  }
  return n;
}

/** CPU seconds used by waited-for child processes so far (cutime + cstime of /proc/self/stat, in 1/100 s). */
function childCpu(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(')').pop()?.trim().split(' ') ?? [];
  return (Number(f[13]) + Number(f[14])) / 100;
}

function stats(xs: number[]): { median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: Number((s[Math.floor(s.length / 2)] ?? 0).toFixed(1)), max: Number((s[s.length - 1] ?? 0).toFixed(1)) };
}

async function latencies(m: BlockManager, run: Runner, samples: number, base: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const addr = `203.0.113.${base + i}`;
    const t0 = performance.now();
    await m.block(addr, { timeoutSec: 600 });
    out.push(performance.now() - t0);
    // Outside the timing: prove the element is in the kernel.
    await run('nft', ['get', 'element', 'inet', 'tsad', 'block_v4', `{ ${addr} }`]);
  }
  return out;
}

/** Runs the measurements in namespace `ns` (created and deleted here). */
export async function runBlockBench(ns: string, count = 100_000, samples = 20, loadRuns = 3): Promise<BlockBenchResult> {
  await exec('ip', ['netns', 'add', ns]);
  try {
    const run = netnsRunner(ns);
    const ctx = backendContext({ run });
    const nft = new NftablesBackend(ctx);
    const entries = benchEntries(count);
    const cfg = defaultConfig();
    const opts = { backends: [nft], policy: policyFromConfig(cfg), guard: { check: () => null } };

    const empty = new BlockManager(opts);
    await empty.reconcile();
    const latencyEmpty = await latencies(empty, run, samples, 1);
    await nft.flush();

    const loadRunsMs: number[] = [];
    let loadCpuSec = Number.POSITIVE_INFINITY;
    for (let i = 0; i < loadRuns; i++) {
      await nft.flush();
      const cpu0 = childCpu();
      const t = performance.now();
      await nft.sync(entries);
      loadRunsMs.push(Number((performance.now() - t).toFixed(1)));
      loadCpuSec = Math.min(loadCpuSec, childCpu() - cpu0);
    }
    const loadMs = Math.min(...loadRunsMs);
    const loaded = await countElements(run);
    let t0: number;

    const now = Date.now();
    const json = writeState(entries.map((e) => ({ cidr: e.cidr, family: e.family, createdAt: now, expiresAt: now + e.timeoutSec * 1000, reason: 'bench', dl: 5, manual: false, coveredBy: null })), [], now);
    t0 = performance.now();
    const restored = BlockManager.fromJSON(json, opts);
    await restored.reconcile();
    const restoreMs = performance.now() - t0;

    const latencyFull = await latencies(restored, run, samples, 101);
    const overhead: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t = performance.now();
      await run('true', []);
      overhead.push(performance.now() - t);
    }
    return {
      count,
      loadMs,
      loadRunsMs,
      loadCpuSec: Number(loadCpuSec.toFixed(2)),
      loaded,
      restoreMs: Number(restoreMs.toFixed(1)),
      latencyFullMs: stats(latencyFull),
      latencyEmptyMs: stats(latencyEmpty),
      netnsExecMs: stats(overhead),
      samples,
    };
  } finally {
    await exec('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const count = Number(process.argv[2] ?? 100_000);
  runBlockBench(`blkbench${process.pid}`, count).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`block-bench: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
