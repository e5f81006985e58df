/**
 * Neutralises untrusted text (log data, reverse DNS names, anything a remote
 * host can influence) before it goes into a mail. Header values lose every
 * control character, so no CR/LF can start a new header; body text keeps its
 * characters visible but harmless; HTML is escaped.
 */
import { BIDI, clip, CONTROL } from '../../text/escape.js';

/** HTML escaping, and one line of body text from untrusted data (controls shown as `\xNN`): shared with the HTML report. */
export { escapeHtml, visibleText as bodyLine } from '../../text/escape.js';

/** A single-line header value: controls become spaces, runs of spaces collapse, at most `max` characters. */
export function headerValue(s: string, max = 200): string {
  const flat = s.replace(CONTROL, ' ').replace(BIDI, '').replace(/ {2,}/g, ' ').trim();
  return clip(flat, max);
}
