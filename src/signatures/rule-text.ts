/**
 * Splits the text of one rule into header fields and `name:value` options.
 * Quoted values may hold `;` and `)`; a backslash escapes `;`, `"`, `:` and
 * itself (psad writes `kb\;EN-US`). Empty options (`flags:S;;`) are dropped.
 */
import { RuleError } from './rule-error.js';

export interface RawOption {
  readonly name: string;
  /** Unquoted, unescaped value; '' for a bare keyword such as `sameip`. */
  readonly value: string;
  readonly hasValue: boolean;
}

export interface RuleText {
  readonly header: string[];
  readonly options: RawOption[];
}

/** Header fields split at whitespace outside brackets. */
function splitHeader(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '[') depth++;
    else if (c === ']') depth--;
    if (depth === 0 && (c === ' ' || c === '\t')) {
      if (cur !== '') out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (depth !== 0) throw new RuleError(`unbalanced "[" or "]" in the header "${s}"`);
  if (cur !== '') out.push(cur);
  return out;
}

function parseOption(raw: string): RawOption | null {
  const s = raw.trim();
  if (s === '') return null;
  const colon = s.indexOf(':');
  if (colon < 0) return { name: s.toLowerCase(), value: '', hasValue: false };
  let value = s.slice(colon + 1).trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  value = value.replace(/\\(.)/g, '$1');
  return { name: s.slice(0, colon).trim().toLowerCase(), value, hasValue: true };
}

/** Splits the option body (the text between the parentheses). */
function splitOptions(body: string): RawOption[] {
  const out: RawOption[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ';' && !quoted) {
      const o = parseOption(body.slice(start, i));
      if (o) out.push(o);
      start = i + 1;
    }
  }
  if (quoted) throw new RuleError('unterminated quoted string in the options');
  const last = parseOption(body.slice(start));
  if (last) out.push(last);
  return out;
}

/** Index of the `)` closing the option list: the last one outside quotes. */
function closingParen(s: string, open: number): number {
  let quoted = false;
  let close = -1;
  for (let i = open + 1; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ')' && !quoted) close = i;
  }
  if (quoted) throw new RuleError('unterminated quoted string in the options');
  return close;
}

export function splitRule(text: string): RuleText {
  const open = text.indexOf('(');
  if (open < 0) throw new RuleError('missing "(" before the options');
  const close = closingParen(text, open);
  if (close < 0) throw new RuleError('missing ")" after the options');
  const rest = text.slice(close + 1).trim();
  // psad's own signatures file ends two rules with `);`, which psad accepts.
  if (rest !== '' && rest !== ';') throw new RuleError(`unexpected text after ")": "${rest.slice(0, 40)}"`);
  return { header: splitHeader(text.slice(0, open).trim()), options: splitOptions(text.slice(open + 1, close)) };
}
