/**
 * loadSignatureSet: rule files and directories (and psad `signatures` files)
 * plus snort_rule_dl, to an indexed SignatureSet and a list of problems.
 * Bad rules are reported with file:line and left out; the others load.
 */
import type { Config } from '../config/keys/index.js';
import { packageFile } from '../io/package-files.js';
import { buildRules } from './build-rules.js';
import type { RuleProblem } from './problems.js';
import { readRuleDl } from './rule-dl.js';
import { readRuleSources } from './rule-files.js';
import { SignatureSet } from './signature-set.js';
import { varsFromConfig } from './vars.js';

/** The word in SIGNATURES_PATH (and --signatures) that stands for the shipped rule set. */
export const SHIPPED = 'shipped';

/** The signatures/ directory of the installed package. */
export function shippedSignaturesDir(): string {
  return packageFile('signatures/');
}

/** Paths to read: `override` (comma separated, e.g. --signatures) or SIGNATURES_PATH, with "shipped" resolved. */
export function signaturePaths(cfg: Config, override?: string): string[] {
  const list = override === undefined ? cfg.SIGNATURES_PATH : override.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return list.map((p) => (p === SHIPPED ? shippedSignaturesDir() : p));
}

export interface LoadOptions {
  /** Files or directories of rules; "shipped" is the shipped set. */
  paths: string[];
  cfg: Config;
  /** snort_rule_dl file; default SNORT_RULE_DL_FILE (a missing default file means no overrides). */
  ruleDlFile?: string;
}

export function loadSignatureSet(opts: LoadOptions): { set: SignatureSet; problems: RuleProblem[] } {
  const { cfg } = opts;
  const dlFile = opts.ruleDlFile ?? cfg.SNORT_RULE_DL_FILE;
  const required = opts.ruleDlFile !== undefined;
  const dl = dlFile === '' ? { levels: new Map<number, number>(), problems: [] } : readRuleDl(dlFile, required);
  const problems: RuleProblem[] = [...dl.problems];
  let rules: ReturnType<typeof buildRules>['rules'] = [];
  if (cfg.ENABLE_SIGNATURES) {
    const paths = opts.paths.map((p) => (p === SHIPPED ? shippedSignaturesDir() : p));
    const read = readRuleSources(paths);
    const built = buildRules(read.sources, varsFromConfig(cfg), dl.levels);
    problems.push(...read.problems, ...built.problems);
    rules = built.rules;
  }
  const set = new SignatureSet(rules, { enabled: cfg.ENABLE_SNORT_SIDS, marker: cfg.SNORT_SID_STR, levels: dl.levels });
  return { set, problems };
}
