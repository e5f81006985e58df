/**
 * Untrusted text (log lines, prefixes, signature messages, reverse DNS
 * names) made harmless for display: `visibleText` shows control characters
 * as `\xNN` and drops bidirectional overrides, so nothing can fake extra
 * lines, move the cursor or reorder what a reader sees; `escapeHtml` makes
 * text safe as HTML element content and in quoted attributes. Shared by the
 * HTML report and the mail renderers.
 */

// C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators.
export const CONTROL = /[\x00-\x1f\x7f-\x9f\u2028\u2029]/g;
// Bidirectional overrides and isolates: they can make text display in a different order than it reads.
export const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f]/g;

/** At most `max` characters, with `...` when cut (never inside a surrogate pair). */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max - 3;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${s.slice(0, end)}...`;
}

/** One line of untrusted text: controls shown as `\xNN`, bidi controls removed, at most `max` characters. */
export function visibleText(s: string, max = 500): string {
  const shown = s.replace(BIDI, '').replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clip(shown, max);
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
