/**
 * `tsad signatures check|list|test|import`: validate rule files (and replay
 * their `# fires:` / `# quiet:` examples), list the loaded rules, explain
 * which rules fire on a log line and why, and convert Snort/Suricata rules.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../../config/keys/index.js';
import { loadConfig } from '../../config/load.js';
import { TrafficClassifier } from '../../detect/index.js';
import { createParseContext, parseLine } from '../../parse/index.js';
import { escapeLines } from '../../text/escape.js';
import type { Packet } from '../../model/packet.js';
import {
  formatProblem, importRules, loadSignatureSet, readRuleSources, replayExamples, signaturePaths,
  type Explanation, type RuleProblem, type SignatureSet,
} from '../../signatures/index.js';
import { UsageError } from '../usage-error.js';

interface CommonOpts {
  config?: string;
  signatures?: string;
}

/** A line of output; rule and log text in it has its control characters escaped. */
function out(s: string): void {
  const t = escapeLines(s);
  process.stdout.write(t.endsWith('\n') ? t : `${t}\n`);
}

/** Config with signature matching on (check/list/test look at the rules even when ENABLE_SIGNATURES is N). */
function configFor(opts: CommonOpts): Config {
  return { ...loadConfig(opts.config), ENABLE_SIGNATURES: true };
}

function load(opts: CommonOpts, path?: string): { set: SignatureSet; problems: RuleProblem[]; paths: string[]; cfg: Config } {
  const cfg = configFor(opts);
  const paths = signaturePaths(cfg, path ?? opts.signatures);
  return { ...loadSignatureSet({ paths, cfg }), paths, cfg };
}

function toPacket(line: string, ctx = createParseContext()): Packet | string {
  const p = parseLine(line, ctx);
  if (p === null) return 'not a netfilter LOG line';
  return typeof p === 'string' ? `the line is skipped (${p})` : p;
}

function checkAction(path: string | undefined, opts: CommonOpts): void {
  const { set, problems, paths } = load(opts, path);
  const ctx = createParseContext();
  const all = [...problems, ...replayExamples(readRuleSources(paths).sources, (line) => toPacket(line, ctx))];
  for (const p of all) out(formatProblem(p));
  const errors = all.filter((p) => !p.skipped).length;
  out(`${set.size} rules loaded from ${paths.join(', ')}; ${all.length - errors} skipped; ${errors} errors`);
  if (errors > 0) throw new Error(`${errors} rule${errors === 1 ? '' : 's'} or example${errors === 1 ? '' : 's'} failed (see above)`);
}

function listAction(opts: CommonOpts & { json?: boolean }): void {
  const { set } = load(opts);
  const rules = set.rules();
  if (opts.json) {
    out(JSON.stringify(rules.map((r) => ({ sid: r.sid, psadId: r.psadId, msg: r.msg, dl: r.dl, dlSource: r.dlSource, proto: r.proto, classtype: r.classtype, file: r.file, line: r.line, rule: r.text })), null, 2));
    return;
  }
  out(`${'SID'.padEnd(8)} DL  ${'PROTO'.padEnd(7)} MESSAGE`);
  for (const r of rules) out(`${String(r.sid).padEnd(8)} ${String(r.dl).padEnd(3)} ${r.proto.padEnd(7)} ${r.msg}`);
  out(`${rules.length} rules`);
}

/** Why a packet of this kind is counted but not scored (tsad(8), "What is not a scan"). */
const NOT_SCORED: Readonly<Record<string, string>> = {
  reply: 'it answers traffic this side sent (IGNORE_REPLIES)',
  backscatter: 'a SYN-ACK, RST or ICMP error from outside that answers nothing this side sent (IGNORE_REPLIES)',
  'conntrack-leftover': 'a late packet of a real connection (IGNORE_CONNTRACK_BUG_PKTS)',
  'own-traffic': 'this host\'s or an inside host\'s own connection (IGNORE_OWN_TRAFFIC, IGNORE_REPLIES)',
  'lan-discovery': 'LAN discovery chatter (IGNORE_LAN_DISCOVERY)',
};

/** What a matching rule of this role does to the level (tsad-signatures(5), DANGER LEVELS). */
const ROLE_NOTE: Readonly<Record<string, string>> = {
  label: ' [label: names, no level]',
  service: ' [service: its level needs scan evidence]',
  anomaly: ' [anomaly: level 1 for a single packet]',
};

