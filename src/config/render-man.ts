/**
 * tsad.conf(5) generated from the key registry: every key with its default
 * and meaning, grouped by section. The hand-written parts (syntax, psad
 * differences) are included from man/tsad.conf.5.in.
 */
import { SECTIONS } from './keys/index.js';

/** Escapes text for man(7): backslashes, and a leading dot or quote. */
export function manEscape(s: string): string {
  const t = s.replace(/\\/g, '\\e').replace(/-/g, '\\-');
  return /^[.']/.test(t) ? `\\&${t}` : t;
}

function defaultText(text: string): string {
  return text === '' ? '(empty)' : text.replace(/\n/g, '; ');
}

/** Lets groff break a long default (an address list) after its commas. */
function breakable(escaped: string): string {
  return escaped.replace(/,/g, ',\\:');
}

/** The generated KEYS section (between markers in the template). */
export function renderKeySections(): string {
  // Left-aligned: long defaults (address lists) cannot be justified.
  const out: string[] = ['.ad l'];
  for (const section of SECTIONS) {
    const entries = Object.entries(section.keys);
    if (entries.length === 0) continue;
    out.push(`.SS ${manEscape(section.title)}`);
    for (const [key, def] of entries) {
      out.push('.TP', `.B ${key}`, `Default: \\fB${breakable(manEscape(defaultText(def.repeatable ? (def.default as string[]).join(', ') || '(none)' : def.format(def.default))))}\\fR${def.repeatable ? ' (may be given several times)' : ''}.`);
      out.push(manEscape(def.doc));
      if (def.psad && def.psad !== '(none)') out.push(`psad: ${manEscape(def.psad)}.`);
    }
  }
  out.push('.ad b');
  return out.join('\n');
}

export const KEYS_MARKER = '.\\" @KEYS@';

export function renderConfManPage(template: string): string {
  if (!template.includes(KEYS_MARKER)) throw new Error(`template lacks the ${KEYS_MARKER} line`);
  return template.replace(KEYS_MARKER, renderKeySections());
}
