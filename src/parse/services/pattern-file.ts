/**
 * Users' service patterns: `*.conf` files in SERVICE_PATTERNS_DIR
 * (tsad-patterns(5)), read in name order. Each pattern is a section:
 *
 *   [vsftpd-login]                 the pattern's name (letters, digits, - _ .)
 *   service = vsftpd               whose ladder it climbs (SERVICE_DL_OTHER unless shipped)
 *   kind = failed-login            what a match means (shown in reports; default failed-login)
 *   program = vsftpd               syslog tags it reads, comma separated; prog/* a prefix; - raw lines
 *   match = [<USER>] FAIL LOGIN: Client "<HOST>"      a template (template.ts); repeatable, tried in order
 *
 * `#` starts a comment line. Any problem is a ConfigError naming file, line and key.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../config/errors.js';
import type { ServicePattern } from './pattern.js';
import { compileTemplate, type Template } from './template.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const SERVICE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const PROGRAM = /^[A-Za-z0-9_.@/-]{1,64}\*?$/;

interface Draft {
  name: string;
  line: number;
  service: string;
  kind: string;
  programs: string[];
  templates: Template[];
}

/** Patterns defined in one file's text; `taken` holds names already used (built-in or earlier files). */
export function parsePatternFile(file: string, text: string, taken: Set<string>): ServicePattern[] {
  const out: ServicePattern[] = [];
  let cur: Draft | null = null;
  const finish = (): void => {
    if (cur === null) return;
    const d: Draft = cur;
    if (d.service === '') throw new ConfigError(file, d.line, 'service', `pattern [${d.name}] has no "service ="`);
    if (d.templates.length === 0) throw new ConfigError(file, d.line, 'match', `pattern [${d.name}] has no "match ="`);
    out.push({ name: d.name, service: d.service, kind: d.kind, programs: d.programs.length > 0 ? d.programs : [''], templates: d.templates, origin: `${file}:${d.line}` });
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const no = i + 1;
    const raw = (lines[i] as string).replace(/\r$/, '');
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.startsWith('[')) {
      finish();
      if (!line.endsWith(']')) throw new ConfigError(file, no, '', `"${line}" is not a [name] section header`);
      const name = line.slice(1, -1).trim();
      if (!NAME.test(name)) throw new ConfigError(file, no, '', `"${name}" is not a pattern name (letters, digits, - _ . up to 64)`);
      if (taken.has(name)) throw new ConfigError(file, no, '', `pattern [${name}] is defined twice (or names a shipped pattern)`);
      taken.add(name);
      cur = { name, line: no, service: '', kind: 'failed-login', programs: [], templates: [] };
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new ConfigError(file, no, '', `expected "key = value" or a [name] header, got "${line}"`);
    const key = line.slice(0, eq).trim();
    // A template keeps its spaces; only the one after '=' is dropped.
    let value = raw.slice(raw.indexOf('=') + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (key !== 'match') value = value.trim();
    if (cur === null) throw new ConfigError(file, no, key, 'a key before the first [name] header');
    switch (key) {
      case 'service':
        if (!SERVICE.test(value)) throw new ConfigError(file, no, key, `"${value}" is not a service name (lowercase letters, digits, - _)`);
        cur.service = value;
        break;
      case 'kind':
        if (!SERVICE.test(value)) throw new ConfigError(file, no, key, `"${value}" is not a kind (lowercase letters, digits, - _)`);
        cur.kind = value;
        break;
      case 'program':
        for (const p of value.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
          if (p === '-') cur.programs.push('');
          else if (PROGRAM.test(p)) cur.programs.push(p);
          else throw new ConfigError(file, no, key, `"${p}" is not a syslog tag`);
        }
        break;
      case 'match':
        try {
          cur.templates.push(compileTemplate(value.replace(/\s+$/, '')));
        } catch (err) {
          throw new ConfigError(file, no, key, (err as Error).message);
        }
        break;
      default:
        throw new ConfigError(file, no, key, 'unknown key (expected service, kind, program or match)');
    }
  }
  finish();
  return out;
}

/** Patterns of every `*.conf` in dir, in name order; none when the directory does not exist. */
export function loadPatternDir(dir: string, taken: Set<string>): ServicePattern[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.conf')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ConfigError(dir, 0, 'SERVICE_PATTERNS_DIR', `cannot read: ${(err as Error).message}`);
  }
  const out: ServicePattern[] = [];
  for (const n of names) {
    const file = join(dir, n);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(file, 0, '', `cannot read: ${(err as Error).message}`);
    }
    out.push(...parsePatternFile(file, text, taken));
  }
  return out;
}