function renderExplanation(e: Explanation): string[] {
  const where = e.rule ? ` (${e.rule.file}:${e.rule.line})` : '';
  const role = e.rule === null ? '' : (ROLE_NOTE[e.rule.role] ?? '');
  const lines = [`${e.matched ? 'FIRES' : 'quiet'}  sid ${e.sid}  DL ${e.dl}${role}  ${e.msg}${where}`];
  for (const c of e.checks) lines.push(`    ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  return lines;
}

function testAction(lines: string[], opts: CommonOpts & { json?: boolean; all?: boolean }): void {
  const { set, cfg } = load(opts);
  const ctx = createParseContext();
  // Lines are read in order, as in a log: an earlier outbound line makes a later answer a reply.
  const traffic = new TrafficClassifier(cfg);
  const results: unknown[] = [];
  for (const line of lines) {
    const p = toPacket(line, ctx);
    if (typeof p === 'string') throw new UsageError(`${p}: ${line.slice(0, 80)}`);
    const skip = traffic.classify(p);
    const explained = set.explain(p);
    const fired = explained.filter((e) => e.matched);
    if (opts.json) {
      results.push({ line, direction: p.dir, notScored: skip, hits: set.match(p) ?? [], candidates: explained.map((e) => ({ sid: e.sid, msg: e.msg, dl: e.dl, role: e.rule?.role ?? 'level', matched: e.matched, checks: e.checks })) });
      continue;
    }
    out(`${p.proto} ${p.src}${p.sport >= 0 ? `:${p.sport}` : ''} -> ${p.dst}${p.dport >= 0 ? `:${p.dport}` : ''} (${explained.length} candidate rules of ${set.size})`);
    out(`direction: ${p.dir}${skip === null ? '' : `; not scored (${skip}): ${NOT_SCORED[skip] ?? skip}, so no signature is applied to it`}`);
    for (const e of opts.all ? explained : fired) for (const l of renderExplanation(e)) out(l);
    if (!opts.all) {
      for (const e of explained.filter((x) => !x.matched)) out(`quiet  sid ${e.sid}: ${e.checks.find((c) => !c.ok)?.name ?? '?'} (${e.checks.find((c) => !c.ok)?.detail ?? ''})`);
    }
    const top = fired.reduce<Explanation | null>((a, e) => (a === null || e.dl > a.dl ? e : a), null);
    const role = top?.rule?.role ?? 'level';
    const level = `${role === 'level' ? 'danger level' : 'rule level'} ${top?.dl ?? 0}${ROLE_NOTE[role] ?? ''}`;
    out(fired.length === 0 ? 'no signature fires' : fired.length === 1 ? `1 signature fires; ${level}` : `${fired.length} signatures fire; ${level}`);
  }
  if (opts.json) out(JSON.stringify(lines.length === 1 ? results[0] : results, null, 2));
}

function importAction(file: string, opts: { config?: string; output?: string; verbose?: boolean }): void {
  const result = importRules([file], loadConfig(opts.config));
  if (result.problems.some((p) => p.line === 0)) throw new Error(result.problems.map(formatProblem).join('\n'));
  if (opts.output) writeFileSync(opts.output, result.text);
  else process.stdout.write(result.text);
  const report = (s: string) => (opts.output ? out(s) : process.stderr.write(`${s}\n`));
  const left = result.problems.length;
  report(`imported ${result.rules.length} of ${result.rules.length + left} rules from ${file}${opts.output ? ` into ${opts.output}` : ''}`);
  const reasons: Record<string, string> = {
    payload: 'needs packet payload (content, pcre, ...)', 'flow-state': 'needs flow state (flowbits, ...)', rate: 'needs rate tracking (threshold, detection_filter)',
    'app-layer': 'application-layer protocol', action: 'pass/activate/dynamic rule', unsupported: 'unsupported option', error: 'cannot be read',
  };
  for (const [k, n] of Object.entries(result.counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) report(`  left out ${String(n).padStart(6)}  ${reasons[k] ?? k}`);
  for (const p of result.problems) if (!p.skipped || opts.verbose) report(formatProblem(p));
}

export function registerSignatures(program: Command): void {
  const cmd = program.command('signatures').description('check, list, test and import signature rules (tsad-signatures(5))');
  const common = (c: Command) => c
    .option('-c, --config <file>', 'configuration file (default: built-in defaults)')
    .option('--signatures <path>', 'signature files or directories, comma separated (default: SIGNATURES_PATH)');
  common(cmd.command('check').argument('[path]', 'rule file or directory (default: --signatures or SIGNATURES_PATH)')
    .description('load the rules, report every rule that cannot be read or is skipped (file:line: reason), replay the "# fires:"/"# quiet:" examples; exit 1 on errors'))
    .action((path: string | undefined, opts: CommonOpts) => checkAction(path, opts));
  common(cmd.command('list').description('list the loaded rules with sid, danger level and message'))
    .option('--json', 'print the rules as JSON')
    .action((opts: CommonOpts & { json?: boolean }) => listAction(opts));
  common(cmd.command('test').argument('<line...>', 'netfilter LOG lines (quote each one)')
    .description('explain which rules fire on a log line and why the others do not'))
    .option('--all', 'show every check of every candidate rule')
    .option('--json', 'print the explanation as JSON')
    .action((lines: string[], opts: CommonOpts & { json?: boolean; all?: boolean }) => testAction(lines, opts));
  cmd.command('import').argument('<file>', 'Snort or Suricata rules file')
    .description('convert the rules whose conditions a LOG line shows; report the others by reason')
    .option('-c, --config <file>', 'configuration file (for $VARIABLES)')
    .option('-o, --output <file>', 'write the converted rules here (default: standard output; the report then goes to standard error)')
    .option('-v, --verbose', 'list every skipped rule with file:line and reason')
    .action((file: string, opts: { config?: string; output?: string; verbose?: boolean }) => importAction(file, opts));
}
