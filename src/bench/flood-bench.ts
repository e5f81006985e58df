/**
 * The daemon under a spoofed-source flood (`npm run bench` runs it on the
 * distinct-source log; alone: `node dist/bench/flood-bench.js FILE`): a
 * daemon with the default MEMORY_BUDGET follows a file, and the log's lines
 * (each a SYN from a source never seen before) are appended as fast as it
 * takes them, with one real scanner probing a new port every 1000 lines.
 * Measured: the seconds until every line is read, the daemon's peak RSS
 * (VmHWM) by then, the sources it tracks and evicted, the scanner's level,
 * one state save, and a restart that restores the saved state. The sources
 * never expire here (ENABLE_PERSISTENCE): only the budget bounds them, as in
 * a flood of current lines. A benchmark, not a test: it asserts nothing.
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
  restartSeconds: number;
  restoredSources: number;
}

export async function daemonFlood(file: string): Promise<FloodResult> {
  const { dir, log, conf } = benchDaemonDir('tsad-flood-', ['ENABLE_PERSISTENCE Y;']);
  // The start script reads the daemon's counters directly (the bench's instrument, not an interface).
  const script = `const { Daemon } = await import(${JSON.stringify(distDaemon)});
const opts = { configPath: ${JSON.stringify(conf)}, sources: [${JSON.stringify(`file:${log}`)}], stateDir: ${JSON.stringify(join(dir, 'state'))}, socket: ${JSON.stringify(join(dir, 'tsad.sock'))}, version: 'bench' };
let d = await Daemon.start(opts);
process.stderr.write('READY\\n');
const total = Number(process.env.TSAD_FLOOD_LINES);
while (d.analysis.pipeline.lines < total) await new Promise((r) => setTimeout(r, 100));
await new Promise((r) => { process.once('SIGUSR2', r); process.stderr.write('READ\\n'); });
const t = d.analysis.tracker;
const st = await d.status({ ip: ${JSON.stringify(SCANNER)} });
const out = { tracked: t.size, limit: t.maxSources ?? null, evicted: t.stats.evicted, scannerDl: st.report.sources[0]?.dl ?? -1 };
let t0 = performance.now();
await d.saver.save();
out.saveSeconds = (performance.now() - t0) / 1000;
await d.stop();
t0 = performance.now();
d = await Daemon.start(opts);
out.restartSeconds = (performance.now() - t0) / 1000;
out.restoredSources = d.analysis.tracker.size;
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
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TSAD_FLOOD_LINES: String(total) } });
  let err = '';
  let result: Omit<FloodResult, 'lines' | 'seconds' | 'peakRssMb' | 'peakRssAllMb'> | null = null;
  const waiters: Array<[string, () => void]> = [];
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-8192);
    if (process.env.TSAD_FLOOD_LOG !== undefined) appendFileSync(process.env.TSAD_FLOOD_LOG, d);
    for (const [word, done] of waiters) if (err.includes(`${word}\n`)) done();
    const m = /RESULT (\{.*\})\n/.exec(err);
    if (m) result = JSON.parse(m[1] as string) as typeof result;
  });
  const closed = new Promise<string>((r) => child.once('close', (c, sig) => r(sig ?? String(c))));
  const seen = (word: string): Promise<void> => new Promise((r) => waiters.push([word, r]));
  const ready = seen('READY');
  const read = seen('READ');
  await Promise.race([ready, closed]);
  let peak = 0;
  const sample = setInterval(() => (peak = Math.max(peak, vmHwm(child.pid as number))), 50);
  const t0 = performance.now();
  const fd = openSync(log, 'a');
  for (const c of chunks) writeSync(fd, c);
  closeSync(fd);
  chunks.length = 0;
  await Promise.race([read, closed]);
  const seconds = (performance.now() - t0) / 1000;
  peak = Math.max(peak, vmHwm(child.pid as number));
  const reading = peak;
  child.kill('SIGUSR2');
  const code = await closed;
  clearInterval(sample);
  rmSync(dir, { recursive: true, force: true });
  if (result === null) throw new Error(`the flood daemon failed (exit ${code}): ${err}`);
  return { lines: total, seconds, peakRssMb: reading / 1024, peakRssAllMb: peak / 1024, ...(result as Omit<FloodResult, 'lines' | 'seconds' | 'peakRssMb' | 'peakRssAllMb'>) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: flood-bench.js FILE (a log of distinct sources, e.g. bench/out/distinct-v1-1000000.log)');
  daemonFlood(file).then((r) => process.stdout.write(`${JSON.stringify(r, null, 2)}\n`), (e: unknown) => {
    process.stderr.write(`flood bench: ${String(e)}\n`);
    process.exitCode = 1;
  });
}
