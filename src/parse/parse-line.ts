/**
 * One log line (any supported envelope) to a Packet, a SkipReason for a
 * firewall line that cannot be used, or null for a line of another program
 * (skipped quietly). Pure apart from the per-stream context.
 *
 * One parser for every source, on the line's bytes (line-bytes.ts):
 * parseBytes() reads archived files straight from the chunks they were read
 * in, parseText() takes a line that arrived as a string (live sources); both
 * fill the context's reused record (ctx.record: no object per line, so
 * whatever keeps packet data beyond the call copies the fields it needs).
 * parseLine() is the same with a fresh Packet per call, for callers that
 * keep the packets.
 */
import type { Buffer } from 'node:buffer';
import { TS_MAX, TS_MIN, type Packet, type SkipReason } from '../model/packet.js';
import type { ParseContext } from './context.js';
import { findPayload, isCutPayload, parseEnvelope } from './envelope.js';
import { exportLine, isExportField, journalJson, takeExport, type JournalMessage } from './journal-record.js';
import { at, bytesLine, decodedLine, lineText, str, textLine } from './line-bytes.js';
import { clearPacket, emptyPacket, parsePayload } from './netfilter-payload.js';

export type ParseResult = Packet | SkipReason | null;

function classifyBad(b: Buffer, start: number, end: number, reason: SkipReason): SkipReason {
  // Binary garbage that happens to contain IN=/OUT=: NUL bytes or invalid UTF-8.
  const line = lineText(b, start, end);
  if (line.indexOf('\u0000') >= 0 || line.indexOf('\ufffd') >= 0) return 'binary';
  return reason;
}

/**
 * The packet, or why it is skipped. A line's own time outside TS_MIN..TS_MAX
 * cannot be right (a corrupt uptime, kmsg or journal stamp, a year 9999): the
 * line is skipped as bad-time rather than scored at an impossible time. A
 * line without any time (NaN) is kept: the detect stage uses its clock.
 */
function finish(b: Buffer, start: number, end: number, p: Packet, bad: SkipReason | null): ParseResult {
  if (bad !== null) return classifyBad(b, start, end, bad);
  const ts = p.ts;
  return ts === ts && !(ts >= TS_MIN && ts < TS_MAX) ? 'bad-time' : p;
}

/** A line with no payload start: another program's line (null), or a firewall line cut before IN=/OUT=. */
function noPayload(b: Buffer, start: number, end: number): ParseResult {
  return isCutPayload(b, start, end) ? classifyBad(b, start, end, 'truncated') : null;
}

function fromBytes(b: Buffer, start: number, end: number, ctx: ParseContext, p: Packet): ParseResult {
  const payload = findPayload(b, start, end);
  if (payload < 0) return noPayload(b, start, end);
  clearPacket(p);
  parseEnvelope(b, start, payload, end, p, ctx);
  return finish(b, start, end, p, parsePayload(b, payload, end, p));
}

function fromJournal(rec: JournalMessage, p: Packet): ParseResult {
  const msg = rec.message;
  const b = textLine(msg);
  const end = msg.length;
  const payload = findPayload(b, 0, end);
  if (payload < 0) return noPayload(b, 0, end);
  clearPacket(p);
  p.ts = rec.ts;
  p.host = rec.host;
  let e = payload;
  while (e > 0 && b[e - 1] === 32) e--;
  p.prefix = str(b, 0, e).trim();
  return finish(b, 0, end, p, parsePayload(b, payload, end, p));
}

/** Cheap pre-check of a JSON line: could its MESSAGE be a firewall line (or a cut one)? */
function mayBeFirewallJson(line: string): boolean {
  // A byte-array MESSAGE (non-UTF-8 text) cannot be searched before decoding.
  return line.indexOf('IN=') >= 0 || line.indexOf('"MESSAGE":[') >= 0 || line.indexOf('OUT=') >= 0 || line.indexOf('DPT=') >= 0 || line.indexOf('SRC=') >= 0;
}

/** The line in b[start, end) (its text's stand-in bytes: line-bytes.ts) into p. */
function parseInto(b: Buffer, start: number, end: number, ctx: ParseContext, p: Packet): ParseResult {
  let c0 = at(b, start, end);
  if (c0 < 32) {
    // Leading control bytes: NUL padding left by a crash, json-seq's RS (0x1E).
    let k = start + 1;
    while (at(b, k, end) < 32) k++;
    start = k;
    c0 = at(b, start, end);
  }
  if (c0 === 123 /* { */) {
    const line = lineText(b, start, end);
    if (!mayBeFirewallJson(line)) return null;
    const rec = journalJson(line);
    if (rec === null) return null;
    return rec === 'malformed' ? 'malformed' : fromJournal(rec, p);
  }
  if (ctx.exportActive || c0 === 95 /* _ */ || start === end) {
    const line = lineText(b, start, end);
    if (line === '' || isExportField(line)) {
      const rec = exportLine(line, ctx);
      return rec === null ? null : fromJournal(rec, p);
    }
  }
  return fromBytes(b, start, end, ctx, p);
}

/**
 * A line of an archived file, b[start, end) without its newline, into
 * ctx.record. `ascii`: the reader knows the line holds no byte above 127
 * (else it is decoded as UTF-8 first, as a string reader would have).
 */
export function parseBytes(b: Buffer, start: number, end: number, ctx: ParseContext, ascii: boolean): ParseResult {
  if (ascii) {
    bytesLine();
    return parseInto(b, start, end, ctx, ctx.record);
  }
  const d = decodedLine(b, start, end);
  return parseInto(d, 0, d.length, ctx, ctx.record);
}

/** A line that arrived as text (live sources), into ctx.record. */
export function parseText(line: string, ctx: ParseContext): ParseResult {
  return parseInto(textLine(line), 0, line.length, ctx, ctx.record);
}

/** A line as text, into a Packet of its own (for callers that keep the packets). */
export function parseLine(line: string, ctx: ParseContext): ParseResult {
  return parseInto(textLine(line), 0, line.length, ctx, emptyPacket());
}

/** Call at the end of a stream: completes a journal export record that had no trailing blank line (into ctx.record). */
export function finishParse(ctx: ParseContext): ParseResult {
  const rec = takeExport(ctx);
  return rec === null ? null : fromJournal(rec, ctx.record);
}
