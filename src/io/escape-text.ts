/**
 * Untrusted text (a log prefix, a file name, anything a log line or a remote
 * host can put there) shown to a person: the terminal reports, `tsad status`,
 * CSV, error messages, the daemon's log and the mails all escape it here.
 *
 * Control characters (C0, DEL, C1, U+2028/U+2029) are shown as `\xNN` or
 * `\uNNNN`, so no escape sequence reaches a terminal and no CR or line break
 * can forge a line. Bidirectional marks, overrides and isolates are shown the
 * same way, so text cannot display in another order than it reads (and the
 * reader sees that someone tried).
 */

/** Control characters: C0, DEL, C1, and the Unicode line/paragraph separators. */
export const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g;
/** Bidirectional marks, overrides and isolates. */
export const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

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
