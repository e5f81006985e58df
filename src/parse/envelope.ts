/**
 * The envelope around a netfilter payload: where the payload starts, the
 * record time, the host and the log prefix (text between the kernel
 * envelope and `IN=`: `DROP`, `[UFW BLOCK]`, `Shorewall:net-fw:DROP:`).
 * Read from the line's bytes in [start, end) (line-bytes.ts).
 */
import { TS_MAX, TS_MIN, type Packet } from '../model/packet.js';
import type { ParseContext } from './context.js';
import { at, bytesAre, findText, indexIn, Interner, isDigit } from './line-bytes.js';
import { findTimestamp, timestampAt, uptimeAt, type TimeResult } from './syslog-time.js';

const prefixes = new Interner();
const hosts = new Interner();

/** The first space at or after i before end, or -1. */
function spaceFrom(s: Uint8Array, i: number, end: number): number {
  return indexIn(s, 32, i, end);
}

/**
 * Index of the `IN=` that starts the payload, or -1. It must be followed by
 * `IN=<name> OUT=` so that a prefix or program text containing `IN=` is not
 * taken for it; no separator is required before it (Shorewall writes
 * `...:DROP:IN=eth0`). pvefw-logger (Proxmox) writes IN= and OUT= only for
 * the devices a packet has: there the payload may start `IN=<name> PHYSIN=|MAC=|SRC=`
 * (no OUT=) or `OUT=<name> PHYSOUT=|MAC=|SRC=` (no IN=).
 */
export function findPayload(s: Buffer, from: number, end: number): number {
  let i = findText(s, 'IN=', from, end);
  while (i >= 0) {
    const sp = spaceFrom(s, i + 3, Math.min(end, i + 24));
    if (sp > 0 && (bytesAre(s, sp + 1, end, 'OUT=') || fieldAfterDevice(s, sp + 1, end, 'PHYSIN='))) return i;
    i = findText(s, 'IN=', i + 3, end);
  }
  i = findText(s, 'OUT=', from, end);
  while (i >= 0) {
    const sp = spaceFrom(s, i + 4, Math.min(end, i + 25));
    if (sp > 0 && fieldAfterDevice(s, sp + 1, end, 'PHYSOUT=')) return i;
    i = findText(s, 'OUT=', i + 4, end);
  }
  return -1;
}

/** The nf_log fields that may follow a lone IN=/OUT= device. */
function fieldAfterDevice(s: Uint8Array, k: number, end: number, phys: string): boolean {
  return bytesAre(s, k, end, 'SRC=') || bytesAre(s, k, end, 'MAC=') || bytesAre(s, k, end, phys);
}

/**
 * A firewall line cut before its IN=/OUT= (a record split by a length limit,
 * the tail of a line run into another): nf_log fields without their start.
 * Counted as truncated instead of passing for another program's text.
 */
export function isCutPayload(s: Buffer, start: number, end: number): boolean {
  const d = findText(s, 'DPT=', start, end);
  if (d >= 0 && (d === start || s[d - 1] === 32) && isDigit(at(s, d + 4, end))) return true;
  const src = findText(s, 'SRC=', start, end);
  return src >= 0 && (src === start || s[src - 1] === 32) && findText(s, ' DST=', src, end) >= 0;
}

/**
 * Boot time plus a kernel uptime (ms). An uptime longer than the whole range
 * of accepted times cannot be real: Infinity, so the line is skipped as
 * bad-time even when the boot time is unknown (NaN: no time).
 */
function sinceBoot(ctx: ParseContext, ms: number): number {
  return ms <= TS_MAX - TS_MIN ? ctx.bootTime + ms : Number.POSITIVE_INFINITY;
}

const scratch: TimeResult = { ts: 0, end: 0 };

/** `PRI,SEQ,USEC,FLAGS;` header of a /dev/kmsg record: returns the index after `;`, or -1. */
function kmsgHeader(s: Uint8Array, start: number, end: number, p: Packet, ctx: ParseContext): number {
  let k = start;
  while (k < end && isDigit(s[k] as number)) k++;
  if (k === start || at(s, k, end) !== 44) return -1;
  k++;
  while (k < end && isDigit(s[k] as number)) k++; // sequence number
  if (at(s, k, end) !== 44) return -1;
  const u0 = ++k;
  let usec = 0;
  while (k < end && isDigit(s[k] as number)) usec = usec * 10 + ((s[k++] as number) - 48);
  if (k === u0 || at(s, k, end) !== 44) return -1;
  const semi = indexIn(s, 59, k, end);
  if (semi < 0 || semi - k > 8) return -1;
  p.ts = sinceBoot(ctx, usec / 1000);
  return semi + 1;
}

