/**
 * Loads psad-syntax configuration: `KEY value;` per line, `#` comments,
 * `$VAR` expansion (from keys set earlier in the file or their defaults, and
 * from the environment for names that are not keys). With no file, the
 * built-in defaults are used; they are identical to the shipped etc/tsad.conf
 * (a test keeps the two in step).
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { KeyValueError } from './key-types.js';
import { KEYS, type Config } from './keys/index.js';

export interface ConfigEntry {
  key: string;
  raw: string;
  line: number;
}

/**
 * Throws `err`, or with a `problems` list collects it and lets the caller go
 * on with the next line (`tsad config check` reports every error at once).
 */
function fail(err: ConfigError, problems: ConfigError[] | undefined): void {
  if (problems === undefined) throw err;
  problems.push(err);
}

/** Splits config text into entries. Throws ConfigError for a line that is not `KEY value;` (or collects it in `problems`). */
export function parseConfigText(text: string, file: string, problems?: ConfigError[]): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$/.exec(line) ?? /^([A-Za-z_][A-Za-z0-9_]*)(;.*)$/.exec(line);
    if (!m) {
      fail(new ConfigError(file, i + 1, '', `cannot read line "${truncate(line)}": expected "KEY value;"`), problems);
      continue;
    }
    const key = m[1] as string;
    const rest = m[2] as string;
    const semi = findTerminator(rest);
    if (semi < 0) {
      fail(new ConfigError(file, i + 1, key, 'missing ";" at the end of the value'), problems);
      continue;
    }
    const after = rest.slice(semi + 1).trim();
    if (after !== '' && !after.startsWith('#')) {
      fail(new ConfigError(file, i + 1, key, `unexpected text after ";": "${truncate(after)}"`), problems);
      continue;
    }
    out.push({ key, raw: rest.slice(0, semi).trim(), line: i + 1 });
  }
  return out;
}

/** Edit distance with adjacent transpositions (optimal string alignment), for "did you mean". */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const up = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The key a misspelt one most likely meant (EMAIL_ADRESSES -> EMAIL_ADDRESSES), or null when none is close. */
export function nearestKey(key: string): string | null {
  const up = key.toUpperCase();
  if (up !== key && KEYS[up] !== undefined) return up;
  let best: string | null = null;
  let bestD = Infinity;
  for (const k of Object.keys(KEYS)) {
    const d = editDistance(up, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  // Close enough to be a typo: a few edits, well under the key's length.
  return bestD <= Math.min(3, Math.floor(up.length / 4)) ? best : null;
}

/** Index of the `;` ending the value, skipping any inside double quotes. */
function findTerminator(s: string): number {
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 34 /* " */) quoted = !quoted;
    else if (c === 59 /* ; */ && !quoted) return i;
  }
  return -1;
}

const VAR_RE = /\$([A-Za-z_][A-Za-z0-9_]*)/g;

export interface LoadOptions {
  /** Keys that are not tsad keys are collected here instead of failing (psad import). */
  unknownKeys?: ConfigEntry[];
  /** Every error is collected here and the rest of the file is still read (config check); the result is then incomplete. */
  problems?: ConfigError[];
}

