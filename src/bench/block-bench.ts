/**
 * Blocking speed, measured on the real firewall in a throw-away network
 * namespace (never the host's):
 *   - loading COUNT blocks into the sets in one transaction (`sync`);
 *   - a daemon restart's whole path: blocks.json as the daemon writes it
 *     (one block per line) from records made in random address order, read, then BlockManager.restore(), which parses
 *     and checks each line and hands each block to nft as it goes (nft
 *     parses alongside, one transaction committed after the last line): the
 *     time to the last line (`fromJsonMs`) and from there to the commit
 *     (`reconcileMs`), with the CPU seconds of this process and of the tool;
 *   - the time from BlockManager.block() being called to the element being in
 *     the kernel (block() resolves when the tool has committed).
 * The elements are then checked in the kernel: all of them by listing the
 * sets up to 200,000 blocks (ipset: always; nftables above that only with
 * --count-all, as listing an interval set of a million takes the kernel
 * minutes), and a sample looked up by address (a few at a million: nft
 * walks the whole set for each lookup; --skip-lookups leaves them out, as at a
 * million they take minutes of kernel time). Needs root.
 *
 *   node dist/bench/block-bench.js [COUNT] [--backend nftables|ipset] [--load-runs N] [--count-all] [--skip-lookups]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { IpsetBackend, IPSET_NAMES } from '../actions/block/backends/ipset.js';
import { NftablesBackend } from '../actions/block/backends/nftables.js';
import { readSavedBlocks } from '../actions/block/direct.js';
import { BlockManager } from '../actions/block/manager.js';
import { policyFromConfig } from '../actions/block/policy.js';
import { blockLinesText } from '../actions/block/saved-lines.js';
import { backendContext, netnsRunner } from '../actions/block/runner.js';
import type { BlockBackend, BlockEntry, Family, Runner } from '../actions/block/types.js';
import { defaultConfig } from '../config/load.js';

const exec = promisify(execFile);

export type BenchBackend = 'nftables' | 'ipset';

export interface BlockBenchOptions {
  count?: number;
  /** block() calls timed with the sets empty and full. */
  samples?: number;
  /** Full loads timed (the sets emptied in between). */
  loadRuns?: number;
  backend?: BenchBackend;
  /** List every element to count them even above 200,000 (nftables: minutes of kernel time at a million). */
  countAll?: boolean;
  /** No lookups of a sample in the kernel after the restart (`sampled` is then 0 of 0). */
  skipLookups?: boolean;
  /** Told each result as soon as it is measured. */
  progress?: (msg: string) => void;
}

/** Wall milliseconds of one stage of the restart path. */
export interface RestartStages {
  /** blocks.json as the daemon writes it (one block per line, saved-lines.ts). */
  fileMB: number;
  /** Writing it from records in the order they were made (a save; not part of the restart). */
  writeMs: number;
  /** Reading blocks.json (readSavedBlocks, as the daemon does; its lines are parsed during the load). */
  readParseMs: number;
  /**
   * BlockManager.restore() up to its last line: every line parsed, checked
   * and stored, each block the firewall carries handed to the tool (nft parses it meanwhile).
   */
  fromJsonMs: number;
  /** From the last line until the tool has committed the load (its one transaction). */
  reconcileMs: number;
  totalMs: number;
  /** CPU seconds of this process (parse, records, script) and of the firewall tool (user + system) over the whole path. */
  cpuSec: { tsad: number; tool: number };
}

