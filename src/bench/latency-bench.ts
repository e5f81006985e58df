/**
 * `node dist/bench/latency-bench.js [--rate 10000] [--seconds 20] [--start 3] [--probes 50] [--idle 10] [--busy N] [--node-flags "..."] [--cpu-weight N|unit] [--json] [--trace FILE] [--cpu-prof DIR]`
 *
 * How long from a line written to the log file until the daemon has raised
 * the source's danger level, under background traffic. The daemon runs in
 * its own process on a file source (inotify-driven; latency-daemon.ts starts
 * it); this process writes `--rate` background lines per second in small
 * batches, and `--probes` times per second one probe line from a new IPv6
 * source whose first packet matches an anomaly signature (a TCP packet
 * without flags: "SCAN NULL"), so that line alone raises the level 0 -> 1.
 * The clock starts just before the probe's write() and stops when the
 * daemon's "danger level 0 -> 1" log line for that source arrives here:
 * parse, signatures, detection, the level-change hooks and the log pipe are
 * all inside the figure. Then the writing stops and the daemon's CPU time
 * over `--idle` seconds is taken from /proc (idle CPU).
 *
 * The first `--start` seconds after the daemon began to read (code not yet
 * optimised, the background sources' first level changes) are reported on
 * their own; the figures are of the `--seconds` after them.
 *
 * `--busy N` makes the machine busy in a way that can be repeated: N
 * processes that only burn CPU (a loop each, normal priority, each in a
 * session of its own like any other program) run from 2 s before the writing
 * until it stops. The output says how busy the machine was meanwhile (CPU
 * use of all cores, runnable tasks, load average), since other work on it
 * adds to the figure too.
 *
 * The daemon's own part, write -> level change logged (by its clock), is
 * printed too: on a busy machine this process reads the log pipe late as well.
 *
 * To say where the tail comes from, each probe's time is split in stages
 * (write -> the follower's wake that read it began; that wake's start -> the
 * level change logged, with the lines it handled before the probe; logged ->
 * seen here), and the daemon's garbage collections, state snapshots and loop
 * stalls over 10 ms are listed with this process's clock (latency-daemon.ts),
 * as is the time its main thread waited for a CPU (/proc schedstat), and
 * what each save cost the loop by part (taking the snapshot; sources copied
 * in a line's turn because the writer had not reached them; the writer's
 * slices). The slowest 1% of the probes are printed one by one with what
 * overlapped them.
 * `--node-flags` passes flags to the daemon's node (heap sizing experiments),
 * `--cpu-weight N` gives the daemon the CPU weight a systemd unit's
 * CPUWeight=N gives its cgroup (100: every unit's default), `--cpu-weight
 * unit` the one etc/tsad.service sets (as installed): without systemd here,
 * as the nice value of its session's autogroup (weight 1024 / 1.25^nice,
 * the kernel's scale), which the scheduler weighs against the other sessions
 * as it weighs a cgroup against its siblings;
 * `--cpu-prof DIR` writes its CPU profile there; `--trace FILE` every probe's
 * times and every collection, snapshot and stall (JSON).
 * A benchmark, not a test: it asserts nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDaemonDir } from './bench-daemon.js';

const here = dirname(fileURLToPath(import.meta.url));

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function strArg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (USER_HZ 100)
}

/** The main thread's time on a CPU and waiting on a run queue (ms), and its time slices. */
function schedstat(pid: number): { run: number; wait: number; slices: number } {
  const [run, wait, slices] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
  return { run: (run ?? 0) / 1e6, wait: (wait ?? 0) / 1e6, slices: slices ?? 0 };
}

/** All cores' busy and total jiffies (/proc/stat "cpu" line). */
function machineCpu(): { busy: number; total: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
}

/** Runnable tasks on the machine now, this process (reading) not counted. */
function runnable(): number {
  const r = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[3]?.split('/')[0]);
  return Math.max(0, r - 1);
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

