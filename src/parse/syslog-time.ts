/**
 * Timestamps at the front of a log line, parsed with charCodeAt (no regex):
 *   RFC 3164 / journalctl short:     `Nov 21 08:35:11` (local time, no year)
 *   journalctl short-precise:        `Nov 21 08:35:11.251762`
 *   RFC 3339 / ISO 8601, short-iso:  `2026-11-21T08:35:11.251762+00:00`, `...+0000`, `...Z`, space for T
 *   journalctl short-full:           `Sat 2026-11-21 08:35:11 UTC`
 *   pvefw-logger (Proxmox):          `21/Nov/2026:08:35:11 +0100`
 * The result is written to `out` to avoid allocating per line.
 */
import type { ParseContext } from './context.js';

export interface TimeResult {
  ts: number;
  /** Index just after the timestamp. */
  end: number;
}

const DAY_MS = 86_400_000;

function monthAt(s: string, i: number): number {
  const a = s.charCodeAt(i) | 32;
  const b = s.charCodeAt(i + 1) | 32;
  const c = s.charCodeAt(i + 2) | 32;
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

function digits2(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** `.123456` fraction at i: milliseconds (with sub-ms kept) and the end index. */
function fraction(s: string, i: number, out: TimeResult): number {
  if (s.charCodeAt(i) !== 46) { out.end = i; return 0; }
  let ms = 0;
  let scale = 100;
  let k = i + 1;
  for (; k < s.length; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 9) break;
    ms += d * scale;
    scale /= 10;
  }
  out.end = k;
  return ms;
}

/** RFC 3164 `Mmm dd HH:MM:SS[.frac]` at i (local time, year inferred). */
function bsd(s: string, i: number, ctx: ParseContext, out: TimeResult): boolean {
  const mon = monthAt(s, i);
  if (mon < 0 || s.charCodeAt(i + 3) !== 32) return false;
  let k = i + 4;
  if (s.charCodeAt(k) === 32) k++; // day padded with a space
  let day = s.charCodeAt(k) - 48;
  if (day < 0 || day > 9) return false;
  k++;
  const d2 = s.charCodeAt(k) - 48;
  if (d2 >= 0 && d2 <= 9) { day = day * 10 + d2; k++; }
  if (s.charCodeAt(k) !== 32) return false;
  k++;
  const h = digits2(s, k), mi = digits2(s, k + 3), sec = digits2(s, k + 6);
  if (h < 0 || mi < 0 || sec < 0 || s.charCodeAt(k + 2) !== 58 || s.charCodeAt(k + 5) !== 58) return false;
  const frac = fraction(s, k + 8, out);
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
function iso(s: string, i: number, out: TimeResult): boolean {
  const y1 = digits2(s, i), y2 = digits2(s, i + 2);
  if (y1 < 0 || y2 < 0 || s.charCodeAt(i + 4) !== 45) return false;
  const mo = digits2(s, i + 5), d = digits2(s, i + 8);
  const sep = s.charCodeAt(i + 10);
  if (mo < 1 || mo > 12 || d < 1 || s.charCodeAt(i + 7) !== 45 || (sep !== 84 && sep !== 32)) return false;
  const h = digits2(s, i + 11), mi = digits2(s, i + 14), sec = digits2(s, i + 17);
  if (h < 0 || mi < 0 || sec < 0 || s.charCodeAt(i + 13) !== 58 || s.charCodeAt(i + 16) !== 58) return false;
  const frac = fraction(s, i + 19, out);
  let k = out.end;
  let offsetMin = Number.NaN; // NaN: no zone given, local time
  const z = s.charCodeAt(k);
  if (z === 90 /* Z */) { offsetMin = 0; k++; }
  else if (z === 43 || z === 45) {
    const oh = digits2(s, k + 1);
    const colon = s.charCodeAt(k + 3) === 58 ? 1 : 0;
    const om = digits2(s, k + 3 + colon);
    if (oh >= 0 && om >= 0) { offsetMin = (z === 45 ? -1 : 1) * (oh * 60 + om); k += 5 + colon; }
  } else if (z === 32 && ((s.startsWith('UTC', k + 1) || s.startsWith('GMT', k + 1)) && s.charCodeAt(k + 4) === 32)) {
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
function clf(s: string, i: number, out: TimeResult): boolean {
  const d = digits2(s, i);
  const mon = monthAt(s, i + 3);
  if (d < 1 || mon < 0 || s.charCodeAt(i + 2) !== 47 || s.charCodeAt(i + 6) !== 47) return false;
  const y1 = digits2(s, i + 7), y2 = digits2(s, i + 9);
  const h = digits2(s, i + 12), mi = digits2(s, i + 15), sec = digits2(s, i + 18);
  if (y1 < 0 || y2 < 0 || h < 0 || mi < 0 || sec < 0 || s.charCodeAt(i + 11) !== 58 || s.charCodeAt(i + 14) !== 58 || s.charCodeAt(i + 17) !== 58) return false;
  const z = s.charCodeAt(i + 21);
  const oh = digits2(s, i + 22), om = digits2(s, i + 24);
  if (s.charCodeAt(i + 20) !== 32 || (z !== 43 && z !== 45) || oh < 0 || om < 0) return false;
  out.ts = Date.UTC(y1 * 100 + y2, mon, d, h, mi, sec) - (z === 45 ? -1 : 1) * (oh * 60 + om) * 60_000;
  out.end = i + 26;
  return true;
}

/** Any supported timestamp starting exactly at i. */
export function timestampAt(s: string, i: number, ctx: ParseContext, out: TimeResult): boolean {
  const c = s.charCodeAt(i);
  if (c >= 48 && c <= 57) return iso(s, i, out) || clf(s, i, out);
  if (bsd(s, i, ctx, out)) return true;
  // short-full: weekday then ISO date
  if (s.charCodeAt(i + 3) === 32 && s.charCodeAt(i + 4) >= 48 && s.charCodeAt(i + 4) <= 57) return iso(s, i + 4, out);
  return false;
}

/**
 * Finds a timestamp at the start of s, or after junk before it (a grep file
 * name, a collector's tag): scans word starts up to `limit`.
 */
export function findTimestamp(s: string, limit: number, ctx: ParseContext, out: TimeResult): boolean {
  if (timestampAt(s, 0, ctx, out)) return true;
  for (let i = 1; i < limit - 8; i++) {
    const prev = s.charCodeAt(i - 1);
    // word boundary: after a space or control character (NUL padding), a colon or a closing bracket
    if ((prev <= 32 || prev === 58 || prev === 93 || prev === 62) && timestampAt(s, i, ctx, out)) return true;
  }
  return false;
}

/** `[  463.251762]` kernel uptime stamp at i: seconds as ms, end index in out; false when absent. */
export function uptimeAt(s: string, i: number, out: TimeResult): boolean {
  if (s.charCodeAt(i) !== 91) return false;
  let k = i + 1;
  while (s.charCodeAt(k) === 32) k++;
  let secs = 0;
  let any = false;
  for (;; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 9) break;
    secs = secs * 10 + d;
    any = true;
  }
  // The kernel always prints a fraction; `[1]` is an fwsnort rule number in a prefix, not a time.
  if (!any || s.charCodeAt(k) !== 46) return false;
  const frac = fraction(s, k, out);
  k = out.end;
  if (s.charCodeAt(k) !== 93) return false;
  out.ts = secs * 1000 + frac;
  out.end = k + 1;
  return true;
}
