/**
 * Integer comparisons of the rule language (ttl, id, dsize, ports, ...):
 * `N`, `!N`, `<N`, `>N`, `<=N`, `>=N`, `=N`, ranges `N:M` `N:` `:M` (psad, ports),
 * `N-M` `N-` `-M` (Snort 2 ttl), `N<>M` (exclusive, Snort) and `N<=>M`
 * (inclusive, Snort 3), with `!` before a range to negate it.
 * Everything becomes one inclusive range so matching is two comparisons.
 */
import { RuleError } from './rule-error.js';
import type { IntRange } from './rule.js';

const NUM = /^\d{1,10}$/;

function num(s: string, min: number, max: number, what: string): number {
  const t = s.trim();
  if (!NUM.test(t)) throw new RuleError(`${what}: "${s}" is not a whole number`);
  const n = Number(t);
  if (n < min || n > max) throw new RuleError(`${what}: ${n} is out of range ${min}..${max}`);
  return n;
}

function range(lo: number, hi: number, neg: boolean, text: string, what: string): IntRange {
  if (lo > hi) throw new RuleError(`${what}: "${text}" is an empty range`);
  return { lo, hi, neg, text };
}

/** Parses one comparison; `what` names the option in error messages. */
export function parseIntRange(raw: string, min: number, max: number, what: string): IntRange {
  const text = raw.trim();
  let s = text.replace(/\s+/g, '');
  let neg = false;
  if (s.startsWith('!')) {
    neg = true;
    s = s.slice(1);
  }
  if (s === '') throw new RuleError(`${what}: missing value`);
  const n = (t: string) => num(t, min, max, what);
  const two = (sep: string): [string, string] | null => {
    const i = s.indexOf(sep);
    return i < 0 ? null : [s.slice(0, i), s.slice(i + sep.length)];
  };
  let p: [string, string] | null;
  if ((p = two('<=>'))) return range(n(p[0]), n(p[1]), neg, text, what);
  if ((p = two('<>'))) return range(n(p[0]) + 1, n(p[1]) - 1, neg, text, what);
  if (s.startsWith('<=')) return range(min, n(s.slice(2)), neg, text, what);
  if (s.startsWith('>=')) return range(n(s.slice(2)), max, neg, text, what);
  if (s.startsWith('<')) return range(min, n(s.slice(1)) - 1, neg, text, what);
  if (s.startsWith('>')) return range(n(s.slice(1)) + 1, max, neg, text, what);
  if (s.startsWith('=')) s = s.slice(1);
  for (const sep of [':', '-']) {
    if ((p = two(sep))) {
      const lo = p[0] === '' ? min : n(p[0]);
      const hi = p[1] === '' ? max : n(p[1]);
      if (p[0] === '' && p[1] === '') throw new RuleError(`${what}: "${text}" has no bounds`);
      return range(lo, hi, neg, text, what);
    }
  }
  const v = n(s);
  return range(v, v, neg, text, what);
}

/** True when `v` satisfies the comparison. */
export function inRange(r: IntRange, v: number): boolean {
  return (v >= r.lo && v <= r.hi) !== r.neg;
}