/** Builds a Config from entries: defaults first, then each entry parsed and validated. */
export function buildConfig(entries: readonly ConfigEntry[], file: string, opts: LoadOptions = {}): Config {
  const values: Record<string, unknown> = {};
  const rawByKey = new Map<string, string>();
  const seen = new Map<string, number>();
  for (const [k, def] of Object.entries(KEYS)) rawByKey.set(k, def.format(def.default));

  const expand = (e: ConfigEntry): string => {
    let v = e.raw;
    for (let round = 0; round < 20 && v.includes('$'); round++) {
      const before = v;
      v = v.replace(VAR_RE, (m, name: string, offset: number, whole: string) => {
        const known = rawByKey.get(name) ?? process.env[name];
        if (known !== undefined) return known;
        // Inside double quotes an unknown $NAME is left for the program that uses the
        // value (psad's REPUTATION_FEED commands carry $LOCAL_FILE); elsewhere it is a mistake.
        if (insideQuotes(whole, offset)) return m;
        throw new ConfigError(file, e.line, e.key, `unknown variable $${name}${hint(name)}`);
      });
      if (v === before) break;
    }
    return v;
  };

  for (const e of entries) {
    const def = KEYS[e.key];
    if (def === undefined) {
      if (opts.unknownKeys) { opts.unknownKeys.push(e); continue; }
      const near = nearestKey(e.key);
      fail(new ConfigError(file, e.line, e.key, `unknown key${near === null ? ' (see tsad.conf(5) for the list of keys)' : ` (did you mean ${near}?)`}`), opts.problems);
      continue;
    }
    let expanded: string;
    let parsed: unknown;
    try {
      expanded = expand(e);
      parsed = def.parse(expanded);
    } catch (err) {
      if (err instanceof KeyValueError) fail(new ConfigError(file, e.line, e.key, err.message), opts.problems);
      else if (err instanceof ConfigError) fail(err, opts.problems);
      else throw err;
      continue;
    }
    if (def.repeatable) {
      // The first occurrence replaces the default list; later ones append.
      const prev = seen.has(e.key) ? (values[e.key] as unknown[]) : [];
      values[e.key] = [...prev, ...(parsed as unknown[])];
      rawByKey.set(e.key, expanded);
    } else {
      const before = seen.get(e.key);
      if (before !== undefined) {
        fail(new ConfigError(file, e.line, e.key, `already set on line ${before}`), opts.problems);
        continue;
      }
      values[e.key] = parsed;
      rawByKey.set(e.key, expanded);
    }
    seen.set(e.key, e.line);
  }
  for (const [k, def] of Object.entries(KEYS)) {
    if (k in values) continue;
    const text = def.format(def.default);
    // A default that refers to another key ($HOME_NET) is expanded like a file value, so
    // the built-in defaults and the shipped etc/tsad.conf give the same Config.
    values[k] = !def.repeatable && text.includes('$') ? def.parse(expand({ key: k, raw: text, line: 0 })) : def.default;
  }
  return Object.freeze(values) as Config;
}

/** The built-in defaults (identical to the shipped etc/tsad.conf). */
export function defaultConfig(): Config {
  return buildConfig([], '(defaults)');
}

/** Reads and validates a config file; throws ConfigError naming file, line and key (or collects them in opts.problems). */
export function loadConfigFile(path: string, opts: LoadOptions = {}): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, 0, '', `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return buildConfig(parseConfigText(text, path, opts.problems), path, opts);
}

/** Every problem of a config file, in line order (empty: it loads). Throws only when the file cannot be read. */
export function checkConfigFile(path: string): ConfigError[] {
  const problems: ConfigError[] = [];
  loadConfigFile(path, { problems });
  return problems.sort((a, b) => a.line - b.line);
}

/**
 * Where the configuration comes from when no -c is given: the built-in
 * defaults, or (`tsad --psad-conf FILE`) a loader that re-reads a psad.conf
 * each time, so a daemon reload sees the edited file.
 */
let defaultLoader: () => Config = defaultConfig;

export function setDefaultConfigLoader(loader: () => Config): void {
  defaultLoader = loader;
}

/** `-c FILE` when given, the default loader otherwise. */
export function loadConfig(path: string | undefined): Config {
  return path === undefined ? defaultLoader() : loadConfigFile(path);
}

/** " (did you mean KEY?)" for a $NAME that is close to a key. */
function hint(name: string): string {
  const near = nearestKey(name);
  return near === null || near === name ? '' : ` (did you mean $${near}?)`;
}

function insideQuotes(s: string, at: number): boolean {
  let quoted = false;
  for (let i = 0; i < at; i++) if (s.charCodeAt(i) === 34) quoted = !quoted;
  return quoted;
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
