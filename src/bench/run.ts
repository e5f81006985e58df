/**
 * `npm run bench [-- --lines N] [--runs N] [--json]`: end-to-end throughput
 * and memory of `tsad analyze`, next to the floor (`wc -l` and `grep -c SRC=`
 * on the same file in the same run), on two generated logs:
 *   1. mixed: the deterministic kern.log (scans, sweeps, background drops from
 *      ~150,000 IPv4 and IPv6 sources, other programs' lines);
 *   2. distinct: every line a single SYN from a source never seen before
 *      (an address-hopping flood; 1 in 10 IPv6).
 * Every figure is a whole process, spawned as a user runs it, its stdout read
 * through a pipe: wall seconds, lines/s, MB/s, CPU seconds and peak RSS
 * (the child's own getrusage maxRSS for tsad; /proc VmHWM for wc and grep).
 * Each command runs --runs times (default 3) and the fastest run is printed,
 * so a busy machine skews the figures less; the load average is printed too.
 * Then the daemon under the distinct log as a spoofed flood (flood-bench.ts:
 * peak RSS within MEMORY_BUDGET, evictions, the scanner still seen, a save
 * and a restart), and one in-process stage figure (read + split + parse). A
 * benchmark, not a test: it asserts nothing.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createParseContext, parseBytes } from '../parse/index.js';
import { readLineBytes } from '../sources/index.js';
import { generateDistinctLog, generateLog } from './generate-log.js';
import { vmHwm } from './bench-daemon.js';
import { daemonFlood } from './flood-bench.js';
import { htmlBench } from './html-bench.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cli = join(root, 'dist', 'cli', 'main.js');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

interface Input {
  name: string;
  file: string;
  lines: number;
  mb: number;
  sha: string;
}

interface Measure {
  input: string;
  command: string;
  ok: boolean;
  error?: string;
  seconds: number;
  cpuSeconds: number;
  peakRssMb: number;
  outputMb: number;
}

/** Generates the input once (the generators are deterministic: a cached file is the same bytes). */
async function input(name: string, file: string, lines: number, make: (path: string) => Promise<number>): Promise<Input> {
  if (!existsSync(file)) {
    process.stderr.write(`generating ${name} (${fmt(lines)} lines) -> ${file}\n`);
    await make(`${file}.tmp`);
    renameSync(`${file}.tmp`, file);
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return { name, file, lines, mb: statSync(file).size / 1e6, sha: hash.digest('hex').slice(0, 12) };
}

/** utime + stime of a running process, in seconds (USER_HZ 100). */
function cpuOf(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * Runs one command to completion. Node children load rss-reporter, which
 * prints their own maxRSS and CPU time at exit; other programs are sampled
 * from /proc every 20 ms (VmHWM only grows, so the last sample is close).
 */
async function measure(inputName: string, label: string, argv: string[], node: boolean): Promise<Measure> {
  const [cmd, args] = node ? [process.execPath, ['--import', join(here, 'rss-reporter.js'), ...argv]] : [argv[0] as string, argv.slice(1)];
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = 0;
  let err = '';
  let hwm = 0;
  let cpu = 0;
  const sample = setInterval(() => {
    hwm = Math.max(hwm, vmHwm(child.pid as number));
    cpu = Math.max(cpu, cpuOf(child.pid as number));
  }, 20);
  child.stdout.on('data', (d: Buffer) => {
    out += d.length;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-4096);
  });
  const code = await new Promise<number | null>((res) => child.once('close', (c, signal) => res(signal === null ? c : null)));
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sample);
  const rss = /TSAD_BENCH_MAXRSS_KB=(\d+)/.exec(err);
  const cpuLine = /TSAD_BENCH_CPU_S=([\d.]+)/.exec(err);
  const ok = code === 0 || (!node && code === 1); // grep -c exits 1 when it counts 0
  return {
    input: inputName,
    command: label,
    ok,
    ...(ok ? {} : { error: `exit ${code ?? 'by signal'}: ${err.replace(/\nTSAD_BENCH_\w+=[\d.]+/g, '').trim().split('\n').slice(-2).join(' | ')}` }),
    seconds,
    cpuSeconds: cpuLine ? Number(cpuLine[1]) : cpu,
    peakRssMb: (rss ? Number(rss[1]) : hwm) / 1024,
    outputMb: out / 1e6,
  };
}

/** The fastest of `runs` runs, with the highest peak RSS of them all (a failed run is reported at once). */
async function best(runs: number, run: () => Promise<Measure>): Promise<Measure> {
  const all: Measure[] = [];
  for (let i = 0; i < runs; i++) {
    const m = await run();
    if (!m.ok) return m;
    all.push(m);
  }
  const fastest = all.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  return { ...fastest, peakRssMb: Math.max(...all.map((m) => m.peakRssMb)) };
}

/** The in-process stage figure: reading, splitting and parsing alone. */
async function parseOnly(file: string): Promise<{ seconds: number; packets: number }> {
  const ctx = createParseContext({ refTime: Date.UTC(2026, 11, 1) });
  let packets = 0;
  const t0 = performance.now();
  await readLineBytes(createReadStream(file, { highWaterMark: 1 << 20 }), {
    bytes(b, start, end, ascii) {
      const r = parseBytes(b, start, end, ctx, ascii);
      if (r !== null && typeof r === 'object') packets++;
    },
    tooLong() {},
  }, 8192);
  return { seconds: (performance.now() - t0) / 1000, packets };
}

