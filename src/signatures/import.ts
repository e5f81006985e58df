/**
 * `tsad signatures import`: keeps the Snort/Suricata rules whose conditions
 * a LOG line shows (header plus the options tsad reads), writes them in
 * tsad's rule language, and reports every other rule with the reason.
 */
import type { Config } from '../config/keys/index.js';
import { buildRules } from './build-rules.js';
import { canonicalProto } from './compile-rule.js';
import type { RuleProblem } from './problems.js';
import { readRuleSources } from './rule-files.js';
import type { Rule } from './rule.js';
import { varsFromConfig } from './vars.js';

export interface ImportResult {
  /** The converted rules as a rules file. */
  readonly text: string;
  readonly rules: readonly Rule[];
  /** Skipped rules (skipped: true, with category) and unreadable ones (skipped: false). */
  readonly problems: readonly RuleProblem[];
  /** Number of rules left out per reason category ('error' for unreadable rules). */
  readonly counts: Readonly<Record<string, number>>;
}

/** Writes Suricata-only protocol spellings the way tsad reads them. */
function convert(rule: Rule): string {
  return rule.text.replace(/^(\s*\S+\s+)(\S+)/, (whole, lead: string, proto: string) => {
    const canon = canonicalProto(proto);
    return canon !== undefined && canon !== 'icmp6' && canon !== proto.toLowerCase() ? `${lead}${canon}` : whole;
  });
}

export function importRules(paths: readonly string[], cfg: Config): ImportResult {
  const read = readRuleSources(paths);
  // snort_rule_dl does not apply: the output keeps each rule's own level.
  const built = buildRules(read.sources, varsFromConfig(cfg), new Map());
  const problems = [...read.problems, ...built.problems];
  const counts: Record<string, number> = {};
  for (const p of problems) {
    const k = p.skipped ? (p.category ?? 'other') : 'error';
    counts[k] = (counts[k] ?? 0) + 1;
  }
  const rules = built.rules.map((r) => r.rule);
  const lines = [
    `# Converted by "tsad signatures import" from ${paths.join(', ')}.`,
    `# ${rules.length} rules kept; ${problems.length} left out (see the import report).`,
    '',
  ];
  for (const r of rules) lines.push(`# from ${r.file}:${r.line}`, convert(r));
  return { text: `${lines.join('\n')}\n`, rules, problems, counts };
}
