/**
 * `node dist/bench/compare-builds.js --base OLD/dist/cli/main.js [--threads N] [--modes m,..] [FILE...]`
 *
 * The regression check for work on the hot path: runs `tsad analyze` of an
 * older build (--base) and of this one on the same inputs and compares the
 * whole outputs byte for byte: the JSON report listing every source
 * (--min-dl 0), the text report, and CSV with every packet field (what the
 * parser made of each line). A faster tsad that scores differently is worse,
 * so any difference is printed (the first differing source or line) and the
 * exit status is 1. A check, not a test: the base build comes from outside
 * the tree (e.g. `git worktree add /tmp/base main && cd /tmp/base && npm ci
 * && npm run build`).
 *
 * Without FILE arguments: the fixtures (each folder of captures as one run
 * over all its files), the real-world corpus when present
 * (fixtures/realworld/corpus or $TSAD_CORPUS) and the bench logs in
 * bench/out, each file on its own. Inputs over 20 MB run in the modes json
 * (default --min-dl) and csv only. --threads N passes `--threads N` to this build only (the
 * threaded analysis must equal the base's single thread).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CSV_FIELDS } from '../report/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const self = join(root, 'dist', 'cli', 'main.js');
const BIG = 20e6;

const MODES: Readonly<Record<string, readonly string[]>> = {
  json0: ['--json', '--min-dl', '0'],
  json: ['--json'],
  text: ['--min-dl', '0'],
  csv: ['--csv', '--csv-fields', Object.keys(CSV_FIELDS).join(',')],
};

interface Run {
  code: number;
  out: Buffer;
  err: string;
}

function run(main: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, 'analyze', ...args], { encoding: 'buffer', maxBuffer: 4e9 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? ((err as unknown as { code: number }).code) : 1;
      resolve({ code, out: stdout, err: stderr.toString() });
    });
  });
}

function listFiles(dir: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter(keep).sort().map((n) => join(dir, n));
}

/** Groups of files analysed together (one run each). */
function defaultInputs(): string[][] {
  const fx = join(root, 'fixtures');
  const corpus = process.env.TSAD_CORPUS ?? join(fx, 'realworld', 'corpus');
  return [
    [join(fx, 'sample', 'kern.log')],
    listFiles(join(fx, 'captured', 'ipt'), (n) => !n.endsWith('.json')),
    listFiles(join(fx, 'captured', 'nft'), (n) => !n.endsWith('.json')),
    listFiles(join(fx, 'detect', 'nmap'), (n) => n.endsWith('.log')),
    ...listFiles(corpus, (n) => n.endsWith('.gz')).map((f) => [f]),
    ...listFiles(join(root, 'bench', 'out'), (n) => n.endsWith('.log')).map((f) => [f]),
  ].filter((g) => g.length > 0);
}

/** Where two JSON reports first differ: a source (by src) or a top-level part. */
function jsonDifference(a: string, b: string): string {
  let x: Record<string, unknown>;
  let y: Record<string, unknown>;
  try {
    x = JSON.parse(a) as Record<string, unknown>;
    y = JSON.parse(b) as Record<string, unknown>;
  } catch {
    return 'not JSON';
  }
  for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
    if (k === 'sources') continue;
    if (JSON.stringify(x[k]) !== JSON.stringify(y[k])) return `${k}: ${JSON.stringify(x[k]).slice(0, 300)} != ${JSON.stringify(y[k]).slice(0, 300)}`;
  }
  const xs = (x.sources ?? []) as Array<Record<string, unknown>>;
  const ys = (y.sources ?? []) as Array<Record<string, unknown>>;
  for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
    const p = JSON.stringify(xs[i]);
    const q = JSON.stringify(ys[i]);
    if (p !== q) return `sources[${i}]: ${p?.slice(0, 600)}\n  != ${q?.slice(0, 600)}`;
  }
  return 'formatting only';
}

function lineDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return `line ${i + 1}: ${JSON.stringify(x[i])}\n  != ${JSON.stringify(y[i])}`;
  return 'same lines';
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const base = arg('--base');
  if (base === undefined) throw new Error('--base OLD/dist/cli/main.js is required');
  const threads = arg('--threads');
  const modes = arg('--modes')?.split(',');
  const skip = new Set(['--base', '--threads', '--modes']);
  const named = process.argv.slice(2).filter((a, i, all) => !skip.has(a) && !skip.has(all[i - 1] as string));
  const inputs = named.length > 0 ? named.map((f) => [f]) : defaultInputs();
  let runs = 0;
  let differences = 0;
  for (const files of inputs) {
    const big = files.reduce((n, f) => n + statSync(f).size, 0) > BIG;
    const file = files.length === 1 ? (files[0] as string) : `${dirname(files[0] as string)}/ (${files.length} files)`;
    for (const mode of modes ?? (big ? ['json', 'csv'] : ['json0', 'text', 'csv'])) {
      const args = [...(MODES[mode] ?? []), ...files];
      const [a, b] = [await run(base, args), await run(self, threads === undefined ? args : ['--threads', threads, ...args])];
      runs++;
      if (a.code === b.code && a.out.equals(b.out) && a.err === b.err) continue;
      differences++;
      const what = a.code !== b.code ? `exit ${a.code} != ${b.code}` : a.err !== b.err ? `stderr ${JSON.stringify(a.err.slice(0, 300))} != ${JSON.stringify(b.err.slice(0, 300))}` : mode.startsWith('json') ? jsonDifference(a.out.toString(), b.out.toString()) : lineDifference(a.out.toString(), b.out.toString());
      process.stdout.write(`DIFFERENT ${mode} ${file}\n  ${what}\n`);
    }
  }
  process.stdout.write(`${runs} runs on ${inputs.length} inputs, ${differences} different\n`);
  if (differences > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`compare-builds: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
});
