/**
 * Untrusted text (log lines, prefixes, file names, signature messages,
 * reverse DNS names, anything a log line or a remote host can put there)
 * made harmless for display. The terminal reports, `tsad status`, CSV, error
 * messages, the daemon's log, the mails and the HTML report all escape it
 * here.
 *
 * escapeText shows control characters (C0, DEL, C1, U+2028/U+2029) as `\xNN`
 * or `\uNNNN`, so no escape sequence reaches a terminal and no CR or line
 * break can fake a line; bidirectional marks, overrides and isolates are
 * shown the same way, so text cannot display in another order than it reads
 * (and the reader sees that someone tried). escapeHtml makes text safe as
 * HTML element content and in quoted attributes.
 */

// C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators.
export const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g;
// Bidirectional overrides and isolates: they can make text display in a different order than it reads.
export const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f]/g;

const SHOWN = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const SHOWN_ALL = new RegExp(SHOWN.source, 'g');
/** The same without tab and line feed, for text of several lines. */
const SHOWN_IN_LINES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function code(c: string): string {
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/** One line of untrusted text with every control and bidi character shown as an escape. */
export function escapeText(s: string): string {
  return SHOWN.test(s) ? s.replace(SHOWN_ALL, code) : s;
}

/** Untrusted text of several lines: line feeds and tabs kept (CRLF becomes LF), everything else as in escapeText. */
export function escapeLines(s: string): string {
  return s.replace(/\r\n/g, '\n').replace(SHOWN_IN_LINES, code);
}

/** At most `max` characters, with `...` when cut (never inside a surrogate pair). */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 3;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${s.slice(0, end)}...`;
}

/** One line of untrusted text, escaped (escapeText), at most `max` characters. */
export function visibleText(s: string, max = 500): string {
  return clip(escapeText(s), max);
}

/** Text escaped for HTML element content and double- or single-quoted attributes. */
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
