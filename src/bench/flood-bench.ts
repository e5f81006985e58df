/**
 * The daemon under a spoofed-source flood (`npm run bench` runs it on the
 * distinct-source log; alone: `node dist/bench/flood-bench.js FILE`): a
 * daemon with the default MEMORY_BUDGET follows a file, and the log's lines
 * (each a SYN from a source never seen before) are appended as fast as it
 * takes them, with one real scanner probing a new port every 1000 lines.
 * Measured: the seconds until every line is read, the daemon's peak RSS
 * (VmHWM) by then, the sources it tracks and evicted, the scanner's level;
 * then one state save (its seconds, the peak RSS during it, the longest the
 * event loop waited meanwhile, the file's size) and, in a new process as
 * after a reboot, a restart that restores the saved state (its seconds and
 * that process's peak RSS). The sources never expire here
 * (ENABLE_PERSISTENCE): only the budget bounds them, as in a flood of
 * current lines. A benchmark, not a test: it asserts nothing.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, createReadStream, openSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDaemonDir, vmHwm } from './bench-daemon.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The daemon module; TSAD_FLOOD_DAEMON names another build's (a before/after comparison). */
const distDaemon = process.env.TSAD_FLOOD_DAEMON ?? join(here, '..', 'daemon', 'daemon.js');
const SCANNER = '203.0.113.77';

export interface FloodResult {
  lines: number;
  seconds: number;
  /** Peak RSS while the lines were read, and over the whole run (with the save, the stop and the restart). */
  peakRssMb: number;
  peakRssAllMb: number;
  tracked: number;
  limit: number;
  evicted: number;
  scannerDl: number;
  saveSeconds: number;
  /** RSS when the save began, and the peak during it (NaN where /proc/self/clear_refs cannot reset the peak). */
  rssBeforeSaveMb: number;
  savePeakRssMb: number;
  /** The longest the event loop waited during the save (ms): how long a line could wait for it. */
  saveMaxLoopDelayMs: number;
  stateFileMb: number;
  restartSeconds: number;
  /** Peak RSS of the restarted process by the time it had restored the state. */
  restorePeakRssMb: number;
  restoredSources: number;
}

/** What the child scripts share: the daemon, its options, and this process's RSS figures. */
function prelude(conf: string, log: string, dir: string): string {
  return `const { Daemon } = await import(${JSON.stringify(distDaemon)});
const { readFileSync, statSync, writeFileSync } = await import('node:fs');
const opts = { configPath: ${JSON.stringify(conf)}, sources: [${JSON.stringify(`file:${log}`)}], stateDir: ${JSON.stringify(join(dir, 'state'))}, socket: ${JSON.stringify(join(dir, 'tsad.sock'))}, version: 'bench' };
const kb = (k) => Number(readFileSync('/proc/self/status', 'utf8').split('\\n').find((l) => l.startsWith(k + ':')).slice(k.length + 1).trim().split(' ')[0]);
const resetPeak = () => { try { writeFileSync('/proc/self/clear_refs', '5'); return true; } catch { return false; } };
`;
}

