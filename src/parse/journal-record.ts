/**
 * journalctl's structured outputs: `-o json` (one object per line) and
 * `-o export` (KEY=value lines, a blank line ends a record). The message is
 * then parsed like any other kernel line; the record time comes from
 * __REALTIME_TIMESTAMP (microseconds).
 */
import type { ParseContext } from './context.js';

export interface JournalMessage {
  ts: number;
  host: string;
  message: string;
}

function messageText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  // Non-UTF-8 messages come as byte arrays.
  if (Array.isArray(v) && v.every((b) => typeof b === 'number')) return Buffer.from(v as number[]).toString('utf8');
  return null;
}

/**
 * __REALTIME_TIMESTAMP (microseconds, as text) in ms: NaN when absent,
 * Infinity when present but not a number (skipped as bad-time like a number
 * out of range).
 */
function journalTime(v: unknown): number {
  if (v === undefined) return Number.NaN;
  const n = typeof v === 'string' && v !== '' ? Number(v) : Number.NaN;
  return Number.isNaN(n) ? Number.POSITIVE_INFINITY : n / 1000;
}

/** A `-o json` line; null when it is not a journal object with a message. */
export function journalJson(line: string): JournalMessage | 'malformed' | null {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return 'malformed';
  }
  if (o === null || typeof o !== 'object') return 'malformed';
  const r = o as Record<string, unknown>;
  const message = messageText(r.MESSAGE);
  if (message === null) return null;
  return { ts: journalTime(r.__REALTIME_TIMESTAMP), host: typeof r._HOSTNAME === 'string' ? r._HOSTNAME : '', message };
}

/** True when the line is a journal export field (`KEY=value` with a journal field name). */
export function isExportField(line: string): boolean {
  const eq = line.indexOf('=');
  if (eq <= 0) return false;
  for (let i = 0; i < eq; i++) {
    const c = line.charCodeAt(i);
    if (!((c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57 && i > 0))) return false;
  }
  return true;
}

/** Feeds one export line; returns the completed record at its end (blank line), otherwise null. */
export function exportLine(line: string, ctx: ParseContext): JournalMessage | null {
  if (line === '') {
    if (!ctx.exportActive) return null;
    return takeExport(ctx);
  }
  const eq = line.indexOf('=');
  const key = line.slice(0, eq);
  ctx.exportActive = true;
  if (key === '__REALTIME_TIMESTAMP') ctx.exportTs = journalTime(line.slice(eq + 1));
  else if (key === '_HOSTNAME') ctx.exportHost = line.slice(eq + 1);
  else if (key === 'MESSAGE') ctx.exportMessage = line.slice(eq + 1);
  return null;
}

/** The record being assembled (at a blank line or end of input), and resets the state. */
export function takeExport(ctx: ParseContext): JournalMessage | null {
  const rec = ctx.exportActive && ctx.exportMessage !== '' ? { ts: ctx.exportTs, host: ctx.exportHost, message: ctx.exportMessage } : null;
  ctx.exportActive = false;
  ctx.exportTs = Number.NaN;
  ctx.exportHost = '';
  ctx.exportMessage = '';
  return rec;
}