export interface BlockBenchResult {
  backend: BenchBackend;
  count: number;
  /** One transaction creating the firewall objects and loading every element (backend.sync): best of `loadRunsMs`. */
  loadMs: number;
  /** Every load measured (the sets emptied in between); the spread shows how busy the machine was. */
  loadRunsMs: number[];
  /** CPU seconds (user + system) the tool used for the best load. */
  loadCpuSec: number;
  /** A daemon restart with `count` saved blocks, stage by stage. */
  restart: RestartStages;
  /** restart.totalMs without the file: BlockManager.fromJSON + reconcile(). */
  restoreMs: number;
  /** Elements counted in the kernel after the restart; null when only a sample was checked. */
  loaded: number | null;
  /** Addresses looked up in the kernel after the restart, and how many were there. */
  sampled: { checked: number; found: number };
  /** block() latency with the sets full: median and worst of `samples` calls. */
  latencyFullMs: { median: number; max: number };
  /** block() latency with empty sets. */
  latencyEmptyMs: { median: number; max: number };
  /** Cost of starting any command in the namespace (`ip netns exec NS true`), included in the latencies above. */
  netnsExecMs: { median: number; max: number };
  samples: number;
  /** 1-minute load average when the bench ended (2 busy cores double every wall time). */
  loadAverage: number;
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

/** A copy of `xs` in a fixed pseudo-random order. */
function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  let seed = 12345;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** A Runner without a time limit (listing a set of a million can take the kernel minutes). */
const patientRunner: Runner = async (cmd, args) => exec(cmd, args, { maxBuffer: 1 << 30, encoding: 'utf8' });

/** The backend under test, and how to count and look up its elements. */
interface Subject {
  backend: BlockBackend;
  count(run: Runner): Promise<number>;
  /** Throws unless every address of `cidrs` (one family) is in the kernel set. */
  lookup(run: Runner, family: Family, cidrs: readonly string[]): Promise<void>;
}

function subject(kind: BenchBackend, run: Runner): Subject {
  const ctx = backendContext({ run });
  if (kind === 'ipset') {
    return {
      backend: new IpsetBackend(ctx),
      async count(r) {
        let n = 0;
        for (const fam of [4, 6] as const) n += Number(/Number of entries: (\d+)/.exec((await r('ipset', ['list', '-t', IPSET_NAMES[fam]])).stdout)?.[1] ?? 0);
        return n;
      },
      async lookup(r, fam, cidrs) {
        for (const c of cidrs) await r('ipset', ['test', IPSET_NAMES[fam], c]);
      },
    };
  }
  return {
    backend: new NftablesBackend(ctx),
    async count(r) {
      let n = 0;
      for (const set of ['block_v4', 'block_v6']) {
        const doc = JSON.parse((await r('nft', ['-j', 'list', 'set', 'inet', 'tsad', set])).stdout) as { nftables: Array<{ set?: { elem?: unknown[] } }> };
        n += doc.nftables.find((x) => x.set)?.set?.elem?.length ?? 0;
      }
      return n;
    },
    async lookup(r, fam, cidrs) {
      // One command for the lot: `get element` fails when any of them is missing.
      if (cidrs.length > 0) await r('nft', ['get', 'element', 'inet', 'tsad', fam === 4 ? 'block_v4' : 'block_v6', `{ ${cidrs.join(', ')} }`]);
    },
  };
}

/** Up to `n` addresses of family `fam` spread evenly over `entries` (a prefix by its first address). */
function sample(entries: readonly BlockEntry[], fam: Family, n: number): string[] {
  const mine = entries.filter((e) => e.family === fam);
  const step = Math.max(1, Math.floor(mine.length / n));
  const out: string[] = [];
  for (let i = 0; i < mine.length && out.length < n; i += step) out.push((mine[i] as BlockEntry).cidr.split('/')[0] as string);
  return out;
}

/** CPU seconds used by waited-for child processes so far (cutime + cstime of /proc/self/stat, in 1/100 s). */
function childCpu(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(')').pop()?.trim().split(' ') ?? [];
  return (Number(f[13]) + Number(f[14])) / 100;
}

function ownCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function stats(xs: number[]): { median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: Number((s[Math.floor(s.length / 2)] ?? 0).toFixed(1)), max: Number((s[s.length - 1] ?? 0).toFixed(1)) };
}

const r1 = (x: number): number => Number(x.toFixed(1));
const r2 = (x: number): number => Number(x.toFixed(2));

async function latencies(m: BlockManager, s: Subject, run: Runner, samples: number, base: number, check = true): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const addr = `203.0.113.${base + i}`;
    const t0 = performance.now();
    await m.block(addr, { timeoutSec: 600 });
    out.push(performance.now() - t0);
    // Outside the timing: prove the element is in the kernel (where a lookup takes seconds, not minutes).
    if (check) await s.lookup(run, 4, [addr]);
  }
  return out;
}

/** Records in `at.ms` the moment `b`'s streamed loads are ended (the last line read); a backend that does not stream is left alone. */
function timeStreams(b: BlockBackend, at: { ms: number }): void {
  const open = b.syncStream?.bind(b);
  if (open === undefined) return;
  b.syncStream = () => {
    const s = open();
    return s === null ? null : { add: (c, f, t) => s.add(c, f, t), ready: () => s.ready(), abort: (why) => s.abort(why), end: () => ((at.ms = performance.now()), s.end()) };
  };
}

