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
 * - `BENCH_SAVE at taken keeps keepMs keepMax slices sliceMs sliceMax`, as
 *   each save's scan snapshot ends: the time taking it held the loop, the
 *   sources a packet was about to change while they were still unwritten
 *   (copied then, in that packet's turn: ScanSnapshot.keep) and the slices
 *   the writer encoded, each with the ms in all and the longest;
 * - `BENCH_GC at ms kind`: every garbage collection (kind: minor, major,
 *   incremental, weakcb);
 * - `BENCH_STALL at ms`: every stall of its event loop over 10 ms;
 * - at the end `BENCH_TURNS json`: the follower's wakes (count, lines and
 *   duration percentiles).
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { Daemon } from '../daemon/daemon.js';
import { createLogger } from '../daemon/log.js';
import { ScanSnapshot } from '../detect/state/scan-snapshot.js';
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

// A save's work in the loop, by part (ScanSnapshot's methods, wrapped like pump above).
interface SnapshotParts {
  epoch: number;
  ended: boolean;
  keep(s: { savedIn: number }): void;
  next(max: number, maxChars?: number): string[] | null;
  end(why?: string): void;
}
const snap = ScanSnapshot.prototype as unknown as SnapshotParts;
for (const m of ['keep', 'next', 'end'] as const) if (typeof snap[m] !== 'function') throw new Error(`latency-daemon: ScanSnapshot has no ${m}() any more; update the instrumentation`);
let taken = 0;
const work = { keeps: 0, keepMs: 0, keepMax: 0, slices: 0, sliceMs: 0, sliceMax: 0 };
const { keep, next, end } = snap;
snap.keep = function (this: SnapshotParts, s: { savedIn: number }): void {
  if (s.savedIn === this.epoch) return keep.call(this, s);
  const t = performance.now();
  keep.call(this, s);
  const ms = performance.now() - t;
  work.keeps++;
  work.keepMs += ms;
  work.keepMax = Math.max(work.keepMax, ms);
};
snap.next = function (this: SnapshotParts, max: number, maxChars?: number): string[] | null {
  const t = performance.now();
  const r = next.call(this, max, maxChars);
  const ms = performance.now() - t;
  work.slices++;
  work.sliceMs += ms;
  work.sliceMax = Math.max(work.sliceMax, ms);
  return r;
};
snap.end = function (this: SnapshotParts, why?: string): void {
  if (!this.ended) {
    const w = work;
    out(`BENCH_SAVE ${clock()} ${taken} ${w.keeps} ${w.keepMs} ${w.keepMax} ${w.slices} ${w.sliceMs} ${w.sliceMax}`);
    Object.assign(work, { keeps: 0, keepMs: 0, keepMax: 0, slices: 0, sliceMs: 0, sliceMax: 0 });
  }
  end.call(this, why);
};

const snapshot = d.snapshot.bind(d);
d.snapshot = () => {
  const t = clock();
  const s = snapshot();
  taken = clock() - t;
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
