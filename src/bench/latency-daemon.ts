/**
 * The daemon that `latency-bench` measures, started in a process of its own
 * with instrumentation around it (not in it): `node dist/bench/latency-daemon.js
 * CONF LOG STATE_DIR SOCKET`. It writes to stderr, with the wall clock in ms
 * (performance.timeOrigin + now, comparable across processes):
 *
 * - the daemon's own log lines, through its own logger, and before each level
 *   change `BENCH_LEVEL key at turnStart linesBefore`: when the level change
 *   was logged, when the event-loop turn that read the line began (a wake of
 *   the file follower) and how many lines that turn had handed over before it;
 * - `BENCH_SNAPSHOT at ms`: each state snapshot and the time to the next
 *   setImmediate (taking it and serialising its head);
 * - `BENCH_GC at ms kind`: every garbage collection (kind: minor, major,
 *   incremental, weakcb);
 * - `BENCH_STALL at ms`: every stall of its event loop over 10 ms;
 * - at the end `BENCH_TURNS json`: the follower's wakes (count, lines and
 *   duration percentiles).
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { Daemon } from '../daemon/daemon.js';
import { createLogger } from '../daemon/log.js';
import { FileFollower } from '../sources/file-follower.js';
import type { LiveSink } from '../sources/live-source.js';

const [conf, log, stateDir, socket] = process.argv.slice(2) as [string, string, string, string];
const clock = (): number => performance.timeOrigin + performance.now();
const out = (s: string): void => void process.stderr.write(`${s}\n`);

// The follower's wake (pump) is private: reached through the prototype, and the bench says so when it moves.
interface Pumped {
  pump(): void;
  o: { sink: LiveSink };
}
const proto = FileFollower.prototype as unknown as Pumped;
if (typeof proto.pump !== 'function') throw new Error('latency-daemon: FileFollower has no pump() any more; update the instrumentation');
let turnStart = 0;
let turnLines = 0;
const turns: Array<{ ms: number; lines: number }> = [];
const pump = proto.pump;
const counted = new WeakSet<object>();
proto.pump = function (this: Pumped): void {
  if (!counted.has(this.o)) {
    counted.add(this.o);
    const sink = this.o.sink;
    this.o.sink = {
      line: (t) => ((turnLines += 1), sink.line(t)),
      tooLong: () => sink.tooLong(),
      ...(sink.bytes === undefined ? {} : { bytes: (b, start, end, ascii) => ((turnLines += 1), sink.bytes?.(b, start, end, ascii)) }),
    };
  }
  turnStart = clock();
  turnLines = 0;
  pump.call(this);
  if (turnLines > 0) turns.push({ ms: clock() - turnStart, lines: turnLines });
};

const daemonLog = createLogger();
const d = await Daemon.start({
  configPath: conf,
  sources: [`file:${log}`],
  stateDir,
  socket,
  version: 'bench',
  log: (level, msg) => {
    const m = /^(\S+): danger level 0 -> /.exec(msg);
    if (m) out(`BENCH_LEVEL ${m[1] as string} ${clock()} ${turnStart} ${turnLines - 1}`);
    daemonLog(level, msg);
  },
});

const snapshot = d.snapshot.bind(d);
d.snapshot = () => {
  const t = clock();
  const s = snapshot();
  setImmediate(() => out(`BENCH_SNAPSHOT ${t} ${clock() - t}`));
  return s;
};

const KIND: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
new PerformanceObserver((list) => {
  for (const e of list.getEntries() as Array<PerformanceEntry & { detail?: { kind?: number } }>) {
    out(`BENCH_GC ${performance.timeOrigin + e.startTime} ${e.duration} ${KIND[e.detail?.kind ?? 0] ?? 'other'}`);
  }
}).observe({ entryTypes: ['gc'] });

let last = performance.now();
setInterval(() => {
  const n = performance.now();
  if (n - last > 15) out(`BENCH_STALL ${clock() - (n - last - 5)} ${n - last - 5}`);
  last = n;
}, 5).unref();
out('READY');
await d.finished;

const q = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;
const ms = turns.map((t) => t.ms).sort((a, b) => a - b);
const lines = turns.map((t) => t.lines).sort((a, b) => a - b);
out(`BENCH_TURNS ${JSON.stringify({ count: turns.length, lines: { p50: q(lines, 0.5), p99: q(lines, 0.99), max: lines.at(-1) ?? 0 }, ms: { p50: q(ms, 0.5), p99: q(ms, 0.99), max: ms.at(-1) ?? 0 } })}`);