interface Percentiles {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

function percentiles(xs: readonly number[]): Percentiles {
  const sorted = [...xs].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN };
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

/** A probe's times (ms, wall clock): written here, the daemon's wake that read it, its level change logged there, seen here. */
interface Probe {
  written: number;
  turn?: number;
  logged?: number;
  before?: number;
  seen?: number;
}

/** Something in the daemon that held it: [start, end) ms. */
interface Span {
  at: number;
  ms: number;
  kind: string;
}

/** One save's work in the daemon's loop (BENCH_SAVE): taking the snapshot, copies of sources about to change, slices written. */
interface Save {
  /** When it ended (ms, wall clock). */
  at: number;
  taken: number;
  keeps: { count: number; totalMs: number; maxMs: number };
  slices: { count: number; totalMs: number; maxMs: number };
}

/** The unit's CPUWeight= (etc/tsad.service), or null when it sets none. */
function unitCpuWeight(): number | null {
  const m = /^CPUWeight=(\d+)\s*$/m.exec(readFileSync(join(here, '..', '..', 'etc', 'tsad.service'), 'utf8'));
  return m ? Number(m[1]) : null;
}

/** --cpu-weight: systemd's CPUWeight (100 the default) and the nice value of the same weight (1024 / 1.25^nice). */
function cpuWeight(v: string | undefined): { cpuWeight: number; nice: number } | null {
  if (v === undefined) return null;
  const w = v === 'unit' ? unitCpuWeight() : Number(v);
  if (w === null) return null;
  if (!Number.isInteger(w) || w < 1 || w > 10_000) throw new Error(`--cpu-weight: ${v} is not a weight of 1..10000`);
  return { cpuWeight: w, nice: Math.max(-20, Math.min(19, Math.round(-Math.log(w / 100) / Math.log(1.25)))) };
}

/** The follower's wakes, from latency-daemon.ts. */
interface Turns {
  count: number;
  lines: { p50: number; p99: number; max: number };
  ms: { p50: number; p99: number; max: number };
}

/** Burns CPU until killed, or until its parent is gone (a bench that died must not leave it spinning). */
const BURN = 'const p = process.ppid; for (;;) { for (let i = 0; i < 1e7; i++); if (process.ppid !== p) process.exit(0); }';

/** N processes that only burn CPU, each in its own session (setsid), at normal priority. */
function burners(n: number): ChildProcess[] {
  const all = Array.from({ length: n }, () => spawn(process.execPath, ['-e', BURN], { stdio: 'ignore', detached: true }));
  process.once('exit', () => {
    for (const b of all) b.kill('SIGKILL');
  });
  return all;
}

async function main(): Promise<void> {
  const rate = arg('--rate', 10_000);
  const seconds = arg('--seconds', 20);
  const startSec = arg('--start', 3);
  const probesPerSec = arg('--probes', 50);
  const idleSec = arg('--idle', 10);
  const busy = arg('--busy', 0);
  const nodeFlags = (strArg('--node-flags') ?? '').split(/\s+/).filter((x) => x !== '');
  const { dir, log, conf } = benchDaemonDir('tsad-latency-', ['STATE_SAVE_INTERVAL 30;']);
  const profDir = strArg('--cpu-prof');
  const prof = profDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profDir];
  const child = spawn(process.execPath, [...nodeFlags, ...prof, join(here, 'latency-daemon.js'), conf, log, join(dir, 'state'), join(dir, 'tsad.sock')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // A session of its own, as under systemd: the kernel's autogroups then share the CPU between it, this writer and any --busy process alike.
    detached: true,
  });
  const weight = cpuWeight(strArg('--cpu-weight'));
  if (weight !== null) writeFileSync(`/proc/${child.pid as number}/autogroup`, String(weight.nice));
  const probes = new Map<string, Probe>();
  const held: Span[] = [];
  const stalls: Span[] = [];
  const snapshots: Span[] = [];
  let turns = null as Turns | null;
  const saves: Save[] = [];
  let ready: () => void = () => undefined;
  const started = new Promise<void>((r) => (ready = r));
  let failed = '';
  let buf = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    const t = now();
    buf += d;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
      const [tag, a, b, c, e] = line.split(' ');
      if (tag === 'READY') ready();
      else if (tag === 'BENCH_LEVEL') {
        const p = probes.get(a as string);
        if (p) Object.assign(p, { logged: Number(b), turn: Number(c), before: Number(e) });
      } else if (tag === 'BENCH_SNAPSHOT') snapshots.push({ at: Number(a), ms: Number(b), kind: 'snapshot' });
      else if (tag === 'BENCH_GC') held.push({ at: Number(a), ms: Number(b), kind: c as string });
      else if (tag === 'BENCH_STALL') stalls.push({ at: Number(a), ms: Number(b), kind: 'stall' });
      else if (tag === 'BENCH_SAVE') {
        const [at, taken, keeps, keepMs, keepMax, slices, sliceMs, sliceMax] = line.split(' ').slice(1).map(Number) as number[];
        saves.push({ at: at ?? 0, taken: taken ?? 0, keeps: { count: keeps ?? 0, totalMs: keepMs ?? 0, maxMs: keepMax ?? 0 }, slices: { count: slices ?? 0, totalMs: sliceMs ?? 0, maxMs: sliceMax ?? 0 } });
      } else if (tag === 'BENCH_TURNS') turns = JSON.parse(line.slice(tag.length + 1)) as Turns;
      else {
        const m = / tsad: (\S+): danger level 0 -> /.exec(line);
        const p = m ? probes.get(m[1] as string) : undefined;
        if (p) p.seen = t;
        else if (/ tsad: error: |^\S*Error|^\s+at /.test(line)) failed += `${line}\n`;
      }
    }
  });
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  // In a session of its own it would outlive this process: stopped with it, whatever happens here.
  process.once('exit', () => child.kill('SIGTERM'));
  await Promise.race([started, exited.then((code) => Promise.reject(new Error(`the daemon exited (${code}) before it was ready:\n${failed}`)))]);
  const burning = burners(busy);
  await sleep(busy > 0 ? 2000 : 500);

  const ownLoop = monitorEventLoopDelay({ resolution: 1 });
  ownLoop.enable();
  const fd = openSync(log, 'a');
  const tickMs = 5;
  const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
  const probeEvery = Math.max(1, Math.round(1000 / probesPerSec / tickMs));
  let i = 0;
  let k = 1;
  let ticks = 0;
  let runq: number[] = [];
  const sampler = setInterval(() => runq.push(runnable()), 100);
  const t0 = now();
  const tSteady = t0 + startSec * 1000;
  let steady: { cpu: number; sched: ReturnType<typeof schedstat>; machine: ReturnType<typeof machineCpu>; lines: number } | null = null;
  while (now() - tSteady < seconds * 1000) {
    if (steady === null && now() >= tSteady) {
      // The steady part begins: the counters are taken from here.
      steady = { cpu: cpuSeconds(child.pid as number), sched: schedstat(child.pid as number), machine: machineCpu(), lines: i };
      runq = [];
      ownLoop.reset();
    }
    const iso = new Date().toISOString();
    let chunk = '';
    for (let n = 0; n < perTick; n++) chunk += backgroundLine(i++, iso);
    writeSync(fd, chunk);
    if (++ticks % probeEvery === 0) {
      const key = probeKey(k);
      const text = probeLine(k++, iso);
      probes.set(key, { written: now() });
      writeSync(fd, text);
    }
    // Keep the average rate: sleep to the next tick boundary.
    const next = t0 + ticks * tickMs;
    await sleep(Math.max(0, next - now()));
  }
  const { cpu: cpu0, sched: sched0, machine: machine0 } = steady ?? { cpu: cpuSeconds(child.pid as number), sched: schedstat(child.pid as number), machine: machineCpu(), lines: i };
  const busySec = (now() - tSteady) / 1000;
  const tEnd = now();
  ownLoop.disable();
  clearInterval(sampler);
  const cpuBusy = cpuSeconds(child.pid as number) - cpu0;
  const sched1 = schedstat(child.pid as number);
  const machine1 = machineCpu();
  const load = loadavg()[0] ?? 0;
  for (const b of burning) b.kill('SIGKILL');
  closeSync(fd);
  await sleep(2000);
  const cpu1 = cpuSeconds(child.pid as number);
  await sleep(idleSec * 1000);
  const cpuIdle = cpuSeconds(child.pid as number) - cpu1;
  child.kill('SIGTERM');
  await exited;
  rmSync(dir, { recursive: true, force: true });

  const all = [...probes.values()];
  const seenAtStart = all.filter((p) => p.written < tSteady && p.seen !== undefined).map((p) => (p.seen as number) - p.written);
  const startStalls = stalls.filter((x) => x.at + x.ms >= t0 && x.at < tSteady).map((x) => x.ms);
  const steadyProbes = all.filter((p) => p.written >= tSteady);
  const seen = steadyProbes.filter((p) => p.seen !== undefined);
  const latencies = seen.map((p) => (p.seen as number) - p.written);
  const inRun = (x: Span): boolean => x.at + x.ms >= tSteady && x.at <= tEnd;
  const overlapping = (xs: readonly Span[], p: Probe): Span[] => xs.filter((x) => x.at <= (p.seen as number) && x.at + x.ms >= p.written);
  const during = snapshots.filter(inRun);
  const clear = seen.filter((p) => overlapping(during, p).length === 0).map((p) => (p.seen as number) - p.written);
  const staged = seen.filter((p) => p.logged !== undefined && p.turn !== undefined);
  const gcs = held.filter(inRun);
  const gcBy = (kind: string): { count: number; totalMs: number; maxMs: number } => {
    const xs = gcs.filter((g) => g.kind === kind).map((g) => g.ms);
    return { count: xs.length, totalMs: xs.reduce((a, b) => a + b, 0), maxMs: Math.max(0, ...xs) };
  };
  const runStalls = stalls.filter(inRun).map((x) => x.ms);
  const slowest = [...seen].sort((a, b) => (b.seen as number) - b.written - ((a.seen as number) - a.written)).slice(0, Math.max(1, Math.ceil(seen.length / 100)));
  const machineBusy = (machine1.busy - machine0.busy) / Math.max(1, machine1.total - machine0.total);
  const result = {
    backgroundLinesPerSec: Math.round((i - (steady?.lines ?? 0)) / busySec),
    /** The first --start seconds after the daemon began to read: code not yet optimised, the background sources' first level changes. */
    start: { seconds: startSec, probes: seenAtStart.length, latencyMs: percentiles(seenAtStart), stalls: { count: startStalls.length, maxMs: Math.max(0, ...startStalls) } },
    /** From here on, the steady part: --seconds of it. */
    probes: steadyProbes.length,
    levelChangesSeen: latencies.length,
    latencyMs: percentiles(latencies),
    /** Each probe's time in stages: write -> the daemon's read turn began; that turn's start -> level change logged (lines before it in the turn); logged -> seen here. */
    /** Write -> the daemon logged the level change: the daemon's part, without this process's own delay in reading the log pipe. */
    toLoggedMs: percentiles(staged.map((p) => (p.logged as number) - p.written)),
    stagesMs: {
      toWake: percentiles(staged.map((p) => (p.turn as number) - p.written)),
      inTurn: percentiles(staged.map((p) => (p.logged as number) - (p.turn as number))),
      linesBefore: percentiles(staged.map((p) => p.before as number)),
      toMeasurer: percentiles(staged.map((p) => (p.seen as number) - (p.logged as number))),
    },
    /** The follower's wakes over the daemon's life (lines handed over per wake, and the wake's duration). */
    wakes: turns,
    /** Garbage collections while the lines were written. */
    gc: { minor: gcBy('minor'), major: gcBy('major'), incremental: gcBy('incremental'), weakcb: gcBy('weakcb') },
    /** The daemon's state snapshots while the lines were written (each level change asks for one, at most every 5 s), and the longest time one held the event loop (taking and serialising it). */
    snapshots: { count: during.length, maxMs: Math.max(0, ...during.map((x) => x.ms)) },
    /** Each save that ended while the lines were written: ms taking its snapshot held the loop; sources copied in a packet's turn because the writer had not reached them (keep), and the writer's slices (count, ms in all, longest). */
    saves: saves.filter((x) => x.at >= tSteady && x.at <= tEnd + 5000).map((x) => ({ takenMs: x.taken, keeps: x.keeps, slices: x.slices })),
    /** Probes in flight while a snapshot was taken, and the latency of all the others. */
    probesMeetingSnapshot: seen.length - clear.length,
    latencyOthersMs: percentiles(clear),
    /** Stalls of the daemon's event loop over 10 ms (its own work, garbage collection, or no CPU for it). */
    daemonStalls: { count: runStalls.length, maxMs: Math.max(0, ...runStalls), totalMs: runStalls.reduce((a, b) => a + b, 0) },
    /** The daemon's main thread over the run: on a CPU, and runnable but waiting for one (ms). */
    mainThread: { runMs: sched1.run - sched0.run, waitMs: sched1.wait - sched0.wait, slices: sched1.slices - sched0.slices },
    /** The slowest 1% of the probes, each with its stages and what overlapped it in the daemon. */
    slowest: slowest.map((p) => ({
      ms: (p.seen as number) - p.written,
      toWake: p.turn === undefined ? null : p.turn - p.written,
      inTurn: p.turn === undefined || p.logged === undefined ? null : p.logged - p.turn,
      linesBefore: p.before ?? null,
      toMeasurer: p.logged === undefined ? null : (p.seen as number) - p.logged,
      overlapping: overlapping([...gcs, ...during, ...stalls], p).map((x) => `${x.kind} ${x.ms.toFixed(1)}`),
    })),
    /** This process's own event-loop delay: the measurement is only as good as this. */
    measurerLoopDelayMs: { p99: ownLoop.percentile(99) / 1e6, max: ownLoop.max / 1e6 },
    cpuUnderLoadPercent: (100 * cpuBusy) / busySec,
    idleCpuPercent: (100 * cpuIdle) / idleSec,
    /** How busy the machine was while the lines were written: CPU-burning processes started by --busy, all cores' use, runnable tasks (average of 10 samples a second, this process not counted), 1-minute load average at the end. */
    machine: { busyProcesses: busy, cpuPercent: 100 * machineBusy, runnableAvg: runq.reduce((a, b) => a + b, 0) / Math.max(1, runq.length), loadAverage: Number(load.toFixed(2)), cores: availableParallelism() },
    daemonNodeFlags: nodeFlags,
    /** The daemon's CPU weight (--cpu-weight): systemd's CPUWeight, and the autogroup nice value that stood for it. */
    daemonCpuWeight: weight,
  };
  const trace = strArg('--trace');
  if (trace !== undefined) {
    // Every probe (ms since the writing began) and what held the daemon, for a closer look.
    const rel = (x: number | undefined): number | null => (x === undefined ? null : Number((x - t0).toFixed(3)));
    writeFileSync(trace, JSON.stringify({
      probes: [...probes.entries()].map(([key, p]) => ({ key, written: rel(p.written), turn: rel(p.turn), logged: rel(p.logged), seen: rel(p.seen), before: p.before ?? null })),
      held: [...held, ...snapshots, ...stalls].map((x) => ({ kind: x.kind, at: rel(x.at), ms: x.ms })),
    }));
  }
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const f = (x: number): string => x.toFixed(2);
  const pc = (p: Percentiles): string => `p50 ${f(p.p50)}, p99 ${f(p.p99)}, max ${f(p.max)}`;
  const g = (name: string, x: { count: number; totalMs: number; maxMs: number }): string => `${name} ${x.count} (${f(x.totalMs)} ms, longest ${f(x.maxMs)})`;
  const wakes = (w: Turns | null): string => (w === null ? '?' : `${w.count}, lines p50 ${w.lines.p50} / p99 ${w.lines.p99} / max ${w.lines.max}, ms p50 ${f(w.ms.p50)} / p99 ${f(w.ms.p99)} / max ${f(w.ms.max)}`);
  const m = result.machine;
  const s = result.stagesMs;
  process.stdout.write([
    `machine: ${m.cores} cores, ${m.busyProcesses} CPU-burning processes (--busy); over the run all cores ${m.cpuPercent.toFixed(0)}% busy, ${m.runnableAvg.toFixed(2)} runnable tasks on average, load average ${m.loadAverage} at the end`,
    `first ${startSec} s after start (not in the figures below): ${result.start.probes} probes, ${pc(result.start.latencyMs)} ms; loop stalls over 10 ms ${result.start.stalls.count}, longest ${f(result.start.stalls.maxMs)} ms`,
    `background: ${result.backgroundLinesPerSec} lines/s for ${f(busySec)} s; probes: ${result.probes}, level changes seen: ${result.levelChangesSeen}`,
    `line written -> level change: p50 ${f(result.latencyMs.p50)} ms, p90 ${f(result.latencyMs.p90)} ms, p95 ${f(result.latencyMs.p95)} ms, p99 ${f(result.latencyMs.p99)} ms, max ${f(result.latencyMs.max)} ms`,
    `  write -> level change logged by the daemon (without the log pipe and this process): ${pc(result.toLoggedMs)} ms`,
    `  stages (ms): write -> read turn begins ${pc(s.toWake)}; -> level change logged ${pc(s.inTurn)} (lines before it in the turn ${pc(s.linesBefore)}); -> seen here ${pc(s.toMeasurer)}`,
    `  follower wakes: ${wakes(turns)}`,
    `state snapshots during the run: ${result.snapshots.count} (longest held the loop ${f(result.snapshots.maxMs)} ms); ${result.probesMeetingSnapshot} probes met one; the other ${clear.length}: ${pc(result.latencyOthersMs)} ms`,
    `garbage collections during the run: ${g('minor', result.gc.minor)}, ${g('major', result.gc.major)}, ${g('incremental', result.gc.incremental)}`,
    `daemon event loop stalls over 10 ms: ${result.daemonStalls.count}, longest ${f(result.daemonStalls.maxMs)} ms, ${f(result.daemonStalls.totalMs)} ms in all; main thread on a CPU ${f(result.mainThread.runMs)} ms, waiting for one ${f(result.mainThread.waitMs)} ms (${result.mainThread.slices} slices)`,
    `saves ended during the run (taking the snapshot; copies of sources about to change, made in a line's turn; the writer's slices): ${result.saves.map((x) => `${f(x.takenMs)} ms; ${x.keeps.count} copies ${f(x.keeps.totalMs)} ms (longest ${f(x.keeps.maxMs)}); ${x.slices.count} slices ${f(x.slices.totalMs)} ms (longest ${f(x.slices.maxMs)})`).join(' | ')}`,
    `measuring process loop delay p99 ${f(result.measurerLoopDelayMs.p99)} ms, max ${f(result.measurerLoopDelayMs.max)} ms`,
    `slowest 1%: ${result.slowest.map((x) => `${f(x.ms)} ms [wake ${x.toWake === null ? '?' : f(x.toWake)}, turn ${x.inTurn === null ? '?' : f(x.inTurn)} after ${x.linesBefore ?? '?'} lines, pipe ${x.toMeasurer === null ? '?' : f(x.toMeasurer)}${x.overlapping.length > 0 ? `; ${x.overlapping.join(', ')}` : ''}]`).join('; ')}`,
    `daemon CPU: ${f(result.cpuUnderLoadPercent)}% of one core under load, ${f(result.idleCpuPercent)}% idle (over ${idleSec} s)${nodeFlags.length > 0 ? `; node flags ${nodeFlags.join(' ')}` : ''}${weight === null ? '' : `; CPU weight ${weight.cpuWeight} (session nice ${weight.nice})`}`,
    '',
  ].join('\n'));
}

main().catch((err: unknown) => {
  process.stderr.write(`latency-bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
