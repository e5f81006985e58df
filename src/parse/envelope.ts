/**
 * The envelope around a netfilter payload: where the payload starts, the
 * record time, the host and the log prefix (text between the kernel
 * envelope and `IN=`: `DROP`, `[UFW BLOCK]`, `Shorewall:net-fw:DROP:`).
 */
import { TS_MAX, TS_MIN, type Packet } from '../model/packet.js';
import type { ParseContext } from './context.js';
import { findTimestamp, timestampAt, uptimeAt, type TimeResult } from './syslog-time.js';

/**
 * Index of the `IN=` that starts the payload, or -1. It must be followed by
 * `IN=<name> OUT=` so that a prefix or program text containing `IN=` is not
 * taken for it; no separator is required before it (Shorewall writes
 * `...:DROP:IN=eth0`). pvefw-logger (Proxmox) writes IN= and OUT= only for
 * the devices a packet has: there the payload may start `IN=<name> PHYSIN=|MAC=|SRC=`
 * (no OUT=) or `OUT=<name> PHYSOUT=|MAC=|SRC=` (no IN=).
 */
export function findPayload(s: string, from: number): number {
  let i = s.indexOf('IN=', from);
  while (i >= 0) {
    const sp = s.indexOf(' ', i + 3);
    if (sp > 0 && sp - i < 24 && (s.startsWith('OUT=', sp + 1) || fieldAfterDevice(s, sp + 1, 'PHYSIN='))) return i;
    i = s.indexOf('IN=', i + 3);
  }
  i = s.indexOf('OUT=', from);
  while (i >= 0) {
    const sp = s.indexOf(' ', i + 4);
    if (sp > 0 && sp - i < 25 && fieldAfterDevice(s, sp + 1, 'PHYSOUT=')) return i;
    i = s.indexOf('OUT=', i + 4);
  }
  return -1;
}

/** The nf_log fields that may follow a lone IN=/OUT= device. */
function fieldAfterDevice(s: string, k: number, phys: string): boolean {
  return s.startsWith('SRC=', k) || s.startsWith('MAC=', k) || s.startsWith(phys, k);
}

/**
 * A firewall line cut before its IN=/OUT= (a record split by a length limit,
 * the tail of a line run into another): nf_log fields without their start.
 * Counted as truncated instead of passing for another program's text.
 */
