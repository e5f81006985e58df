/**
 * `npm run eval`: tsad on the real-world corpus (fixtures/realworld/corpus).
 * For every file it runs `tsad analyze --json` (the built CLI, embedded
 * defaults, no network) and prints, as Markdown tables that paste into issue
 * notes: per file its lines, sources, DL2+ and DL3+ counts and how many
 * sources are out of range, for tsad and for psad (measured once with
 * `psad -A`), with both DL histograms; per class of source how many tsad and
 * psad scored outside the accepted danger levels; the worst misjudgements
 * with tsad's reasons.
 *
 *   npm run eval [-- [--all] [--top N] [--json] [NAME...]]
 *
 * NAME selects files whose name contains it. Exit status 0 when every
 * expectation holds, 1 when any does not (2 on a usage error).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, analyze, judge, loadCorpus, type FileResult, type Misjudgement } from './realworld-judge.js';

interface Options { all: boolean; top: number; json: boolean; names: string[] }

function parseArgs(argv: string[]): Options {
  const o: Options = { all: false, top: 5, json: false, names: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--all') o.all = true;
    else if (a === '--json') o.json = true;
    else if (a === '--top') {
      o.top = Number(argv[++i]);
      if (!Number.isInteger(o.top) || o.top < 0) usage(`--top needs a whole number, got ${argv[i] ?? 'nothing'}`);
    } else if (a === '-h' || a === '--help') usage('');
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else o.names.push(a);
  }
  return o;
}

function usage(msg: string): never {
  if (msg) process.stderr.write(`eval: ${msg}\n`);
  process.stderr.write('usage: npm run eval -- [--all] [--top N] [--json] [NAME...]\n');
  process.exit(msg ? 2 : 0);
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** tsad's failures in one file: misjudged or unknown sources, and a line count that differs from the corpus's. */
function failures(r: FileResult): number {
  return r.misjudged.length + r.unexpected.length + (r.linesRead === r.lines ? 0 : 1);
}

function summaryTable(results: FileResult[], psad: string): string[] {
  const out = [
    `| file | lines | sources | tsad DL2+ | tsad DL3+ | tsad out of range | psad ${psad} DL2+ | psad DL3+ | psad out of range | tsad DL1/2/3/4/5 | psad DL1/2/3/4/5 |`,
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|:-:|:-:|',
  ];
  for (const r of results) {
    const n = Object.values(r.classes).reduce((s, c) => s + c.sources, 0);
    const p = r.psad;
    const lines = r.linesRead === r.lines ? String(r.lines) : `${r.linesRead} (corpus: ${r.lines})`;
    out.push(`| ${r.file} | ${lines} | ${n} | ${r.dl2plus} | ${r.dl3plus} | ${failures(r)} | ` +
      `${p?.dl2plus ?? '-'} | ${p?.dl3plus ?? '-'} | ${p ? r.psadWrong : '-'} | ${r.histogram.join('/')} | ` +
      `${p ? [1, 2, 3, 4, 5].map((l) => p.levels[String(l)] ?? 0).join('/') : '-'} |`);
  }
  return out;
}

function describe(m: Misjudgement): string {
  const extra = [m.tool ? `tool ${m.tool}` : '', m.direction ? m.direction : '', `${m.packets} lines`].filter(Boolean).join(', ');
  const reasons = [...new Set(m.reasons)];
  const more = reasons.length > 3 ? `; (${reasons.length - 3} more)` : '';
  const why = reasons.length ? ` — ${reasons.slice(0, 3).join('; ')}${more}` : '';
  return `- \`${m.key}\` ${m.class}: ${m.problems.join('; ')} (${extra})${why}`;
}

function fileSection(r: FileResult, o: Options): string[] {
  const out = ['', `### ${r.file}`, '', '| class | sources | accepted | tsad wrong | psad wrong |', '|---|--:|---|--:|--:|'];
  for (const [name, c] of Object.entries(r.classes)) {
    out.push(`| ${name} | ${c.sources} | ${c.accepted} | ${c.wrong} | ${r.psad ? c.psadWrong : '-'} |`);
  }
  if (r.misjudged.length > 0) {
    const shown = o.all ? r.misjudged : r.misjudged.slice(0, o.top);
    out.push('', `Worst misjudgements (${shown.length} of ${r.misjudged.length}${o.all ? '' : '; --all lists every one'}):`, '');
    for (const m of shown) out.push(cell(describe(m)));
  }
  if (r.unexpected.length > 0) {
    out.push('', `Reported sources the corpus does not know (${r.unexpected.length}):`, '');
    for (const u of r.unexpected.slice(0, o.all ? undefined : o.top)) out.push(`- \`${u.src}\` DL${u.dl}`);
  }
  return out;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const files = loadCorpus().filter((f) => o.names.length === 0 || o.names.some((n) => f.file.includes(n)));
  if (files.length === 0) usage(`no corpus file matches ${o.names.join(' ')}`);
  const results: FileResult[] = [];
  for (const f of files) results.push(judge(f, await analyze(f)));
  const wrong = results.reduce((s, r) => s + failures(r), 0);
  const total = results.reduce((s, r) => s + Object.values(r.classes).reduce((t, c) => t + c.sources, 0), 0);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ results, misjudged: wrong, sources: total }, null, 2)}\n`);
  } else {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const psad = results.find((r) => r.psad)?.psad?.version ?? '';
    const lines = [
      `## tsad ${version} on the real-world corpus`, '',
      '`tsad analyze --json` with embedded defaults on fixtures/realworld/corpus' +
        (psad ? `; psad ${psad} measured once with \`psad -A\`` : '') + '. DL2+, DL3+: sources at that level or above; ' +
        'out of range: sources outside the danger levels their class accepts (for tsad also a wrong direction or tool, ' +
        'or a source the corpus does not know); DL1/2/3/4/5: sources at exactly each level.', '',
      ...summaryTable(results, psad),
      ...results.flatMap((r) => fileSection(r, o)),
      '', wrong === 0 ? `All ${total} sources in ${results.length} files within their accepted danger levels.`
        : `${wrong} of ${total} sources misjudged in ${results.length} files.`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  process.exitCode = wrong === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`eval: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