/** The daemon's restart path from a blocks.json of `entries`: read, then BlockManager.restore() (load and firewall together), each timed. */
async function restart(entries: readonly BlockEntry[], opts: ConstructorParameters<typeof BlockManager>[0]): Promise<{ stages: RestartStages; manager: BlockManager }> {
  const dir = mkdtempSync(join(tmpdir(), 'tsad-block-bench-'));
  try {
    const now = Date.now();
    const path = join(dir, 'blocks.json');
    // A daemon's records are in the order the blocks were made: random addresses, not counting up (the saver puts them in address order).
    const records = shuffled(entries).map((e) => ({ cidr: e.cidr, family: e.family, createdAt: now, expiresAt: now + e.timeoutSec * 1000, reason: 'danger level 3', dl: 3, manual: false, coveredBy: null }));
    const w0 = performance.now();
    writeFileSync(path, blockLinesText(records, [], now));
    const writeMs = performance.now() - w0;
    const fileMB = statSync(path).size / 1e6;
    const lastLine = { ms: 0 };
    for (const b of opts.backends) timeStreams(b, lastLine);
    const cpu0 = ownCpu();
    const child0 = childCpu();
    const t0 = performance.now();
    const data = readSavedBlocks(path);
    const t1 = performance.now();
    const { manager: m, ok } = await BlockManager.restore(data, opts);
    const t3 = performance.now();
    if (!ok) throw new Error('restore() failed');
    const t2 = lastLine.ms || t3;
    const stages = { fileMB: r1(fileMB), writeMs: r1(writeMs), readParseMs: r1(t1 - t0), fromJsonMs: r1(t2 - t1), reconcileMs: r1(t3 - t2), totalMs: r1(t3 - t0), cpuSec: { tsad: r2(ownCpu() - cpu0), tool: r2(childCpu() - child0) } };
    return { stages, manager: m };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the measurements in namespace `ns` (created and deleted here). */
export async function runBlockBench(ns: string, o: BlockBenchOptions = {}): Promise<BlockBenchResult> {
  const count = o.count ?? 100_000;
  const samples = o.samples ?? 20;
  const kind = o.backend ?? 'nftables';
  await exec('ip', ['netns', 'add', ns]);
  try {
    const run = netnsRunner(ns);
    const s = subject(kind, run);
    const entries = benchEntries(count);
    const opts = { backends: [s.backend], policy: policyFromConfig(defaultConfig()), guard: { check: () => null } };

    const empty = new BlockManager(opts);
    await empty.reconcile();
    const latencyEmpty = await latencies(empty, s, run, samples, 1);

    const loadRunsMs: number[] = [];
    let loadCpuSec = Number.POSITIVE_INFINITY;
    for (let i = 0; i < (o.loadRuns ?? 3); i++) {
      await s.backend.flush();
      const cpu0 = childCpu();
      const t = performance.now();
      await s.backend.sync(entries);
      loadRunsMs.push(r1(performance.now() - t));
      loadCpuSec = Math.min(loadCpuSec, childCpu() - cpu0);
      o.progress?.(`load ${i + 1}: ${loadRunsMs[i]} ms, ${r2(childCpu() - cpu0)} s CPU in ${kind}`);
    }

    // A restart finds the sets of the previous run in place and replaces them.
    const { stages, manager: restored } = await restart(entries, opts);
    // Printed before the kernel is checked (at a million, the lookups take minutes).
    o.progress?.(`restarted: ${JSON.stringify(stages)}`);
    const full = o.countAll === true || count <= 200_000 || kind === 'ipset';
    const loaded = full ? await s.count(netnsRunner(ns, patientRunner)) : null;
    // nft answers `get element` by walking the whole interval set in the kernel (a second at 100,000): a few addresses per family.
    let found = 0;
    let checked = 0;
    for (const fam of [4, 6] as const) {
      if (o.skipLookups === true) break;
      const mine = sample(entries, fam, kind === 'ipset' ? 50 : 10);
      checked += mine.length;
      await s.lookup(netnsRunner(ns, patientRunner), fam, mine);
      found += mine.length;
    }

    o.progress?.(`restart with ${count} saved blocks: ${JSON.stringify(stages)}; ${loaded ?? 'not counted'} in the kernel, ${found} of ${checked} looked up`);
    const latencyFull = await latencies(restored, s, run, samples, 101, full);
    const overhead: number[] = [];
    for (let i = 0; i < samples; i++) {
      const t = performance.now();
      await run('true', []);
      overhead.push(performance.now() - t);
    }
    return {
      backend: kind,
      count,
      loadMs: Math.min(...loadRunsMs),
      loadRunsMs,
      loadCpuSec: r2(loadCpuSec),
      restart: stages,
      restoreMs: r1(stages.fromJsonMs + stages.reconcileMs),
      loaded,
      sampled: { checked, found },
      latencyFullMs: stats(latencyFull),
      latencyEmptyMs: stats(latencyEmpty),
      netnsExecMs: stats(overhead),
      samples,
      loadAverage: r2(loadavg()[0] ?? 0),
    };
  } finally {
    await exec('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const backend = flag('--backend') ?? 'nftables';
  if (backend !== 'nftables' && backend !== 'ipset') throw new Error(`--backend: nftables or ipset, not "${backend}"`);
  const count = Number(argv.find((a, i) => /^\d+$/.test(a) && !(argv[i - 1] ?? '').startsWith('--')) ?? 100_000);
  runBlockBench(`blkbench${process.pid}`, { count, backend, loadRuns: Number(flag('--load-runs') ?? 3), countAll: argv.includes('--count-all'), skipLookups: argv.includes('--skip-lookups'), progress: (m) => process.stderr.write(`${m}\n`) }).then(
    (r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`),
    (err: unknown) => {
      process.stderr.write(`block-bench: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
