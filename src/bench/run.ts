/**
 * `npm run bench`: generates a deterministic log (default 1,000,000 lines;
 * `npm run bench -- --lines N`) and measures
 *   1. `tsad analyze --json` end to end (a child process, as a user runs it),
 *   2. reading + splitting + parsing alone (in process),
 * printing lines/s, MB/s and peak RSS. A benchmark, not a test: it asserts nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, createReadStream, createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { generateLog } from './generate-log.js';
import { htmlBench } from './html-bench.js';
import { readLinesFast } from '../sources/index.js';
import { createParseContext, parseLine } from '../parse/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

/** `saveTo`: also keep the JSON report there (for the HTML measurement). */
async function endToEnd(file: string, extra: string[], saveTo?: string): Promise<{ seconds: number; rssMb: number; out: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', join(here, 'rss-reporter.js'), join(root, 'dist/cli/main.js'), 'analyze', '--json', ...extra, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = 0;
  let err = '';
  const save = saveTo === undefined ? null : createWriteStream(saveTo);
  child.stdout.on('data', (d: Buffer) => { out += d.length; save?.write(d); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number>((res) => child.once('close', (c) => res(c ?? 1)));
  if (save !== null) await new Promise<void>((res) => save.end(() => res()));
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`analyze failed (${code}): ${err}`);
  const m = /TSAD_BENCH_MAXRSS_KB=(\d+)/.exec(err);
  return { seconds, rssMb: m ? Number(m[1]) / 1024 : Number.NaN, out };
}

async function parseOnly(file: string): Promise<{ seconds: number; lines: number; packets: number }> {
  const ctx = createParseContext({ refTime: Date.UTC(2026, 11, 1) });
  let lines = 0;
  let packets = 0;
  const t0 = performance.now();
  await readLinesFast(createReadStream(file, { highWaterMark: 1 << 20 }), {
    line(l) {
      lines++;
      const r = parseLine(l, ctx);
      if (r !== null && typeof r === 'object') packets++;
    },
    tooLong() {},
  }, 8192);
  return { seconds: (performance.now() - t0) / 1000, lines, packets };
}

/**
 * Machine calibration: the cost of merely visiting every character of every
 * line in JavaScript (no parsing). Throughput figures from different machines
 * compare only relative to this.
 */
async function charLoop(file: string): Promise<{ perLine: number; spaces: number }> {
  let spaces = 0;
  let lines = 0;
  const t0 = performance.now();
  await readLinesFast(createReadStream(file, { highWaterMark: 1 << 20 }), {
    line(l) {
      lines++;
      for (let i = 0; i < l.length; i++) if (l.charCodeAt(i) === 32) spaces++;
    },
    tooLong() {},
  }, 8192);
  // The count is returned so the loop's work is used and cannot be optimised away.
  return { perLine: (performance.now() - t0) / 1000 / lines, spaces };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function main(): Promise<void> {
  const lines = arg('--lines', 1_000_000);
  const sources = arg('--sources', 50_000);
  const dir = join(root, 'bench', 'out');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `kern-${lines}-${sources}.log`);
  if (!existsSync(file)) {
    process.stdout.write(`generating ${fmt(lines)} lines (${fmt(sources)} background sources) -> ${file}\n`);
    await generateLog(file, { lines, sources });
  }
  const mb = statSync(file).size / 1e6;
  process.stdout.write(`input: ${fmt(lines)} lines, ${mb.toFixed(1)} MB\n`);

  const c = await charLoop(file);
  process.stdout.write(`calibration: reading + visiting every character: ${fmt(1 / c.perLine)} lines/s (${(c.perLine * 1e9).toFixed(0)} ns/line, ${fmt(c.spaces)} spaces)\n`);

  const p = await parseOnly(file);
  process.stdout.write(`parse only:  ${fmt(p.lines / p.seconds)} lines/s, ${(mb / p.seconds).toFixed(1)} MB/s, ${p.seconds.toFixed(2)} s, ${fmt(p.packets)} packets, rss now ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB\n`);

  const reportFile = join(dir, `report-${lines}-${sources}.json`);
  const e = await endToEnd(file, [], reportFile);
  process.stdout.write(`end to end (tsad analyze --json): ${fmt(lines / e.seconds)} lines/s, ${(mb / e.seconds).toFixed(1)} MB/s, ${e.seconds.toFixed(2)} s, peak RSS ${e.rssMb.toFixed(0)} MB, report ${(e.out / 1e6).toFixed(1)} MB\n`);

  const h = await htmlBench(reportFile);
  process.stdout.write(`HTML report (charts and page from that JSON, ${fmt(h.sources)} sources): ${h.seconds.toFixed(2)} s, ${(h.bytes / 1e6).toFixed(2)} MB\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${String(err)}\n`);
  process.exitCode = 1;
});
