/**
 * `npm run bench` (after run.ts): the wall-clock figures that tests must not
 * assert, because a loaded machine would fail them. Each line is a
 * measurement of work whose correctness a test checks:
 *   - state snapshot of 100,000 tracked sources (export + JSON, JSON + import:
 *     the daemon takes it synchronously between two lines);
 *   - signature matching, ns per packet at 200 and 10,000 rules;
 *   - GeoIP lookups, uncached and cached;
 *   - a 1,000,000-entry reputation feed: load, reload from its saved copy, match;
 *   - blocking on the real nftables in a namespace (root only): loading 100,000
 *     blocks, restoring them, and block() latency; a daemon restart with
 *     1,000,000 saved blocks (nftables and ipset), stage by stage.
 * Asserts nothing. `--quick` leaves out the feed and the nftables parts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, defaultConfig, parseConfigText } from '../config/load.js';
import { ScanTracker } from '../detect/index.js';
import { GeoLookup } from '../enrich/geoip.js';
import { FeedSet } from '../enrich/feed-set.js';
import { formatIPv4 } from '../net/address.js';
import { runBlockBench } from './block-bench.js';
import { benchSignatures } from './signatures-bench.js';
import { stateBenchTracker } from './state-bench.js';

const out = (s: string): void => void process.stdout.write(`${s}\n`);
const ms = (x: number): string => `${x.toFixed(0)} ms`;

function stateSnapshot(): void {
  const cfg = defaultConfig();
  const t = stateBenchTracker(cfg);
  const a = performance.now();
  const text = JSON.stringify(t.exportState());
  const b = performance.now();
  new ScanTracker(cfg).importState(JSON.parse(text) as unknown);
  const c = performance.now();
  out(`state snapshot, ${t.size} sources: export + JSON ${ms(b - a)}, JSON + import ${ms(c - b)}, ${(text.length / 1e6).toFixed(1)} MB`);
}

function signatures(): void {
  for (const row of benchSignatures([200, 10_000], 100_000, 3)) out(`signatures, ${row.rules} rules: ${row.nsPerPacket.toFixed(0)} ns/packet`);
}

async function geoip(): Promise<void> {
  const geo = await GeoLookup.open(defaultConfig());
  const addrs: string[] = [];
  for (let i = 0; i < 20_000; i++) addrs.push(`${(i % 200) + 11}.${(i * 7) % 256}.${(i * 13) % 256}.${i % 256}`);
  const fresh = new Set(addrs).size;
  let t = process.hrtime.bigint();
  for (const x of addrs) geo.lookup(x);
  const miss = Number(process.hrtime.bigint() - t) / fresh;
  t = process.hrtime.bigint();
  for (const x of addrs) geo.lookup(x);
  const hit = Number(process.hrtime.bigint() - t) / addrs.length;
  out(`GeoIP (embedded db): uncached lookup ${miss.toFixed(0)} ns, cached ${hit.toFixed(0)} ns`);
}

async function feed(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tsad-bench-feed-'));
  try {
    const lines: string[] = [];
    let x = 2463534242;
    for (let i = 0; i < 1_000_000; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const r = x >>> 0;
      lines.push(i % 20 === 18 ? `2001:db8:${(r >>> 16).toString(16)}:${(r & 0xffff).toString(16)}::/64` : i % 20 === 17 ? `${formatIPv4(r & 0xffffff00)}/24` : formatIPv4(r));
    }
    writeFileSync(join(dir, 'huge.txt'), `${lines.join('\n')}\n`);
    const cfg = buildConfig(parseConfigText(`REPUTATION_FEEDS_DIR ${dir};\nREPUTATION_FEED name=huge source=huge.txt;\n`, 'bench'), 'bench');
    let t = performance.now();
    const set = await FeedSet.load(cfg);
    const load = performance.now() - t;
    t = performance.now();
    await FeedSet.load(cfg);
    const reload = performance.now() - t;
    const probes = lines.slice(0, 100_000).map((l) => l.split('/')[0] as string);
    const h = process.hrtime.bigint();
    for (const a of probes) set.match(a);
    const perMatch = Number(process.hrtime.bigint() - h) / probes.length;
    out(`reputation feed, ${set.list()[0]?.entries ?? 0} entries: load ${ms(load)}, reload ${ms(reload)}, match ${perMatch.toFixed(0)} ns`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function blocking(): Promise<void> {
  if (process.getuid?.() !== 0) {
    out('nftables blocking: skipped (needs root for a network namespace)');
    return;
  }
  const r = await runBlockBench(`tsadbench${process.pid}`);
  out(`nftables blocking: ${r.loaded} blocks loaded in ${ms(r.loadMs)} (runs ${r.loadRunsMs.join(', ')} ms), restored in ${ms(r.restoreMs)}; block() latency median ${r.latencyEmptyMs.median} ms empty, ${r.latencyFullMs.median} ms full (max ${r.latencyFullMs.max} ms; starting a command in the namespace costs ${r.netnsExecMs.median} ms)`);
  // The restart target of issue 19: a million saved blocks back in the kernel.
  for (const backend of ['nftables', 'ipset'] as const) {
    const m = await runBlockBench(`tsadbench${process.pid}`, { count: 1_000_000, samples: 3, loadRuns: 1, backend });
    const st = m.restart;
    out(`${backend}, daemon restart with 1,000,000 saved blocks: ${ms(st.totalMs)} (blocks.json ${st.fileMB} MB read + parsed ${ms(st.readParseMs)}, every line read and handed to ${backend} ${ms(st.fromJsonMs)}, then its commit ${ms(st.reconcileMs)}; CPU ${st.cpuSec.tsad} s tsad + ${st.cpuSec.tool} s ${backend}); load average ${m.loadAverage}`);
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  stateSnapshot();
  signatures();
  await geoip();
  if (quick) return;
  await feed();
  await blocking();
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${String(err)}\n`);
  process.exitCode = 1;
});
