/**
 * The list syntax shared by address and port fields: items separated by
 * commas, `[...]` groups, `!` negation (of an item or a group) and `$VAR`
 * references, expanded recursively. The result is a flat list of signed
 * items: a negated group negates each member, as Snort does.
 */
import { RuleError } from './rule-error.js';
import type { VarTable } from './vars.js';

export interface SignedItem {
  readonly text: string;
  readonly neg: boolean;
}

const MAX_DEPTH = 8;

/** Splits at top-level commas (commas inside brackets stay). */
function splitTop(s: string, what: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '[') depth++;
    else if (c === ']') {
      if (--depth < 0) throw new RuleError(`${what}: unbalanced "]" in "${s}"`);
    } else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw new RuleError(`${what}: unbalanced "[" in "${s}"`);
  out.push(s.slice(start));
  return out;
}

/** Expands `text` into signed items; `what` names the field in error messages. */
export function expandList(text: string, vars: VarTable, what: string): SignedItem[] {
  const out: SignedItem[] = [];
  const walk = (s: string, neg: boolean, depth: number, via: string): void => {
    if (depth > MAX_DEPTH) throw new RuleError(`${what}: variables nest too deeply (loop through ${via}?)`);
    for (const part of splitTop(s, what)) {
      let t = part.trim();
      let n = neg;
      while (t.startsWith('!')) {
        n = !n;
        t = t.slice(1).trim();
      }
      if (t === '') throw new RuleError(`${what}: empty item in "${text}"`);
      if (t.startsWith('[')) {
        if (!t.endsWith(']')) throw new RuleError(`${what}: "${t}" has text after "]"`);
        walk(t.slice(1, -1), n, depth + 1, via);
      } else if (t.startsWith('$')) {
        const name = t.slice(1);
        const v = vars.get(name);
        if (v === undefined) throw new RuleError(`${what}: unknown variable $${name}`);
        walk(v, n, depth + 1, `$${name}`);
      } else out.push({ text: t, neg: n });
    }
  };
  walk(text, false, 0, '');
  return out;
}
