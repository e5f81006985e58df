/**
 * Timestamps at the front of a log line, read from its bytes (no regex):
 *   RFC 3164 / journalctl short:     `Nov 21 08:35:11` (local time, no year)
 *   journalctl short-precise:        `Nov 21 08:35:11.251762`
 *   RFC 3339 / ISO 8601, short-iso:  `2026-11-21T08:35:11.251762+00:00`, `...+0000`, `...Z`, space for T
 *   journalctl short-full:           `Sat 2026-11-21 08:35:11 UTC`
 *   pvefw-logger (Proxmox):          `21/Nov/2026:08:35:11 +0100`
 * `end` is the end of the line: nothing at or past it is read as part of a
 * stamp. The result is written to `out` to avoid allocating per line.
 */
import type { ParseContext } from './context.js';
import { at, bytesAre } from './line-bytes.js';

export interface TimeResult {
  ts: number;
  /** Index just after the timestamp. */
  end: number;
}

const DAY_MS = 86_400_000;

function monthAt(s: Uint8Array, i: number, e: number): number {
  const a = at(s, i, e) | 32;
  const b = at(s, i + 1, e) | 32;
  const c = at(s, i + 2, e) | 32;
  switch (a) {
    case 106: return b === 97 ? (c === 110 ? 0 : -1) : b === 117 ? (c === 110 ? 5 : c === 108 ? 6 : -1) : -1; // jan jun jul
    case 102: return b === 101 && c === 98 ? 1 : -1; // feb
    case 109: return b === 97 ? (c === 114 ? 2 : c === 121 ? 4 : -1) : -1; // mar may
    case 97: return b === 112 && c === 114 ? 3 : b === 117 && c === 103 ? 7 : -1; // apr aug
    case 115: return b === 101 && c === 112 ? 8 : -1; // sep
    case 111: return b === 99 && c === 116 ? 9 : -1; // oct
    case 110: return b === 111 && c === 118 ? 10 : -1; // nov
    case 100: return b === 101 && c === 99 ? 11 : -1; // dec
    default: return -1;
  }
}

