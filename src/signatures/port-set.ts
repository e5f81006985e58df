/**
 * Port fields of rule headers: `any`, `N`, `N:M`, `N:`, `:M`, `<N`-style
 * comparisons, `!...`, `[a,b]` lists and `$VARS` (HTTP_PORTS ...).
 */
import { inRange, parseIntRange } from './int-range.js';
import { expandList } from './list-syntax.js';
import type { IntRange } from './rule.js';
import type { VarTable } from './vars.js';

export interface PortSet {
  readonly text: string;
  readonly allPos: boolean;
  readonly none: boolean;
  readonly pos: readonly IntRange[];
  readonly neg: readonly IntRange[];
}

export const ANY_PORT: PortSet = { text: 'any', allPos: true, none: false, pos: [], neg: [] };

export function parsePortSet(text: string, vars: VarTable, what: string): PortSet {
  const pos: IntRange[] = [];
  const neg: IntRange[] = [];
  let anyPos = false;
  let none = false;
  for (const item of expandList(text, vars, what)) {
    if (item.text === 'any') {
      if (item.neg) none = true;
      else anyPos = true;
      continue;
    }
    // A range that is itself negated (`!1:1024` inside a var) arrives as neg with a plain range.
    const r = parseIntRange(item.text, 0, 65535, what);
    const flip = r.neg !== item.neg;
    const plain: IntRange = { lo: r.lo, hi: r.hi, neg: false, text: r.text };
    (flip ? neg : pos).push(plain);
  }
  const allPos = anyPos || pos.length === 0;
  return { text, allPos, none, pos: allPos ? [] : pos, neg };
}

/** True when the set matches every port. */
export function isAnyPort(s: PortSet): boolean {
  return s.allPos && !s.none && s.neg.length === 0;
}

export function portIn(set: PortSet, port: number): boolean {
  if (set.none) return false;
  for (let i = 0; i < set.neg.length; i++) if (inRange(set.neg[i] as IntRange, port)) return false;
  if (set.allPos) return true;
  for (let i = 0; i < set.pos.length; i++) if (inRange(set.pos[i] as IntRange, port)) return true;
  return false;
}

/**
 * The ports a set matches when it is a short positive list (for the index),
 * null when it is wide, negated or `any`.
 */
export function finitePorts(set: PortSet, limit: number): number[] | null {
  if (set.none) return [];
  if (set.allPos || set.neg.length > 0) return null;
  let count = 0;
  for (const r of set.pos) count += r.hi - r.lo + 1;
  if (count > limit) return null;
  const out = new Set<number>();
  for (const r of set.pos) for (let p = r.lo; p <= r.hi; p++) out.add(p);
  return [...out];
}