/** `tsad analyze --json FILE` into `to` (the input of the HTML figure). */
async function saveJsonReport(file: string, to: string): Promise<void> {
  const child = spawn(process.execPath, [cli, 'analyze', '--json', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const code = new Promise<number | null>((res) => child.once('close', (c) => res(c)));
  await pipeline(child.stdout, createWriteStream(to));
  if ((await code) !== 0) throw new Error(`analyze --json ${file} failed (exit ${(await code) ?? 'by signal'})`);
}

async function main(): Promise<void> {
  const lines = arg('--lines', 1_000_000);
  const runs = Math.max(1, arg('--runs', 3));
  const dir = join(root, 'bench', 'out');
  mkdirSync(dir, { recursive: true });
  // The generator's version is in the name: a changed generator never reuses an old file.
  const inputs = [
    await input('mixed', join(dir, `mixed-v1-${lines}.log`), lines, (p) => generateLog(p, { lines, sources: 50_000 })),
    await input('distinct', join(dir, `distinct-v1-${lines}.log`), lines, (p) => generateDistinctLog(p, { lines })),
  ];
  const load0 = loadavg()[0] as number;
  const results: Measure[] = [];
  const table: string[] = [];
  const row = (cells: string[]): void => {
    table.push(`| ${cells.join(' | ')} |`);
    if (!process.argv.includes('--json')) process.stdout.write(`${table[table.length - 1]}\n`);
  };
  if (!process.argv.includes('--json')) {
    process.stdout.write(`tsad bench: node ${process.version}, ${availableParallelism()} cores, fastest of ${runs} run(s), load average ${load0.toFixed(2)} at start\n`);
    for (const i of inputs) process.stdout.write(`  ${i.name}: ${i.file}: ${fmt(i.lines)} lines, ${i.mb.toFixed(1)} MB, sha256 ${i.sha}...\n`);
    process.stdout.write('\n');
  }
  row(['input', 'command', 'seconds', 'lines/s', 'MB/s', 'CPU s', 'peak RSS MB', 'output MB', 'x wc -l', 'x grep -c']);
  row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']);
  for (const i of inputs) {
    const wc = await best(runs, () => measure(i.name, 'wc -l', ['wc', '-l', i.file], false));
    const grep = await best(runs, () => measure(i.name, 'grep -c SRC=', ['grep', '-c', 'SRC=', i.file], false));
    const analyze = [
      await best(runs, () => measure(i.name, 'tsad analyze --json', [cli, 'analyze', '--json', i.file], true)),
      await best(runs, () => measure(i.name, 'tsad analyze --json --threads 2', [cli, 'analyze', '--json', '--threads', '2', i.file], true)),
      await best(runs, () => measure(i.name, 'tsad analyze (text)', [cli, 'analyze', i.file], true)),
    ];
    for (const m of [wc, grep, ...analyze]) {
      results.push(m);
      const floor = m === wc || m === grep ? ['', ''] : [`${(m.seconds / wc.seconds).toFixed(0)}x`, `${(m.seconds / grep.seconds).toFixed(0)}x`];
      if (!m.ok) row([i.name, m.command, `failed after ${m.seconds.toFixed(1)} s`, '', '', m.cpuSeconds.toFixed(1), m.peakRssMb.toFixed(0), '', '', m.error ?? '']);
      else row([i.name, m.command, m.seconds.toFixed(2), fmt(i.lines / m.seconds), (i.mb / m.seconds).toFixed(1), m.cpuSeconds.toFixed(2), m.peakRssMb.toFixed(0), m.outputMb.toFixed(1), ...floor]);
    }
  }
  const flood = await daemonFlood((inputs[1] as Input).file);
  const stage = await parseOnly((inputs[0] as Input).file);
  const reportFile = join(dir, `report-mixed-${lines}.json`);
  await saveJsonReport((inputs[0] as Input).file, reportFile);
  const html = await htmlBench(reportFile);
  const load1 = loadavg()[0] as number;
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify({ node: process.version, cores: availableParallelism(), runs, loadAverage: [load0, load1], inputs, results, daemonFlood: { input: 'distinct', ...flood }, parseOnly: { input: 'mixed', ...stage }, html: { input: 'mixed', ...html } }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`\ndaemon under a spoofed flood (distinct, a scanner's probe every 1000 lines, default MEMORY_BUDGET): ${fmt(flood.lines)} lines read in ${flood.seconds.toFixed(1)} s (${fmt(flood.lines / flood.seconds)} lines/s), peak RSS ${flood.peakRssMb.toFixed(0)} MB (${flood.peakRssAllMb.toFixed(0)} MB with the save and restart), tracking ${fmt(flood.tracked)} (limit ${fmt(flood.limit)}), ${fmt(flood.evicted)} evicted, scanner at DL ${flood.scannerDl}; a save ${flood.saveSeconds.toFixed(1)} s (${flood.stateFileMb.toFixed(0)} MB; RSS ${flood.rssBeforeSaveMb.toFixed(0)} MB before, peak ${flood.savePeakRssMb.toFixed(0)} MB during it; the event loop waited at most ${flood.saveMaxLoopDelayMs.toFixed(0)} ms), a restart restoring ${fmt(flood.restoredSources)} sources ${flood.restartSeconds.toFixed(1)} s (peak RSS ${flood.restorePeakRssMb.toFixed(0)} MB)\n`);
  process.stdout.write(`stage, in process (mixed): read + split + parse: ${fmt(lines / stage.seconds)} lines/s, ${((inputs[0] as Input).mb / stage.seconds).toFixed(1)} MB/s, ${stage.seconds.toFixed(2)} s, ${fmt(stage.packets)} packets\n`);
  process.stdout.write(`HTML report (charts and page from the mixed log's JSON report, ${fmt(html.sources)} sources): ${html.seconds.toFixed(2)} s, ${(html.bytes / 1e6).toFixed(2)} MB\n`);
  process.stdout.write(`load average ${load1.toFixed(2)} at the end (other work on the machine lengthens wall times; CPU s is less affected)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
