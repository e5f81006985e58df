/**
 * Neutralises untrusted text (log data, reverse DNS names, anything a remote
 * host can influence) before it goes into a mail. Header values lose every
 * control character, so no CR/LF can start a new header; body text keeps its
 * characters visible but harmless (io/escape-text.ts, shared with the
 * terminal reports); HTML is escaped.
 */
import { BIDI, CONTROL, escapeText } from '../../io/escape-text.js';

/** A single-line header value: controls become spaces, runs of spaces collapse, at most `max` characters. */
export function headerValue(s: string, max = 200): string {
  const flat = s.replace(CONTROL, ' ').replace(BIDI, '').replace(/ {2,}/g, ' ').trim();
  return clip(flat, max);
}

/** One line of body text from untrusted data: controls shown as `\xNN` so nothing can fake extra lines. */
export function bodyLine(s: string, max = 500): string {
  return clip(escapeText(s), max);
}

/** Text escaped for HTML element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c === 38) rep = '&amp;';
    else if (c === 60) rep = '&lt;';
    else if (c === 62) rep = '&gt;';
    else if (c === 34) rep = '&quot;';
    else if (c === 39) rep = '&#39;';
    if (rep !== undefined) {
      out += s.slice(last, i) + rep;
      last = i + 1;
    }
  }
  return last === 0 ? s : out + s.slice(last);
}

function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  // Do not cut a surrogate pair in half.
  let end = max - 3;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${s.slice(0, end)}...`;
}