/** Trimmed prefix text in s[from, to), with a leading kernel `[uptime]` stamp removed. */
function prefixText(s: Buffer, from: number, to: number, end: number, p: Packet): void {
  while (from < to && s[from] === 32) from++;
  if (at(s, from, end) === 91 && uptimeAt(s, from, end, scratch) && scratch.end <= to) {
    from = scratch.end;
    while (from < to && s[from] === 32) from++;
  }
  while (to > from && s[to - 1] === 32) to--;
  p.prefix = prefixes.get(s, from, to);
}

/** Host name: the word just before `stop` (which points at `kernel:` or the tag). */
function hostBefore(s: Buffer, stop: number, from: number): string {
  let e = stop;
  while (e > from && s[e - 1] === 32) e--;
  let b = e;
  while (b > from && s[b - 1] !== 32) b--;
  return hosts.get(s, b, e);
}

/**
 * Fills p.ts, p.host and p.prefix from the text in [start, payload). Records
 * without their own clock (dmesg, kmsg) use boot time plus uptime.
 */
export function parseEnvelope(s: Buffer, start: number, payload: number, end: number, p: Packet, ctx: ParseContext): void {
  const c0 = at(s, start, end);
  let from = start;
  if (isDigit(c0)) {
    const after = kmsgHeader(s, start, end, p, ctx);
    if (after >= 0) { prefixText(s, after, payload, end, p); return; }
  } else if (c0 === 91 /* [ */ && uptimeAt(s, start, end, scratch)) {
    // bare dmesg, or journalctl short-monotonic (`[ 463.25] host kernel: ...`)
    p.ts = sinceBoot(ctx, scratch.ts);
    from = scratch.end;
  } else if (c0 === 60 /* < */) {
    const gt = indexIn(s, 62, start, end);
    if (gt > start && gt < start + 5) from = gt + 1;
    if (at(s, from, end) === 49 && at(s, from + 1, end) === 32) return rfc5424(s, from + 2, payload, end, p, ctx);
  }
  if (Number.isNaN(p.ts)) {
    const found = from === start ? findTimestamp(s, start, payload, end, ctx, scratch) : timestampAt(s, from, end, ctx, scratch);
    if (found) {
      p.ts = scratch.ts;
      from = scratch.end;
    }
  }
  // The syslog tag: the first `kernel:` after the timestamp, before the payload.
  const kernel = findText(s, 'kernel:', from, payload);
  if (kernel >= 0) {
    p.host = hostBefore(s, kernel, from);
    prefixText(s, kernel + 7, payload, end, p);
    if (Number.isNaN(p.ts) && uptimeAt(s, skipSpaces(s, kernel + 7, end), end, scratch)) p.ts = sinceBoot(ctx, scratch.ts);
  } else {
    prefixText(s, from, payload, end, p);
  }
}

function skipSpaces(s: Uint8Array, i: number, end: number): number {
  while (i < end && s[i] === 32) i++;
  return i;
}

/** RFC 5424 after `<PRI>1 `: TIMESTAMP HOST APP PROCID MSGID SD MSG. */
function rfc5424(s: Buffer, i: number, payload: number, end: number, p: Packet, ctx: ParseContext): void {
  if (timestampAt(s, i, end, ctx, scratch)) p.ts = scratch.ts;
  let k = spaceFrom(s, i, end);
  const fields: number[] = [];
  for (let n = 0; n < 4 && k >= 0 && k < payload; n++) {
    fields.push(k + 1);
    k = spaceFrom(s, k + 1, end);
  }
  const hostStart = fields[0];
  if (hostStart !== undefined) {
    const e = spaceFrom(s, hostStart, end);
    p.host = e > hostStart ? hosts.get(s, hostStart, e) : '';
  }
  // After MSGID comes structured data: `-` or `[...]` groups.
  let msg = k >= 0 ? k + 1 : payload;
  const c = at(s, msg, end);
  if (c === 45) msg += 2;
  else if (c === 91) {
    const close = closeBracketSpace(s, msg, end);
    msg = close >= 0 && close < payload ? close + 2 : payload;
  }
  prefixText(s, Math.min(msg, payload), payload, end, p);
}

/** The first `] ` at or after i before end, or -1. */
function closeBracketSpace(s: Uint8Array, i: number, end: number): number {
  for (let k = i; k + 1 < end; k++) if (s[k] === 93 && s[k + 1] === 32) return k;
  return -1;
}
