/** What loading reports about rules it could not read or chose to leave out. */
import type { SkipCategory } from './rule-error.js';

export interface RuleProblem {
  file: string;
  /** 1-based line of the rule (its first line when continued); 0 for the whole file. */
  line: number;
  reason: string;
  sid?: number;
  /**
   * true: the rule was read but left out on purpose (its conditions cannot be
   * seen in a LOG line, or a note such as a repeated snort_rule_dl entry).
   * false: the rule or line could not be read (a syntax error, a duplicate id).
   */
  skipped: boolean;
  /** Why a skipped rule was left out, for grouping in reports. */
  category?: SkipCategory;
}

/** `file:line: reason` as check and import print it. */
export function formatProblem(p: RuleProblem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}` : p.file;
  const sid = p.sid === undefined ? '' : ` (sid ${p.sid})`;
  return `${where}: ${p.skipped ? 'skipped' : 'error'}${sid}: ${p.reason}`;
}