export function isCutPayload(s: string): boolean {
  const d = s.indexOf('DPT=');
  if (d >= 0 && (d === 0 || s.charCodeAt(d - 1) === 32) && isDigit(s.charCodeAt(d + 4))) return true;
  const src = s.indexOf('SRC=');
  return src >= 0 && (src === 0 || s.charCodeAt(src - 1) === 32) && s.indexOf(' DST=', src) > 0;
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

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `PRI,SEQ,USEC,FLAGS;` header of a /dev/kmsg record: returns the index after `;`, or -1. */
function kmsgHeader(s: string, p: Packet, ctx: ParseContext): number {
  let k = 0;
  while (isDigit(s.charCodeAt(k))) k++;
  if (k === 0 || s.charCodeAt(k) !== 44) return -1;
  k++;
  while (isDigit(s.charCodeAt(k))) k++; // sequence number
  if (s.charCodeAt(k) !== 44) return -1;
  const u0 = ++k;
  let usec = 0;
  while (isDigit(s.charCodeAt(k))) usec = usec * 10 + (s.charCodeAt(k++) - 48);
  if (k === u0 || s.charCodeAt(k) !== 44) return -1;
  const semi = s.indexOf(';', k);
  if (semi < 0 || semi - k > 8) return -1;
  p.ts = sinceBoot(ctx, usec / 1000);
  return semi + 1;
}

/** Trimmed prefix text in s[from, to), with a leading kernel `[uptime]` stamp removed. */
function prefixText(s: string, from: number, to: number, p: Packet): void {
  while (from < to && s.charCodeAt(from) === 32) from++;
  if (s.charCodeAt(from) === 91 && uptimeAt(s, from, scratch) && scratch.end <= to) {
    from = scratch.end;
    while (from < to && s.charCodeAt(from) === 32) from++;
  }
  while (to > from && s.charCodeAt(to - 1) === 32) to--;
  p.prefix = from < to ? s.slice(from, to) : '';
}

/** Host name: the word just before `end` (which points at `kernel:` or the tag). */
function hostBefore(s: string, end: number, from: number): string {
  let e = end;
  while (e > from && s.charCodeAt(e - 1) === 32) e--;
  let b = e;
  while (b > from && s.charCodeAt(b - 1) !== 32) b--;
  return b < e ? s.slice(b, e) : '';
}

/**
 * Fills p.ts, p.host and p.prefix from the text before the payload at
 * `payload`. Records without their own clock (dmesg, kmsg) use boot time
 * plus uptime.
 */
export function parseEnvelope(s: string, payload: number, p: Packet, ctx: ParseContext): void {
  const c0 = s.charCodeAt(0);
  let start = 0;
  if (isDigit(c0)) {
    const after = kmsgHeader(s, p, ctx);
    if (after >= 0) { prefixText(s, after, payload, p); return; }
  } else if (c0 === 91 /* [ */ && uptimeAt(s, 0, scratch)) {
    // bare dmesg, or journalctl short-monotonic (`[ 463.25] host kernel: ...`)
    p.ts = sinceBoot(ctx, scratch.ts);
    start = scratch.end;
  } else if (c0 === 60 /* < */) {
    const gt = s.indexOf('>');
    if (gt > 0 && gt < 5) start = gt + 1;
    if (s.charCodeAt(start) === 49 && s.charCodeAt(start + 1) === 32) return rfc5424(s, start + 2, payload, p, ctx);
  }
  if (Number.isNaN(p.ts)) {
    const found = start === 0 ? findTimestamp(s, payload, ctx, scratch) : timestampAt(s, start, ctx, scratch);
    if (found) {
      p.ts = scratch.ts;
      start = scratch.end;
    }
  }
  // The syslog tag: the first `kernel:` after the timestamp (a forward indexOf is a fast
  // builtin; lastIndexOf is a slow runtime call in V8).
  let kernel = s.indexOf('kernel:', start);
  if (kernel > payload) kernel = -1;
  if (kernel >= start) {
    p.host = hostBefore(s, kernel, start);
    prefixText(s, kernel + 7, payload, p);
    if (Number.isNaN(p.ts) && uptimeAt(s, skipSpaces(s, kernel + 7), scratch)) p.ts = sinceBoot(ctx, scratch.ts);
  } else {
    prefixText(s, start, payload, p);
  }
}

function skipSpaces(s: string, i: number): number {
  while (s.charCodeAt(i) === 32) i++;
  return i;
}

/** RFC 5424 after `<PRI>1 `: TIMESTAMP HOST APP PROCID MSGID SD MSG. */
function rfc5424(s: string, i: number, payload: number, p: Packet, ctx: ParseContext): void {
  if (timestampAt(s, i, ctx, scratch)) p.ts = scratch.ts;
  let k = s.indexOf(' ', i);
  const fields: number[] = [];
  for (let n = 0; n < 4 && k >= 0 && k < payload; n++) {
    fields.push(k + 1);
    k = s.indexOf(' ', k + 1);
  }
  const hostStart = fields[0];
  if (hostStart !== undefined) {
    const e = s.indexOf(' ', hostStart);
    p.host = e > hostStart ? s.slice(hostStart, e) : '';
  }
  // After MSGID comes structured data: `-` or `[...]` groups.
  let msg = k >= 0 ? k + 1 : payload;
  if (s.charCodeAt(msg) === 45) msg += 2;
  else if (s.charCodeAt(msg) === 91) {
    const close = s.indexOf('] ', msg);
    msg = close >= 0 && close < payload ? close + 2 : payload;
  }
  prefixText(s, Math.min(msg, payload), payload, p);
}
