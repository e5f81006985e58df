/**
 * parseLine: one log line (any supported envelope) to a Packet, a SkipReason
 * for a firewall line that cannot be used, or null for a line of another
 * program (skipped quietly). Pure apart from the per-stream context.
 */
import type { Packet, SkipReason } from '../model/packet.js';
import type { ParseContext } from './context.js';
import { findPayload, parseEnvelope } from './envelope.js';
import { exportLine, isExportField, journalJson, takeExport, type JournalMessage } from './journal-record.js';
import { emptyPacket, parsePayload } from './netfilter-payload.js';

export type ParseResult = Packet | SkipReason | null;

function classifyBad(line: string, reason: SkipReason): SkipReason {
  // Binary garbage that happens to contain IN=/OUT=: NUL bytes or invalid UTF-8.
  if (line.indexOf('\u0000') >= 0 || line.indexOf('\ufffd') >= 0) return 'binary';
  return reason;
}

function fromText(line: string, ctx: ParseContext): ParseResult {
  const at = findPayload(line, 0);
  if (at < 0) return null;
  const p = emptyPacket(line);
  parseEnvelope(line, at, p, ctx);
  const bad = parsePayload(line, at, p);
  return bad === null ? p : classifyBad(line, bad);
}

function fromJournal(rec: JournalMessage): ParseResult {
  const at = findPayload(rec.message, 0);
  if (at < 0) return null;
  const p = emptyPacket(rec.message);
  p.ts = rec.ts;
  p.host = rec.host;
  let e = at;
  while (e > 0 && rec.message.charCodeAt(e - 1) === 32) e--;
  p.prefix = rec.message.slice(0, e).trim();
  const bad = parsePayload(rec.message, at, p);
  return bad === null ? p : classifyBad(rec.message, bad);
}

export function parseLine(line: string, ctx: ParseContext): ParseResult {
  const c0 = line.charCodeAt(0);
  if (c0 === 123 /* { */) {
    // Cheap pre-check; a byte-array MESSAGE (non-UTF-8 text) cannot be searched before decoding.
    if (line.indexOf('IN=') < 0 && line.indexOf('"MESSAGE":[') < 0) return null;
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
