/**
 * Rule sources to compiled rules: compile each, give it its danger level,
 * and apply psad's id rules (a sid or psad_id used twice, or a sid equal to
 * another rule's psad_id) by reporting the later rule instead of dying.
 */
import type { SignatureHit } from '../model/signature.js';
import { AFTER_PROTOCOL, checkProgram, checksFor, withoutFlags } from './checks.js';
import { classtypePriority, dlFromPriority } from './classtype.js';
import { compileRuleText, type CompiledText } from './compile-rule.js';
import type { RuleProblem } from './problems.js';
import type { RuleSource } from './rule-files.js';
import { RuleError, RuleSkip } from './rule-error.js';
import type { BitsCond, CompiledRule, DlSource, Rule } from './rule.js';
import type { VarTable } from './vars.js';

function danger(t: CompiledText, sid: number, overrides: ReadonlyMap<number, number>): { dl: number; dlSource: DlSource } {
  const o = t.opts;
  const override = overrides.get(sid) ?? (o.psadId !== null ? overrides.get(o.psadId) : undefined);
  if (override !== undefined) return { dl: override, dlSource: 'snort_rule_dl' };
  if (o.psadDl !== null) return { dl: o.psadDl, dlSource: 'psad_dl' };
  if (o.priority !== null) return { dl: dlFromPriority(o.priority), dlSource: 'priority' };
  const p = classtypePriority(o.classtype);
  if (p !== null) return { dl: dlFromPriority(p), dlSource: 'classtype' };
  return { dl: 2, dlSource: 'default' };
}

function toRule(src: RuleSource, t: CompiledText, overrides: ReadonlyMap<number, number>): Rule {
  const o = t.opts;
  const sid = (o.sid ?? o.psadId) as number;
  const classtype = o.classtype;
  const priority = o.priority ?? classtypePriority(classtype);
  return {
    file: src.file, line: src.line, text: src.text, action: t.action, proto: t.cond.proto,
    sid, sidIsPsadId: o.sid === null, psadId: o.psadId, msg: o.msg as string, rev: o.rev, classtype, priority,
    references: o.references, metadata: o.metadata, derivedSids: o.derivedSids, ...danger(t, sid, overrides), role: o.role,
  };
}

export function compileOne(src: RuleSource, vars: VarTable, overrides: ReadonlyMap<number, number>, ord: number): CompiledRule {
  const t = compileRuleText(src.text, vars);
  const rule = toRule(src, t, overrides);
  const hit: SignatureHit = Object.freeze({ sid: rule.sid, msg: rule.msg, dl: rule.dl, classtype: rule.classtype, role: rule.role });
  const checks = checksFor(t.cond);
  const pre = flagPrefilter(t.cond.flags);
  const fastChecks = pre.decides && t.cond.proto === 'tcp' ? withoutFlags(checks) : checks;
  const program = checkProgram(fastChecks, AFTER_PROTOCOL, t.cond);
  return { rule, cond: t.cond, ord, checks, fastChecks, program, hit, flagMask: pre.flagMask, flagWant: pre.flagWant };
}

/**
 * The part of a `flags` condition that one mask test can decide; `decides`
 * when the test is the whole condition (exact mode; `+` mode when no named
 * bit is also ignored), so that match() can drop the flags check.
 */
function flagPrefilter(f: BitsCond | null): { flagMask: number; flagWant: number; decides: boolean } {
  if (f === null) return { flagMask: 0, flagWant: 0, decides: false };
  if (f.mode === '') return { flagMask: 0xff & ~f.ignore, flagWant: f.bits, decides: true };
  if (f.mode === '+') return { flagMask: f.bits & ~f.ignore, flagWant: f.bits & ~f.ignore, decides: (f.bits & f.ignore) === 0 };
  return { flagMask: 0, flagWant: 0, decides: false };
}

/** The sid a rule text declares, for problem reports of rules that fail later. */
function declaredSid(text: string): number | undefined {
  const m = /[(;]\s*(?:sid|psad_id)\s*:\s*(\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

export function buildRules(sources: readonly RuleSource[], vars: VarTable, overrides: ReadonlyMap<number, number>): { rules: CompiledRule[]; problems: RuleProblem[] } {
  const rules: CompiledRule[] = [];
  const problems: RuleProblem[] = [];
  const owner = new Map<number, string>();
  for (const src of sources) {
    const sid = declaredSid(src.text);
    const base = { file: src.file, line: src.line, ...(sid === undefined ? {} : { sid }) };
    let c: CompiledRule;
    try {
      c = compileOne(src, vars, overrides, rules.length);
    } catch (err) {
      if (err instanceof RuleSkip) problems.push({ ...base, reason: err.message, skipped: true, category: err.category });
      else if (err instanceof RuleError) problems.push({ ...base, reason: err.message, skipped: false });
      else throw err;
      continue;
    }
    const ids = [...new Set([c.rule.sid, c.rule.psadId].filter((x): x is number => x !== null))];
    const clash = ids.find((id) => owner.has(id));
    if (clash !== undefined) {
      problems.push({ ...base, sid: c.rule.sid, reason: `id ${clash} is already used by ${owner.get(clash)}; rule not loaded`, skipped: false });
      continue;
    }
    for (const id of ids) owner.set(id, `${src.file}:${src.line}`);
    rules.push(c);
  }
  return { rules, problems };
}
