/**
 * The real-world corpus (fixtures/realworld/corpus): loading its
 * expectations, running `tsad analyze --json` on each file as a user would
 * (the built CLI, embedded defaults), and judging every source against the
 * danger levels an admin would accept for it. Shared by `npm run eval`
 * (realworld-eval.ts) and test/realworld/corpus.test.ts.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cidrContains, parseCidr } from '../net/address.js';
import type { Report, SourceReport } from '../model/report.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CORPUS_DIR = join(ROOT, 'fixtures/realworld/corpus');
const CLI = join(ROOT, 'dist/cli/main.js');

/** One source of a corpus file, as the capture's schedule knows it. */
export interface Expectation {
  /** Address, or IPv6 /64 (link-local and unique-local addresses stay whole). */
  key: string;
  class: string;
  /** Accepted danger levels, inclusive. */
  dl: [number, number];
  direction?: string;
  /** null: no tool may be named; a string: that tool must be named. */
  tool?: string | null;
  note?: string;
  packets: number;
}

export interface PsadAnswer {
  version: string;
  levels: Record<string, number>;
  dl2plus: number;
  dl3plus: number;
  sources: Record<string, number>;
}

export interface CorpusFile {
  file: string;
  scene: string;
  doc: string;
  lines: number;
  classes: Record<string, number>;
  classDocs: Record<string, string>;
  /** Extra analyze arguments the file needs (e.g. --year for RFC 3164 stamps). */
  analyzeArgs?: string[];
  psad: PsadAnswer | null;
  sources: Expectation[];
}

export interface Misjudgement {
  key: string;
  class: string;
  accepted: [number, number];
  dl: number;
  /** What is wrong: the level, the direction or the tool. */
  problems: string[];
  tool: string | null;
  direction: string | null;
  reasons: string[];
  packets: number;
  note?: string;
}

export interface ClassResult {
  sources: number;
  wrong: number;
  psadWrong: number;
  accepted: string;
}

export interface FileResult {
  file: string;
  /** Lines in the file (the corpus's count) and lines tsad read. */
  lines: number;
  linesRead: number;
  histogram: number[];
  dl2plus: number;
  dl3plus: number;
  classes: Record<string, ClassResult>;
  misjudged: Misjudgement[];
  /** Reported sources that match no expectation (a key the corpus does not know). */
  unexpected: Array<{ src: string; dl: number }>;
  psad: PsadAnswer | null;
  psadWrong: number;
}

/** Every corpus file's expectations, sorted by file name. */
export function loadCorpus(dir = CORPUS_DIR): CorpusFile[] {
  return readdirSync(dir).filter((f) => f.endsWith('.expect.json')).sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CorpusFile);
}

/** Runs the built CLI: `tsad analyze --json --min-dl 0 FILE` (UTC, like the capture). */
export function analyze(file: CorpusFile, dir = CORPUS_DIR): Promise<Report> {
  const args = [CLI, 'analyze', '--json', '--min-dl', '0', ...(file.analyzeArgs ?? []), join(dir, file.file)];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { env: { ...process.env, TZ: 'UTC' }, maxBuffer: 512 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`tsad analyze ${file.file} failed: ${stderr || err.message}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as Report);
      } catch (e) {
        reject(new Error(`tsad analyze ${file.file}: bad JSON (${(e as Error).message})`));
      }
    });
  });
}

/** True when reported source `src` (address or prefix) and expectation key `key` overlap. */
function overlaps(src: string, key: string): boolean {
  if (src === key) return true;
  const a = parseCidr(src);
  const b = parseCidr(key);
  if (a === null || b === null || a.family !== b.family) return false;
  return a.len <= b.len ? cidrContains(a, b.bytes) : cidrContains(b, a.bytes);
}

function inRange(dl: number, [min, max]: [number, number]): boolean {
  return dl >= min && dl <= max;
}

/** Judges one analyze report against a corpus file's expectations. */
export function judge(file: CorpusFile, report: Report): FileResult {
  const cache = new Map<string, SourceReport[]>();
  const matched = new Set<SourceReport>();
  const misjudged: Misjudgement[] = [];
  const classes: Record<string, ClassResult> = {};
  let psadWrong = 0;
  for (const e of file.sources) {
    let hits = cache.get(e.key);
    if (!hits) {
      hits = report.sources.filter((s) => overlaps(s.src, e.key));
      cache.set(e.key, hits);
    }
    for (const h of hits) matched.add(h);
    const top = hits.reduce<SourceReport | null>((m, s) => (m === null || s.dl > m.dl ? s : m), null);
    const dl = top?.dl ?? 0;
    const tools = [...new Set(hits.map((h) => h.tool).filter((t): t is string => t !== null))];
    const directions = [...new Set(hits.map((h) => h.direction))];
    const problems: string[] = [];
    if (!inRange(dl, e.dl)) problems.push(`DL${dl}, accepted ${range(e.dl)}`);
    if (e.direction !== undefined && !(directions.length === 1 && directions[0] === e.direction)) {
      problems.push(`direction ${directions.join('/') || 'none (not reported)'}, expected ${e.direction}`);
    }
    if (e.tool === null && tools.length > 0) problems.push(`tool ${tools.join('/')}, expected none`);
    if (typeof e.tool === 'string' && !tools.includes(e.tool)) problems.push(`tool ${tools.join('/') || 'none'}, expected ${e.tool}`);
    const c = (classes[e.class] ??= { sources: 0, wrong: 0, psadWrong: 0, accepted: range(e.dl) });
    c.sources++;
    if (c.accepted !== range(e.dl)) c.accepted = 'per source';
    if (problems.length > 0) {
      c.wrong++;
      misjudged.push({
        key: e.key, class: e.class, accepted: e.dl, dl, problems, tool: tools[0] ?? null,
        direction: directions.join('/') || null, reasons: reasonsOf(top), packets: e.packets, note: e.note,
      });
    }
    if (file.psad && !inRange(file.psad.sources[e.key] ?? 0, e.dl)) {
      c.psadWrong++;
      psadWrong++;
    }
  }
  const histogram = [1, 2, 3, 4, 5].map((l) => report.summary.dangerLevels[String(l) as '1'] ?? 0);
  misjudged.sort((a, b) => excess(b) - excess(a) || b.dl - a.dl || b.packets - a.packets || a.key.localeCompare(b.key));
  return {
    file: file.file,
    lines: file.lines,
    linesRead: report.summary.lines,
    histogram,
    dl2plus: histogram.slice(1).reduce((s, n) => s + n, 0),
    dl3plus: histogram.slice(2).reduce((s, n) => s + n, 0),
    classes: Object.fromEntries(Object.entries(classes).sort()),
    misjudged,
    unexpected: report.sources.filter((s) => !matched.has(s)).map((s) => ({ src: s.src, dl: s.dl })),
    psad: file.psad,
    psadWrong,
  };
}

function range([min, max]: [number, number]): string {
  return min === max ? `DL${min}` : `DL${min}-${max}`;
}

/** How far outside its range a source was scored (direction/tool problems count 1). */
function excess(m: Misjudgement): number {
  const [min, max] = m.accepted;
  return Math.max(m.dl - max, min - m.dl, m.problems.length > 0 ? 1 : 0) * 10 + m.problems.length;
}

function reasonsOf(s: SourceReport | null): string[] {
  const r = s?.['reasons'];
  return Array.isArray(r) ? r.filter((x): x is string => typeof x === 'string') : [];
}
