/**
 * Reads a psad.conf as psad does (import_config, import_fw_search and
 * expand_vars in psad): `KEY value;` per line, the value running to the
 * FIRST `;` with anything after it a comment, `#` comment lines, the first
 * definition of a key winning (repeatable keys such as FW_MSG_SEARCH collect
 * every line), and `$NAME` expanding to another key's value wherever that is
 * defined, `$INSTALL_ROOT` of "/" expanding to nothing.
 *
 * Where psad silently skipped a line it could not read (no `;`, no value),
 * this is an error naming file, line and key: such a line is always a typo.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { KEYS } from './keys/index.js';

export interface PsadLine {
  key: string;
  /** The value as written, between the key and the first `;`. */
  raw: string;
  /** With every `$NAME` expanded. */
  value: string;
  line: number;
}

export interface PsadConf {
  file: string;
  /** The definitions psad uses, in file order: the first per key, every line of a repeatable key. */
  lines: PsadLine[];
  /** Later definitions of a once-only key, which psad ignores. */
  shadowed: PsadLine[];
}

const KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VAR_RE = /\$(\w+)/g;

/** psad's keys with many lines, and tsad's (REPUTATION_FEED, GEOIP_DB...). */
function isRepeatable(key: string): boolean {
  return key === 'FW_MSG_SEARCH' || KEYS[key]?.repeatable === true;
}

/** A `...Cmd` line with a path is a program location in psad, not a variable. */
function isCommand(key: string, raw: string): boolean {
  return key.endsWith('Cmd') && raw.includes('/');
}

function splitLines(text: string, file: string): { lines: PsadLine[]; shadowed: PsadLine[] } {
  const lines: PsadLine[] = [];
  const shadowed: PsadLine[] = [];
  const seen = new Set<string>();
  const all = text.split('\n');
  for (let i = 0; i < all.length; i++) {
    const line = (all[i] ?? '').replace(/\r$/, '');
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const m = /^(\S+?)(;|\s+|$)(.*)$/.exec(t) as RegExpExecArray;
    const key = m[1] as string;
    if (!KEY_RE.test(key)) throw new ConfigError(file, i + 1, '', `cannot read line "${short(t)}": expected "KEY value;"`);
    if (m[2] === ';' || (m[2] === '' && m[3] === '')) throw new ConfigError(file, i + 1, key, 'missing value (psad skips such a line)');
    const semi = (m[3] as string).indexOf(';');
    if (semi < 0) throw new ConfigError(file, i + 1, key, 'missing ";" at the end of the value (psad skips such a line)');
    const entry: PsadLine = { key, raw: (m[3] as string).slice(0, semi).trim(), value: '', line: i + 1 };
    if (seen.has(key) && !isRepeatable(key)) shadowed.push(entry);
    else lines.push(entry);
    seen.add(key);
  }
  return { lines, shadowed };
}

function insideQuotes(s: string, at: number): boolean {
  let quoted = false;
  for (let i = 0; i < at; i++) if (s.charCodeAt(i) === 34) quoted = !quoted;
  return quoted;
}

/** Expands every value; psad's order-free expansion, with loops and unknown names reported. */
function expandAll(lines: PsadLine[], file: string): void {
  const vars = new Map<string, PsadLine>();
  for (const l of lines) if (!vars.has(l.key) && !isCommand(l.key, l.raw)) vars.set(l.key, l);
  const done = new Map<string, string>();
  const expand = (l: PsadLine, stack: string[]): string => {
    return l.raw.replace(VAR_RE, (whole: string, name: string, offset: number, s: string) => {
      const def = vars.get(name);
      if (def === undefined) {
        const tsad = KEYS[name];
        if (tsad !== undefined && !tsad.repeatable) return tsad.format(tsad.default);
        // psad's REPUTATION_FEED commands carry $LOCAL_FILE for the program that runs them.
        if (insideQuotes(s, offset)) return whole;
        throw new ConfigError(file, l.line, l.key, `unknown variable $${name} (not defined in this file)`);
      }
      if (stack.includes(name)) throw new ConfigError(file, l.line, l.key, `variable loop: $${[...stack, name].join(' -> $')}`);
      let v = done.get(name);
      if (v === undefined) {
        v = expand(def, [...stack, name]);
        done.set(name, v);
      }
      return name === 'INSTALL_ROOT' && v === '/' ? '' : v;
    });
  };
  for (const l of lines) l.value = expand(l, isCommand(l.key, l.raw) ? [] : [l.key]);
}

/** Parses psad.conf text; throws ConfigError naming file, line and key. */
export function parsePsadConf(text: string, file: string): PsadConf {
  const { lines, shadowed } = splitLines(text, file);
  expandAll(lines, file);
  for (const s of shadowed) s.value = s.raw;
  return { file, lines, shadowed };
}

/** Reads a psad.conf file; an unreadable file is a ConfigError on line 0. */
export function readPsadConf(path: string): PsadConf {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, 0, '', `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parsePsadConf(text, path);
}

function short(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
