/**
 * Renders the key registry as the commented etc/tsad.conf (`config dump`
 * prints the same with current values). scripts in the tests compare the
 * shipped file to this output so the two never drift.
 */
import { SECTIONS, KEYS, type Config } from './keys/index.js';
import { defaultConfig } from './load.js';

function wrap(text: string, width: number, lead: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const word of text.split(/\s+/)) {
    if (cur !== '' && lead.length + cur.length + 1 + word.length > width) {
      out.push(lead + cur);
      cur = word;
    } else cur = cur === '' ? word : `${cur} ${word}`;
  }
  if (cur !== '') out.push(lead + cur);
  return out;
}

function valueLines(key: string, value: unknown): string[] {
  const def = KEYS[key];
  if (!def) return [];
  if (def.repeatable) {
    const vals = value as readonly string[];
    if (vals.length === 0) return [`#${key}    ...;`];
    return vals.map((v) => `${key}    ${/[;#\s]/.test(v) && !v.startsWith('"') ? `"${v}"` : v};`);
  }
  const text = def.format(value);
  // Secrets are not printed by `config dump` (they stay in the file only).
  if (key.endsWith('_PASS') && text !== '' && value !== def.default) return [`${key}    "********";`];
  return [`${key}    ${text === '' ? '""' : text};`];
}

/** The full commented configuration text for `config` (defaults when omitted). */
export function renderConfig(config?: Config, header = true): string {
  const lines: string[] = [];
  if (header) {
    lines.push(
      '# tsad.conf: configuration of tsad, the port-scan attack detector.',
      '#',
      '# Syntax (the same as psad.conf): one "KEY value;" per line, "#" starts a',
      '# comment, "$KEY" expands to the value of another key. Every key is listed',
      '# here with its built-in default: tsad with no -c option behaves exactly as',
      '# with this file. See tsad.conf(5) for details and the differences from psad.',
      '',
    );
  }
  const defaults = defaultConfig() as Record<string, unknown>;
  for (const section of SECTIONS) {
    lines.push(`### ${section.title}`, '');
    for (const [key, def] of Object.entries(section.keys)) {
      lines.push(...wrap(def.doc, 78, '# '));
      // A value equal to the default is written as the default is (keeping `$HOME_NET` references).
      const given = config ? (config as Record<string, unknown>)[key] : def.default;
      const value = def.format(given) === def.format(defaults[key]) ? def.default : given;
      lines.push(...valueLines(key, value), '');
    }
  }
  return lines.join('\n');
}
