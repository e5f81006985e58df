/**
 * The parts of a service's log line that patterns need: time, host, program
 * (the syslog tag without its `[pid]`) and message. Reads the text formats
 * of files and `journalctl` (`Dec  6 20:01:02 host sshd[77]: ...`, ISO
 * stamps, an optional `<PRI>`) and journalctl's JSON records
 * (SYSLOG_IDENTIFIER and MESSAGE). A line without a leading timestamp is a
 * raw line (a web server's own access log): program '' and the whole line
 * as message.
 */
import type { ParseContext } from '../context.js';
import { timestampAtText, type TimeResult } from '../syslog-time.js';

export interface SyslogMessage {
  ts: number;
  host: string;
  program: string;
  message: string;
}

const scratch: TimeResult = { ts: 0, end: 0 };

/** Index of the next space at or after i, or -1. */
function spaceAt(s: string, i: number): number {
  return s.indexOf(' ', i);
}

/** The message of a text line, written into `out`; false when the line has a timestamp but no `host tag:` after it. */
export function syslogMessage(s: string, ctx: ParseContext, out: SyslogMessage): boolean {
  let start = 0;
  if (s.charCodeAt(0) === 60 /* < */) {
    const gt = s.indexOf('>');
    if (gt > 0 && gt < 5) start = gt + 1;
  }
  if (!timestampAtText(s, start, ctx, scratch)) {
    out.ts = Number.NaN;
    out.host = '';
    out.program = '';
    out.message = s;
    return true;
  }
  out.ts = scratch.ts;
  let h = scratch.end;
  while (s.charCodeAt(h) === 32) h++;
  const hEnd = spaceAt(s, h);
  if (hEnd < 0) return false;
  const t = hEnd + 1;
  // The tag ends at `[` (pid) or `:`; a tag has no spaces and is short.
  let k = t;
  const lim = Math.min(s.length, t + 64);
  while (k < lim) {
    const c = s.charCodeAt(k);
    if (c === 91 || c === 58 || c === 32) break;
    k++;
  }
  if (k === t || k >= lim) return false;
  let m = k;
  if (s.charCodeAt(m) === 91) {
    m = s.indexOf(']', m);
    if (m < 0 || m - k > 24) return false;
    m++;
  }
  if (s.charCodeAt(m) !== 58) return false;
  m++;
  if (s.charCodeAt(m) === 32) m++;
  out.host = s.slice(h, hEnd);
  out.program = s.slice(t, k);
  out.message = s.slice(m);
  return true;
}

function textOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length <= 65536 && v.every((b) => typeof b === 'number' && b >= 0 && b <= 255)) return Buffer.from(v as number[]).toString('utf8');
  return null;
}

/**
 * A journalctl JSON record of a program (SYSLOG_IDENTIFIER set), written
 * into `out`; false when the line is not one. Only called for lines that
 * mention a program some pattern reads.
 */
export function journalMessage(line: string, out: SyslogMessage): boolean {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return false;
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) return false;
  const r = o as Record<string, unknown>;
  const program = r.SYSLOG_IDENTIFIER;
  const message = textOf(r.MESSAGE);
  if (typeof program !== 'string' || message === null) return false;
  const us = r.__REALTIME_TIMESTAMP;
  const n = typeof us === 'string' && /^\d{1,19}$/.test(us) ? Number(us) / 1000 : Number.NaN;
  out.ts = us === undefined ? Number.NaN : Number.isNaN(n) ? Number.POSITIVE_INFINITY : n;
  out.host = typeof r._HOSTNAME === 'string' ? r._HOSTNAME : '';
  out.program = program;
  out.message = message;
  return true;
}