function digits2(s: Uint8Array, i: number, e: number): number {
  const a = at(s, i, e) - 48;
  const b = at(s, i + 1, e) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** `.123456` fraction at i: milliseconds (with sub-ms kept) and the end index. */
function fraction(s: Uint8Array, i: number, e: number, out: TimeResult): number {
  if (at(s, i, e) !== 46) { out.end = i; return 0; }
  let ms = 0;
  let scale = 100;
  let k = i + 1;
  for (; k < e; k++) {
    const d = (s[k] as number) - 48;
    if (d < 0 || d > 9) break;
    ms += d * scale;
    scale /= 10;
  }
  out.end = k;
  return ms;
}

/** RFC 3164 `Mmm dd HH:MM:SS[.frac]` at i (local time, year inferred). */
function bsd(s: Uint8Array, i: number, e: number, ctx: ParseContext, out: TimeResult): boolean {
  const mon = monthAt(s, i, e);
  if (mon < 0 || at(s, i + 3, e) !== 32) return false;
  let k = i + 4;
  if (at(s, k, e) === 32) k++; // day padded with a space
  let day = at(s, k, e) - 48;
  if (day < 0 || day > 9) return false;
  k++;
  const d2 = at(s, k, e) - 48;
  if (d2 >= 0 && d2 <= 9) { day = day * 10 + d2; k++; }
  if (at(s, k, e) !== 32) return false;
  k++;
  const h = digits2(s, k, e), mi = digits2(s, k + 3, e), sec = digits2(s, k + 6, e);
  if (h < 0 || mi < 0 || sec < 0 || at(s, k + 2, e) !== 58 || at(s, k + 5, e) !== 58) return false;
  const frac = fraction(s, k + 8, e, out);
  const key = ((mon * 32 + day) * 24 + h) * 60 + mi;
  if (key !== ctx.minuteKey) {
    ctx.minuteKey = key;
    ctx.minuteMs = localMinute(ctx, mon, day, h, mi);
  }
  out.ts = ctx.minuteMs + sec * 1000 + frac;
  return true;
}

/** Epoch ms of a local-time minute whose year is forced or inferred from the reference time. */
function localMinute(ctx: ParseContext, mon: number, day: number, h: number, mi: number): number {
  if (ctx.year !== undefined) return new Date(ctx.year, mon, day, h, mi).getTime();
  const refYear = new Date(ctx.refTime).getFullYear();
  const t = new Date(refYear, mon, day, h, mi).getTime();
  // A date well after the reference (file time or now) belongs to the previous year (Dec lines read in Jan).
  return t > ctx.refTime + 2 * DAY_MS ? new Date(refYear - 1, mon, day, h, mi).getTime() : t;
}

/** ISO `YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|+HH:MM|+HHMM| UTC]` at i. */
function iso(s: Uint8Array, i: number, e: number, out: TimeResult): boolean {
  const y1 = digits2(s, i, e), y2 = digits2(s, i + 2, e);
  if (y1 < 0 || y2 < 0 || at(s, i + 4, e) !== 45) return false;
  const mo = digits2(s, i + 5, e), d = digits2(s, i + 8, e);
  const sep = at(s, i + 10, e);
  if (mo < 1 || mo > 12 || d < 1 || at(s, i + 7, e) !== 45 || (sep !== 84 && sep !== 32)) return false;
  const h = digits2(s, i + 11, e), mi = digits2(s, i + 14, e), sec = digits2(s, i + 17, e);
  if (h < 0 || mi < 0 || sec < 0 || at(s, i + 13, e) !== 58 || at(s, i + 16, e) !== 58) return false;
  const frac = fraction(s, i + 19, e, out);
  let k = out.end;
  let offsetMin = Number.NaN; // NaN: no zone given, local time
  const z = at(s, k, e);
  if (z === 90 /* Z */) { offsetMin = 0; k++; }
  else if (z === 43 || z === 45) {
    const oh = digits2(s, k + 1, e);
    const colon = at(s, k + 3, e) === 58 ? 1 : 0;
    const om = digits2(s, k + 3 + colon, e);
    if (oh >= 0 && om >= 0) { offsetMin = (z === 45 ? -1 : 1) * (oh * 60 + om); k += 5 + colon; }
  } else if (z === 32 && ((bytesAre(s, k + 1, e, 'UTC') || bytesAre(s, k + 1, e, 'GMT')) && at(s, k + 4, e) === 32)) {
    offsetMin = 0; k += 4;
  }
  const year = y1 * 100 + y2;
  // Date maps years 0-99 to 1900-1999: an impossible year must stay impossible (the parser skips it as bad-time).
  if (year < 100) out.ts = Number.NEGATIVE_INFINITY;
  else out.ts = Number.isNaN(offsetMin)
    ? new Date(year, mo - 1, d, h, mi, sec).getTime() + frac
    : Date.UTC(year, mo - 1, d, h, mi, sec) - offsetMin * 60_000 + frac;
  out.end = k;
  return true;
}

/** pvefw-logger's strftime `%d/%b/%Y:%H:%M:%S %z` at i (`21/Nov/2026:08:35:11 +0100`). */
function clf(s: Uint8Array, i: number, e: number, out: TimeResult): boolean {
  const d = digits2(s, i, e);
  const mon = monthAt(s, i + 3, e);
  if (d < 1 || mon < 0 || at(s, i + 2, e) !== 47 || at(s, i + 6, e) !== 47) return false;
  const y1 = digits2(s, i + 7, e), y2 = digits2(s, i + 9, e);
  const h = digits2(s, i + 12, e), mi = digits2(s, i + 15, e), sec = digits2(s, i + 18, e);
  if (y1 < 0 || y2 < 0 || h < 0 || mi < 0 || sec < 0 || at(s, i + 11, e) !== 58 || at(s, i + 14, e) !== 58 || at(s, i + 17, e) !== 58) return false;
  const z = at(s, i + 21, e);
  const oh = digits2(s, i + 22, e), om = digits2(s, i + 24, e);
  if (at(s, i + 20, e) !== 32 || (z !== 43 && z !== 45) || oh < 0 || om < 0) return false;
  out.ts = Date.UTC(y1 * 100 + y2, mon, d, h, mi, sec) - (z === 45 ? -1 : 1) * (oh * 60 + om) * 60_000;
  out.end = i + 26;
  return true;
}

/** Any supported timestamp starting exactly at i. */
export function timestampAt(s: Uint8Array, i: number, e: number, ctx: ParseContext, out: TimeResult): boolean {
  const c = at(s, i, e);
  if (c >= 48 && c <= 57) return iso(s, i, e, out) || clf(s, i, e, out);
  if (bsd(s, i, e, ctx, out)) return true;
  // short-full: weekday then ISO date
  const d = at(s, i + 4, e);
  if (at(s, i + 3, e) === 32 && d >= 48 && d <= 57) return iso(s, i + 4, e, out);
  return false;
}

/**
 * Finds a timestamp at the start of the line (at `start`), or after junk
 * before it (a grep file name, a collector's tag): scans word starts up to
 * `limit`.
 */
export function findTimestamp(s: Uint8Array, start: number, limit: number, e: number, ctx: ParseContext, out: TimeResult): boolean {
  if (timestampAt(s, start, e, ctx, out)) return true;
  for (let i = start + 1; i < limit - 8; i++) {
    const prev = s[i - 1] as number;
    // word boundary: after a space or control character (NUL padding), a colon or a closing bracket
    if ((prev <= 32 || prev === 58 || prev === 93 || prev === 62) && timestampAt(s, i, e, ctx, out)) return true;
  }
  return false;
}

/** `[  463.251762]` kernel uptime stamp at i: seconds as ms, end index in out; false when absent. */
export function uptimeAt(s: Uint8Array, i: number, e: number, out: TimeResult): boolean {
  if (at(s, i, e) !== 91) return false;
  let k = i + 1;
  while (k < e && s[k] === 32) k++;
  let secs = 0;
  let any = false;
  for (; k < e; k++) {
    const d = (s[k] as number) - 48;
    if (d < 0 || d > 9) break;
    secs = secs * 10 + d;
    any = true;
  }
  // The kernel always prints a fraction; `[1]` is an fwsnort rule number in a prefix, not a time.
  if (!any || at(s, k, e) !== 46) return false;
  const frac = fraction(s, k, e, out);
  k = out.end;
  if (at(s, k, e) !== 93) return false;
  out.ts = secs * 1000 + frac;
  out.end = k + 1;
  return true;
}

/** Room for a time stamp of a text line (the longest form is an ISO time with fractions and a zone, under 40 characters). */
const TEXT_TIME = Buffer.alloc(64);

/**
 * timestampAt for a line held as a string (service lines): the characters
 * from `i` are written as latin1 bytes into a fixed scratch buffer (a time
 * stamp is ASCII, so its indexes agree), and `out.end` is given in the
 * string's indexes.
 */
export function timestampAtText(s: string, i: number, ctx: ParseContext, out: TimeResult): boolean {
  const n = TEXT_TIME.write(s.slice(i, i + TEXT_TIME.length), 0, 'latin1');
  if (!timestampAt(TEXT_TIME, 0, n, ctx, out)) return false;
  out.end += i;
  return true;
}
