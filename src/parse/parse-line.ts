/**
 * parseLine: one log line (any supported envelope) to a Packet, a SkipReason
 * for a firewall line that cannot be used, or null for a line of another
 * program (skipped quietly). Pure apart from the per-stream context.
 */
import { TS_MAX, TS_MIN, type Packet, type SkipReason } from '../model/packet.js';
import type { ParseContext } from './context.js';
import { findPayload, isCutPayload, parseEnvelope } from './envelope.js';
import { exportLine, isExportField, journalJson, takeExport, type JournalMessage } from './journal-record.js';
import { emptyPacket, parsePayload } from './netfilter-payload.js';

export type ParseResult = Packet | SkipReason | null;

function classifyBad(line: string, reason: SkipReason): SkipReason {
  // Binary garbage that happens to contain IN=/OUT=: NUL bytes or invalid UTF-8.
  if (line.indexOf('\u0000') >= 0 || line.indexOf('\ufffd') >= 0) return 'binary';
  return reason;
}

/**
 * The packet, or why it is skipped. A line's own time outside TS_MIN..TS_MAX
 * cannot be right (a corrupt uptime, kmsg or journal stamp, a year 9999): the
 * line is skipped as bad-time rather than scored at an impossible time. A
 * line without any time (NaN) is kept: the detect stage uses its clock.
 */
function finish(line: string, p: Packet, bad: SkipReason | null): ParseResult {
  if (bad !== null) return classifyBad(line, bad);
  const ts = p.ts;
  return ts === ts && !(ts >= TS_MIN && ts < TS_MAX) ? 'bad-time' : p;
}

/** A line with no payload start: another program's line (null), or a firewall line cut before IN=/OUT=. */
function noPayload(text: string): ParseResult {
  return isCutPayload(text) ? classifyBad(text, 'truncated') : null;
}

function fromText(line: string, ctx: ParseContext): ParseResult {
  const at = findPayload(line, 0);
  if (at < 0) return noPayload(line);
  const p = emptyPacket(line);
  parseEnvelope(line, at, p, ctx);
  return finish(line, p, parsePayload(line, at, p));
}

function fromJournal(rec: JournalMessage): ParseResult {
  const at = findPayload(rec.message, 0);
  if (at < 0) return noPayload(rec.message);
  const p = emptyPacket(rec.message);
  p.ts = rec.ts;
  p.host = rec.host;
  let e = at;
  while (e > 0 && rec.message.charCodeAt(e - 1) === 32) e--;
  p.prefix = rec.message.slice(0, e).trim();
  return finish(rec.message, p, parsePayload(rec.message, at, p));
}

/** The line without leading control bytes: NUL padding left by a crash, json-seq's RS (0x1E). */
function skipControls(line: string): string {
  let k = 1;
  while (line.charCodeAt(k) < 32) k++;
  return line.slice(k);
}

/** Cheap pre-check of a JSON line: could its MESSAGE be a firewall line (or a cut one)? */
function mayBeFirewallJson(line: string): boolean {
  // A byte-array MESSAGE (non-UTF-8 text) cannot be searched before decoding.
  return line.indexOf('IN=') >= 0 || line.indexOf('"MESSAGE":[') >= 0 || line.indexOf('OUT=') >= 0 || line.indexOf('DPT=') >= 0 || line.indexOf('SRC=') >= 0;
}

export function parseLine(line: string, ctx: ParseContext): ParseResult {
  let c0 = line.charCodeAt(0);
  if (c0 < 32) {
    line = skipControls(line);
    c0 = line.charCodeAt(0);
  }
  if (c0 === 123 /* { */) {
    if (!mayBeFirewallJson(line)) return null;
    const rec = journalJson(line);
    if (rec === null) return null;
    return rec === 'malformed' ? 'malformed' : fromJournal(rec);
  }
  if (ctx.exportActive || c0 === 95 /* _ */ || line === '') {
    if (line === '' || isExportField(line)) {
      const rec = exportLine(line, ctx);
      return rec === null ? null : fromJournal(rec);
    }
  }
  return fromText(line, ctx);
}

/** Call at the end of a stream: completes a journal export record that had no trailing blank line. */
export function finishParse(ctx: ParseContext): ParseResult {
  const rec = takeExport(ctx);
  return rec === null ? null : fromJournal(rec);
}