export async function daemonFlood(file: string): Promise<FloodResult> {
  const { dir, log, conf } = benchDaemonDir('tsad-flood-', ['ENABLE_PERSISTENCE Y;']);
  // The scripts read the daemon's counters directly (the bench's instrument, not an interface).
  const flood = `${prelude(conf, log, dir)}const { monitorEventLoopDelay } = await import('node:perf_hooks');
const d = await Daemon.start(opts);
process.stderr.write('READY\\n');
const total = Number(process.env.TSAD_FLOOD_LINES);
while (d.analysis.pipeline.lines < total) await new Promise((r) => setTimeout(r, 100));
await new Promise((r) => { process.once('SIGUSR2', r); process.stderr.write('READ\\n'); });
const t = d.analysis.tracker;
// The scanner's level from the tracker (a status report with --ip lists every source first: its memory is not the save's).
const out = { tracked: t.size, limit: t.maxSources ?? null, evicted: t.stats.evicted, scannerDl: t.get(t.keyOf(${JSON.stringify(SCANNER)}))?.peakDl ?? -1 };
out.rssBeforeSaveMb = kb('VmRSS') / 1024;
const reset = resetPeak();
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const t0 = performance.now();
await d.saver.save();
out.saveSeconds = (performance.now() - t0) / 1000;
loop.disable();
out.saveMaxLoopDelayMs = loop.max / 1e6;
out.savePeakRssMb = reset ? kb('VmHWM') / 1024 : NaN;
out.stateFileMb = statSync(opts.stateDir + '/state.json').size / 1e6;
await d.stop();
process.stderr.write('RESULT ' + JSON.stringify(out) + '\\n');`;
  const restart = `${prelude(conf, log, dir)}const t0 = performance.now();
const d = await Daemon.start(opts);
const out = { restartSeconds: (performance.now() - t0) / 1000, restoredSources: d.analysis.tracker.size, restorePeakRssMb: kb('VmHWM') / 1024 };
await d.stop();
process.stderr.write('RESULT ' + JSON.stringify(out) + '\\n');`;
  let total = 0;
  // Lines to append: the log's, with the scanner's probe (the same line from SCANNER to the next port) every 1000.
  const chunks: string[] = [];
  {
    let tail = '';
    let n = 0;
    let port = 1;
    for await (const c of createReadStream(file, { encoding: 'utf8', highWaterMark: 4 << 20 })) {
      const parts = (tail + (c as string)).split('\n');
      tail = parts.pop() ?? '';
      const out: string[] = [];
      for (const l of parts) {
        out.push(l);
        if (n++ % 1000 === 0 && l.includes(' SRC=') && !l.includes(' SRC=2')) out.push(l.replace(/ SRC=\S+/, ` SRC=${SCANNER}`).replace(/ DPT=\d+/, ` DPT=${port++}`));
      }
      total += out.length;
      chunks.push(`${out.join('\n')}\n`);
    }
  }
  try {
    const a = child(flood, total);
    await Promise.race([a.seen('READY'), a.closed]);
    let peak = 0;
    const sample = setInterval(() => (peak = Math.max(peak, vmHwm(a.pid))), 50);
    const t0 = performance.now();
    const fd = openSync(log, 'a');
    for (const c of chunks) writeSync(fd, c);
    closeSync(fd);
    chunks.length = 0;
    await Promise.race([a.seen('READ'), a.closed]);
    const seconds = (performance.now() - t0) / 1000;
    const reading = Math.max(peak, vmHwm(a.pid));
    clearInterval(sample);
    process.kill(a.pid, 'SIGUSR2');
    const first = await a.result();
    const b = child(restart, total);
    const second = await b.result();
    const peakAll = Math.max(reading / 1024, first.savePeakRssMb as number, second.restorePeakRssMb as number);
    return { lines: total, seconds, peakRssMb: reading / 1024, peakRssAllMb: peakAll, ...first, ...second } as FloodResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A bench child running `script`: words it says on stderr, and its RESULT. */
function child(script: string, total: number): { pid: number; seen: (word: string) => Promise<void>; closed: Promise<string>; result: () => Promise<Record<string, number>> } {
  const c = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TSAD_FLOOD_LINES: String(total) } });
  let err = '';
  let result: Record<string, number> | null = null;
  const waiters: Array<[string, () => void]> = [];
  c.stderr.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-8192);
    if (process.env.TSAD_FLOOD_LOG !== undefined) appendFileSync(process.env.TSAD_FLOOD_LOG, d);
    for (const [word, done] of waiters) if (err.includes(`${word}\n`)) done();
    const m = /RESULT (\{.*\})\n/.exec(err);
    if (m) result = JSON.parse(m[1] as string) as Record<string, number>;
  });
  const closed = new Promise<string>((r) => c.once('close', (code, sig) => r(sig ?? String(code))));
  return {
    pid: c.pid as number,
    seen: (word) => new Promise((r) => waiters.push([word, r])),
    closed,
    result: async () => {
      const code = await closed;
      if (result === null) throw new Error(`the flood daemon failed (exit ${code}): ${err}`);
      return result;
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: flood-bench.js FILE (a log of distinct sources, e.g. bench/out/distinct-v1-1000000.log)');
  daemonFlood(file).then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`), (e: unknown) => {
    process.stderr.write(`flood bench: ${String(e)}\n`);
    process.exitCode = 1;
  });
}
