/**
 * The signatures stage: psad/Snort rules matched against parsed packets.
 * See tsad-signatures(5) for the rule language.
 */
export { loadSignatureSet, shippedSignaturesDir, signaturePaths, SHIPPED, type LoadOptions } from './load.js';
export { SignatureSet, type CheckResult, type Explanation, type SidOptions } from './signature-set.js';
export { formatProblem, type RuleProblem } from './problems.js';
export type { Rule, RuleProto, DlSource } from './rule.js';
export type { SkipCategory } from './rule-error.js';
export { readRuleSources, splitRuleFile, type RuleSource } from './rule-files.js';
export { importRules, type ImportResult } from './import.js';
export { maxDl } from './hits.js';
export { exampleConfig, replayExamples, type LineReader } from './examples.js';
