/**
 * `tsad patterns list|test`: the service patterns in use (shipped and the
 * users' in SERVICE_PATTERNS_DIR, tsad-patterns(5)), and which one reads a
 * log line and what it extracts.
 */
import type { Command } from 'commander';
import type { Config } from '../../config/keys/index.js';
import { loadConfig } from '../../config/load.js';
import { createParseContext, parseLine, ServiceMatcher, servicePatterns, type Explanation, type ServicePattern } from '../../parse/index.js';
import { escapeText } from '../../text/escape.js';

interface Opts {
  config?: string;
  patternsDir?: string;
  json?: boolean;
}

function out(s: string): void {
  process.stdout.write(`${s}\n`);
}

function load(opts: Opts): { cfg: Config; patterns: ServicePattern[]; off: Set<string>; all: ServicePattern[] } {
  const cfg = loadConfig(opts.config);
  const { patterns } = servicePatterns(cfg, { dir: opts.patternsDir });
  const all = servicePatterns({ ...cfg, SERVICE_PATTERNS_DISABLE: [] }, { dir: opts.patternsDir }).patterns;
  return { cfg, patterns, off: new Set(cfg.SERVICE_PATTERNS_DISABLE), all };
}

function programs(p: ServicePattern): string {
  return p.programs.map((x) => (x === '' ? '(bare lines)' : x)).join(',');
}

function listAction(opts: Opts): void {
  const { all, off, cfg } = load(opts);
  if (opts.json) {
    out(JSON.stringify(all.map((p) => ({ name: p.name, service: p.service, kind: p.kind, programs: p.programs, templates: p.templates.map((t) => t.text), origin: p.origin, enabled: cfg.ENABLE_SERVICE_LOGS && !off.has(p.name) })), null, 2));
    return;
  }
  for (const p of all) {
    const state = !cfg.ENABLE_SERVICE_LOGS ? ' [off: ENABLE_SERVICE_LOGS N]' : off.has(p.name) ? ' [off: SERVICE_PATTERNS_DISABLE]' : '';
    out(escapeText(`${p.name}  service ${p.service}, kind ${p.kind}, programs ${programs(p)}, ${p.origin}${state}`));
    for (const t of p.templates) out(escapeText(`    ${t.text}`));
    if (p.templates.length === 0) out('    (rules in code: combined/common access-log format, see tsad-patterns(5))');
  }
  out(`${all.length} patterns, ${all.filter((p) => cfg.ENABLE_SERVICE_LOGS && !off.has(p.name)).length} in use`);
}

function explainText(line: string, ex: Explanation): string[] {
  const lines = [`line: ${line}`];
  const m = ex.message;
  if (m === null) return [...lines, '  not a syslog line of a program (no "host tag:" after its time), nor a journal record of one'];
  lines.push(`  program: ${m.program === '' ? '(none: a bare line)' : m.program}, host: ${m.host || '-'}, time: ${Number.isNaN(m.ts) ? '(none)' : Number.isFinite(m.ts) ? new Date(m.ts).toISOString() : '(impossible)'}`);
  if (ex.candidates.length === 0) return [...lines, '  no pattern reads this program\'s lines'];
  lines.push(`  tried: ${ex.candidates.map((p) => p.name).join(', ')}`);
  if (ex.pattern === null) return [...lines, '  no pattern matched'];
  const p = ex.pattern;
  lines.push(`  matched: ${p.name} (service ${p.service}, kind ${p.kind}, ${p.origin})`);
  if (ex.template !== '') lines.push(`  template: ${ex.template}`);
  const r = ex.result;
  if (typeof r === 'string') lines.push(`  skipped: ${r} (address "${ex.hit?.host ?? ''}")`);
  else if (r !== null) {
    lines.push(`  address: ${r.src}${r.src !== ex.hit?.host ? ` (logged as "${ex.hit?.host ?? ''}")` : ''}`);
    lines.push(`  user: ${r.user === '' ? '(none)' : `"${r.user}"`}`);
    if (r.count > 1) lines.push(`  failures: ${r.count} (repeated message)`);
  }
  return lines;
}

function testAction(lines: string[], opts: Opts & { program?: string }): void {
  const { patterns } = load(opts);
  const matcher = new ServiceMatcher(patterns, opts.program ?? loadConfig(opts.config).SERVICE_BARE_PROGRAM);
  const ctx = createParseContext();
  let matched = 0;
  const results: unknown[] = [];
  for (const line of lines) {
    const fw = parseLine(line, ctx);
    if (fw !== null) {
      if (opts.json) results.push({ line, firewall: true });
      else out(escapeText(`line: ${line}`) + '\n  a firewall LOG line ("tsad signatures test" explains it)');
      continue;
    }
    const ex = matcher.explain(line, ctx);
    if (ex.result !== null && typeof ex.result !== 'string') matched++;
    if (opts.json) {
      results.push({ line, program: ex.message?.program ?? null, tried: ex.candidates.map((p) => p.name), pattern: ex.pattern?.name ?? null, template: ex.template || null, result: ex.result });
    } else for (const l of explainText(line, ex)) out(escapeText(l));
  }
  if (opts.json) out(JSON.stringify(results, null, 2));
  // Like grep: 1 when no line was recognised, so scripts can test a pattern.
  if (matched === 0) process.exitCode = 1;
}

export function registerPatterns(program: Command): void {
  const cmd = program.command('patterns').description('list the service-log patterns, or test which one reads a line (tsad-patterns(5))');
  const common = (c: Command): Command => c
    .option('-c, --config <file>', 'configuration file (default: built-in defaults)')
    .option('--patterns-dir <dir>', 'users\' pattern files (default: SERVICE_PATTERNS_DIR)');
  common(cmd.command('list').description('the shipped patterns and the users\', with their templates and whether they are in use'))
    .option('--json', 'print the patterns as JSON')
    .action((opts: Opts) => listAction(opts));
  common(cmd.command('test').argument('<line...>', 'log lines (quote each one)')
    .description('show which pattern reads each line and what it extracts (exit 1 when none does)'))
    .option('--program <name>', 'read bare lines (no syslog envelope) as this program\'s (default: SERVICE_BARE_PROGRAM)')
    .option('--json', 'print the results as JSON')
    .action((lines: string[], opts: Opts & { program?: string }) => testAction(lines, opts));
}
