/**
 * `node dist/bench/latency-bench.js [--rate 10000] [--seconds 20] [--probes 50] [--idle 10] [--json] [--cpu-prof DIR]`
 *
 * How long from a line written to the log file until the daemon has raised
 * the source's danger level, under background traffic. The daemon runs in
 * its own process on a file source (inotify-driven); this process writes
 * `--rate` background lines per second in small batches, and `--probes`
 * times per second one probe line from a new IPv6 source whose first packet
 * matches an anomaly signature (a TCP packet without flags: "SCAN NULL"),
 * so that line alone raises the level 0 -> 1. (The nmap SYN window is a
 * label since signature roles came in and raises nothing on its own.) The clock starts just before the probe's write() and stops
 * when the daemon's "danger level 0 -> 1" log line for that source arrives
 * here: parse, signatures, detection, the level-change hooks and the log
 * pipe are all inside the figure. Then the writing stops and the daemon's
 * CPU time over `--idle` seconds is taken from /proc (idle CPU).
 *
 * To say where the tail comes from, the daemon's start script (not the
 * daemon) reports each state snapshot it takes and every stall of its event
 * loop over 10 ms, with this process's clock; this process measures its own
 * loop too (a stalled measurer would inflate every figure). Probes in flight
 * while a snapshot was taken are counted, and the percentiles of the others
 * printed next to the whole.
 * `--cpu-prof DIR` writes the daemon's CPU profile there (node --cpu-prof),
 * to see what holds its loop under the load.
 * A benchmark, not a test: it asserts nothing.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDaemonDir } from './bench-daemon.js';

const here = dirname(fileURLToPath(import.meta.url));
const distDaemon = join(here, '..', 'daemon', 'daemon.js');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ 100)
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

function backgroundLine(i: number, iso: string): string {
  return `${iso} fw1 kernel: DROP IN=eth0 OUT= MAC=52:54:00:7c:a0:14:52:54:00:7c:a0:0a:08:00 SRC=198.51.100.${(i % 250) + 1} DST=203.0.113.${(i % 200) + 1} LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=${i & 0xffff} DF PROTO=TCP SPT=${30000 + (i % 30000)} DPT=${(i * 7) % 65536} WINDOW=29200 RES=0x00 SYN URGP=0 \n`;
}

function probeLine(k: number, iso: string): string {
  return `${iso} fw1 kernel: DROP IN=eth0 OUT= MAC=52:54:00:7c:a0:14:52:54:00:7c:a0:0a:86:dd SRC=2001:db8:${(k >> 16).toString(16)}:${(k & 0xffff).toString(16)}::7 DST=2001:db8::1 LEN=44 TC=0 HOPLIMIT=45 FLOWLBL=0 PROTO=TCP SPT=54321 DPT=${1000 + (k % 1000)} WINDOW=1024 RES=0x00 URGP=0 \n`;
}

function probeKey(k: number): string {
  return `2001:db8:${(k >> 16).toString(16)}:${(k & 0xffff).toString(16)}::/64`;
}

async function main(): Promise<void> {
  const rate = arg('--rate', 10_000);
  const seconds = arg('--seconds', 20);
  const probesPerSec = arg('--probes', 50);
  const idleSec = arg('--idle', 10);
  const { dir, log, conf } = benchDaemonDir('tsad-latency-', ['STATE_SAVE_INTERVAL 30;']);
  // Instrumentation in the start script only: snapshot() is the daemon's public snapshot (the
  // saver calls it for every save; the time to the next setImmediate covers taking it and
  // serialising it, which follows in a microtask); an unref'd 5 ms timer notes loop stalls.
  const script = `const { Daemon } = await import(${JSON.stringify(distDaemon)});
const d = await Daemon.start({ configPath: ${JSON.stringify(conf)}, sources: [${JSON.stringify(`file:${log}`)}], stateDir: ${JSON.stringify(join(dir, 'state'))}, socket: ${JSON.stringify(join(dir, 'tsad.sock'))}, version: 'bench' });
const clock = () => performance.timeOrigin + performance.now();
const snapshot = d.snapshot.bind(d);
d.snapshot = () => { const t = clock(); const s = snapshot(); setImmediate(() => process.stderr.write('BENCH_SNAPSHOT ' + t + ' ' + (clock() - t) + '\\n')); return s; };
let last = performance.now();
setInterval(() => { const n = performance.now(); if (n - last > 15) process.stderr.write('BENCH_STALL ' + (clock() - (n - last - 5)) + ' ' + (n - last - 5) + '\\n'); last = n; }, 5).unref();
process.stderr.write('READY\\n');
await d.finished;`;
  const profDir = process.argv.includes('--cpu-prof') ? process.argv[process.argv.indexOf('--cpu-prof') + 1] : undefined;
  const prof = profDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir];
  const child = spawn(process.execPath, [...prof, '--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  const written = new Map<string, number>();
  const latencies: number[] = [];
  /** [written, seen] of each probe. */
  const spans: Array<[number, number]> = [];
  const snapshots: Array<{ at: number; ms: number }> = [];
  const stalls: number[] = [];
  let ready: () => void = () => undefined;
  const started = new Promise<void>((r) => (ready = r));
  let buf = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    const t = now();
    buf += d;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === 'READY') ready();
      const m = / tsad: (\S+): danger level 0 -> /.exec(line);
      const t0 = m ? written.get(m[1] as string) : undefined;
      if (t0 !== undefined) {
        latencies.push(t - t0);
        spans.push([t0, t]);
      }
      const snap = /^BENCH_SNAPSHOT ([\d.]+) ([\d.]+)$/.exec(line);
      if (snap) snapshots.push({ at: Number(snap[1]), ms: Number(snap[2]) });
      const stall = /^BENCH_STALL ([\d.]+) ([\d.]+)$/.exec(line);
      if (stall) stalls.push(Number(stall[2]));
      nl = buf.indexOf('\n');
    }
  });
  const ownLoop = monitorEventLoopDelay({ resolution: 1 });
  await started;
  await sleep(500);

  ownLoop.enable();
  const fd = openSync(log, 'a');
  const tickMs = 5;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const probeEvery = Math.max(1, Math.round(1000 / probesPerSec / tickMs));
  let i = 0;
  let k = 1;
  let ticks = 0;
  const cpu0 = cpuSeconds(child.pid as number);
  const t0 = now();
  while (now() - t0 < seconds * 1000) {
    const iso = new Date().toISOString();
    let chunk = '';
    for (let n = 0; n < perTick; n++) chunk += backgroundLine(i++, iso);
    writeSync(fd, chunk);
    if (++ticks % probeEvery === 0) {
      const key = probeKey(k);
      const text = probeLine(k++, iso);
      written.set(key, now());
      writeSync(fd, text);
    }
    // Keep the average rate: sleep to the next tick boundary.
    const next = t0 + ticks * tickMs;
    await sleep(Math.max(0, next - now()));
  }
  const busySec = (now() - t0) / 1000;
  const tEnd = now();
  ownLoop.disable();
  const cpuBusy = cpuSeconds(child.pid as number) - cpu0;
  closeSync(fd);
  await sleep(2000);
  const cpu1 = cpuSeconds(child.pid as number);
  await sleep(idleSec * 1000);
  const cpuIdle = cpuSeconds(child.pid as number) - cpu1;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('close', r));
  rmSync(dir, { recursive: true, force: true });

  const percentiles = (xs: number[]): { p50: number; p90: number; p95: number; p99: number; max: number } => {
    const sorted = [...xs].sort((a, b) => a - b);
    return { p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
  };
  // A probe met a snapshot when one was taken between its write and its level change.
  const during = snapshots.filter((x) => x.at >= t0 && x.at <= tEnd);
  const met = (span: [number, number]): boolean => during.some((x) => x.at <= span[1] && x.at + x.ms >= span[0]);
  const clear = spans.filter((sp) => !met(sp)).map(([a, b]) => b - a);
  const result = {
    backgroundLinesPerSec: Math.round(i / busySec),
    probes: k - 1,
    levelChangesSeen: latencies.length,
    latencyMs: percentiles(latencies),
    /** The daemon's state snapshots while the lines were written (each level change asks for one within a second), and the longest time one held the event loop (taking and serialising it). */
    snapshots: { count: during.length, maxMs: Math.max(0, ...during.map((x) => x.ms)) },
    /** Probes in flight while a snapshot was taken, and the latency of all the others. */
    probesMeetingSnapshot: spans.length - clear.length,
    latencyOthersMs: percentiles(clear),
    /** Stalls of the daemon's event loop over 10 ms (its own work, garbage collection, or no CPU for it). */
    daemonStalls: { count: stalls.length, maxMs: Math.max(0, ...stalls), totalMs: stalls.reduce((a, b) => a + b, 0) },
    /** This process's own event-loop delay: the measurement is only as good as this. */
    measurerLoopDelayMs: { p99: ownLoop.percentile(99) / 1e6, max: ownLoop.max / 1e6 },
    cpuUnderLoadPercent: (100 * cpuBusy) / busySec,
    idleCpuPercent: (100 * cpuIdle) / idleSec,
    /** Other load on the machine skews the tail: the 1-minute load average at the end, and the core count. */
    loadAverage: Number(loadavg()[0]?.toFixed(2)),
    cores: availableParallelism(),
  };
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const f = (x: number): string => x.toFixed(2);
  process.stdout.write([
    `background: ${result.backgroundLinesPerSec} lines/s for ${f(busySec)} s; probes: ${result.probes}, level changes seen: ${result.levelChangesSeen}`,
    `line written -> level change: p50 ${f(result.latencyMs.p50)} ms, p90 ${f(result.latencyMs.p90)} ms, p95 ${f(result.latencyMs.p95)} ms, p99 ${f(result.latencyMs.p99)} ms, max ${f(result.latencyMs.max)} ms`,
    `state snapshots during the run: ${result.snapshots.count} (longest held the loop ${f(result.snapshots.maxMs)} ms); ${result.probesMeetingSnapshot} probes met one; the other ${clear.length}: p50 ${f(result.latencyOthersMs.p50)} ms, p99 ${f(result.latencyOthersMs.p99)} ms, max ${f(result.latencyOthersMs.max)} ms`,
    `daemon event loop stalls over 10 ms: ${result.daemonStalls.count}, longest ${f(result.daemonStalls.maxMs)} ms, ${f(result.daemonStalls.totalMs)} ms in all; measuring process loop delay p99 ${f(result.measurerLoopDelayMs.p99)} ms, max ${f(result.measurerLoopDelayMs.max)} ms`,
    `daemon CPU: ${f(result.cpuUnderLoadPercent)}% of one core under load, ${f(result.idleCpuPercent)}% idle (over ${idleSec} s)`,
    `machine: ${result.cores} cores, load average ${result.loadAverage} (other work on the machine lengthens the tail)`,
    '',
  ].join('\n'));
}

main().catch((err: unknown) => {
  process.stderr.write(`latency-bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
