/**
 * Typed definitions of configuration keys. Every key has a default, a parser
 * from psad-style text, a formatter back to text (for `config dump` and the
 * generated etc/tsad.conf) and a doc string (for the man page).
 *
 * A parser throws KeyValueError with a message naming what is wrong; the
 * loader adds file, line and key.
 */

export class KeyValueError extends Error {}

export interface KeyDef<T> {
  readonly default: T;
  /** One or more sentences for the commented etc/tsad.conf and tsad.conf(5). */
  readonly doc: string;
  /** True when the key may appear many times; values accumulate in order. */
  readonly repeatable: boolean;
  /** psad's key of the same meaning, when the name differs or psad lacks it (for the migration table). */
  readonly psad?: string;
  parse(raw: string): T;
  format(value: T): string;
}

export type KeyTable = Record<string, KeyDef<unknown>>;
export type ValueOf<D> = D extends KeyDef<infer T> ? T : never;

interface Extra {
  psad?: string;
}

export function int(def: number, doc: string, range: { min?: number; max?: number } = {}, extra: Extra & { validate?: (n: number) => string | null } = {}): KeyDef<number> {
  const min = range.min ?? 0;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const { validate, ...rest } = extra;
  return {
    default: def, doc, repeatable: false, ...rest,
    parse(raw) {
      if (!/^-?\d+$/.test(raw)) throw new KeyValueError(`expected a whole number, got "${raw}"`);
      const n = Number(raw);
      if (n < min || n > max) throw new KeyValueError(`value ${raw} is out of range ${min}..${max}`);
      const problem = validate?.(n);
      if (problem) throw new KeyValueError(problem);
      return n;
    },
    format: (v) => String(v),
  };
}

const YES = new Set(['Y', 'YES', 'TRUE', 'ON', '1']);
const NO = new Set(['N', 'NO', 'FALSE', 'OFF', '0']);

/** psad's Y/N switch (YES/NO, true/false, on/off also accepted). */
export function flag(def: boolean, doc: string, extra: Extra = {}): KeyDef<boolean> {
  return {
    default: def, doc, repeatable: false, ...extra,
    parse(raw) {
      const u = raw.toUpperCase();
      if (YES.has(u)) return true;
      if (NO.has(u)) return false;
      throw new KeyValueError(`expected Y or N, got "${raw}"`);
    },
    format: (v) => (v ? 'Y' : 'N'),
  };
}

export function str(def: string, doc: string, extra: Extra & { validate?: (v: string) => string | null } = {}): KeyDef<string> {
  const { validate, ...rest } = extra;
  return {
    default: def, doc, repeatable: false, ...rest,
    parse(raw) {
      const v = unquote(raw);
      const problem = validate?.(v);
      if (problem) throw new KeyValueError(problem);
      return v;
    },
    format: (v) => v,
  };
}

/** A comma separated list on one line; `NONE` (psad's convention) is the empty list. */
export function list(def: readonly string[], doc: string, extra: Extra & { validate?: (item: string) => string | null } = {}): KeyDef<readonly string[]> {
  const { validate, ...rest } = extra;
  return {
    default: def, doc, repeatable: false, ...rest,
    parse(raw) {
      if (raw === '' || raw.toUpperCase() === 'NONE') return [];
      const items = raw.split(',').map((s) => unquote(s.trim())).filter((s) => s !== '');
      for (const item of items) {
        const problem = validate?.(item);
        if (problem) throw new KeyValueError(problem);
      }
      return items;
    },
    format: (v) => (v.length === 0 ? 'NONE' : v.join(', ')),
  };
}

export function oneOf<const V extends string>(def: V, values: readonly V[], doc: string, extra: Extra = {}): KeyDef<V> {
  return {
    default: def, doc, repeatable: false, ...extra,
    parse(raw) {
      const v = unquote(raw);
      const hit = values.find((x) => x.toLowerCase() === v.toLowerCase());
      if (hit === undefined) throw new KeyValueError(`expected one of ${values.join(', ')}, got "${raw}"`);
      return hit;
    },
    format: (v) => v,
  };
}

/** A key that may be given many times (psad's FW_MSG_SEARCH, REPUTATION_FEED); each line adds one value. */
export function repeated(def: readonly string[], doc: string, extra: Extra & { validate?: (v: string) => string | null } = {}): KeyDef<readonly string[]> {
  const { validate, ...rest } = extra;
  return {
    default: def, doc, repeatable: true, ...rest,
    parse(raw) {
      const v = unquote(raw);
      const problem = validate?.(v);
      if (problem) throw new KeyValueError(problem);
      return [v];
    },
    format: (v) => v.join('\n'),
  };
}

function unquote(s: string): string {
  if (s.length >= 2 && ((s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")))) return s.slice(1, -1);
  return s;
}
