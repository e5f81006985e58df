/**
 * Turns the text of a reputation feed into a PrefixMap of its entries.
 *
 * Formats:
 * - plain (also FireHOL netsets and Emerging Threats lists): the first token
 *   of each line is an address, a CIDR or an IPv4 range A-B; `#`, `;` and
 *   `//` start comments (Spamhaus DROP writes "CIDR ; SBL123").
 * - dshield-top10: tab separated columns, the first is the address; DShield
 *   pads octets with zeros ("061.177.172.013"), read as decimal.
 * - dshield-block: columns start, end, prefix length (block.txt: /24 nets).
 *
 * Lines that are not comments and do not parse are counted (with the first
 * few quoted, by line number) so that a caller can reject a download that is
 * mostly garbage, such as an HTML error page served with status 200.
 * Entries shorter than /8 (IPv4) or /16 (IPv6) are refused: a feed listing
 * 0.0.0.0/0 would otherwise mark, or with block=Y block, the whole Internet.
 */
import { setImmediate as nextTick } from 'node:timers/promises';
import type { FeedFormat } from '../config/keys/enrich.js';
import { type Cidr, formatCidr, formatIPv4, parseCidr, parseIPv4 } from '../net/address.js';
import { PrefixMap } from '../net/prefix-map.js';

export interface ParsedFeed {
  map: PrefixMap<true>;
  /** Normalized entries (address or CIDR text), without duplicates, in file order. */
  entries: string[];
  /** Lines that were neither entries, comments, blank nor a header. */
  malformed: number;
  /** Entries refused for covering too much (shorter than /8 or /16). */
  tooBroad: number;
  /** Up to 3 examples, "line N: reason". */
  problems: string[];
}

const MIN_LEN_V4 = 8;
const MIN_LEN_V6 = 16;
const YIELD_EVERY = 20000;
const MAX_RANGE_CIDRS = 64;

type LineResult = Cidr[] | 'skip' | string;

/** A single IPv4 host as a Cidr without the generic parser (most lines of big lists are these). */
function hostV4(n: number): Cidr {
  const bytes = new Uint8Array(4);
  bytes[0] = n >>> 24;
  bytes[1] = (n >>> 16) & 255;
  bytes[2] = (n >>> 8) & 255;
  bytes[3] = n & 255;
  return { family: 4, bytes, len: 32 };
}

/** Reads a dotted quad whose octets may carry leading zeros (DShield). */
function paddedIPv4(s: string): number | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

/** The CIDRs exactly covering an IPv4 range (at most MAX_RANGE_CIDRS). */
export function rangeToCidrs(start: number, end: number): Cidr[] | null {
  if (end < start) return null;
  const out: Cidr[] = [];
  let cur = start;
  while (cur <= end && out.length <= MAX_RANGE_CIDRS) {
    let len = 32;
    // Grow the block while it stays aligned and inside the range.
    while (len > 0) {
      const size = 2 ** (33 - len);
      if (cur % size !== 0 || cur + size - 1 > end) break;
      len--;
    }
    out.push(parseCidr(`${formatIPv4(cur)}/${len}`) as Cidr);
    cur += 2 ** (32 - len);
  }
  return cur <= end ? null : out;
}

function firstToken(line: string): string {
  let end = 0;
  while (end < line.length) {
    const c = line.charCodeAt(end);
    if (c === 32 || c === 9 || c === 44 /* , */ || c === 59 /* ; */ || c === 35 /* # */) break;
    end++;
  }
  return line.slice(0, end);
}

function plainLine(line: string): LineResult {
  const tok = firstToken(line);
  if (tok === '') return 'skip';
  const dash = tok.indexOf('-');
  if (dash > 0 && !tok.includes(':')) {
    const a = parseIPv4(tok.slice(0, dash));
    const b = parseIPv4(tok.slice(dash + 1));
    const cidrs = a !== null && b !== null ? rangeToCidrs(a, b) : null;
    return cidrs ?? `not a valid address range "${tok}"`;
  }
  const v4 = parseIPv4(tok);
  if (v4 !== null) return [hostV4(v4)];
  const c = parseCidr(tok);
  return c === null ? `not an address or CIDR: "${line.length > 60 ? `${line.slice(0, 57)}...` : line}"` : [c];
}

function dshieldTopLine(line: string): LineResult {
  const tok = firstToken(line);
  const n = paddedIPv4(tok);
  if (n !== null) return [hostV4(n)];
  const c = tok.includes(':') ? parseCidr(tok) : null;
  return c === null ? `first column is not an address "${tok}"` : [c];
}

function dshieldBlockLine(line: string): LineResult {
  // Tab separated; an empty column must stay a column, so split on tabs when there are any.
  const cols = line.includes('\t') ? line.split('\t').map((c) => c.trim()) : line.split(/\s+/);
  const start = paddedIPv4(cols[0] ?? '');
  if (start === null) return `first column is not an address "${cols[0] ?? ''}"`;
  const end = paddedIPv4(cols[1] ?? '');
  const len = /^\d{1,2}$/.test(cols[2] ?? '') ? Number(cols[2]) : NaN;
  if (len >= 0 && len <= 32) {
    const c = parseCidr(`${formatIPv4(start)}/${len}`) as Cidr;
    const last = start + 2 ** (32 - len) - 1;
    if (end === null || end === last) return [c];
  }
  const cidrs = end !== null ? rangeToCidrs(start, end) : null;
  return cidrs ?? `no valid end address or prefix length in "${line.slice(0, 60)}"`;
}

const LINE_PARSERS: Record<FeedFormat, (line: string) => LineResult> = {
  plain: plainLine,
  firehol: plainLine,
  'emerging-threats': plainLine,
  'dshield-top10': dshieldTopLine,
  'dshield-block': dshieldBlockLine,
};

function isComment(line: string): boolean {
  const c = line.charCodeAt(0);
  return c === 35 /* # */ || c === 59 /* ; */ || line.startsWith('//');
}

/** A column header line ("Start End Netblock ...", "ip ..."): letters first, on the first data line only. */
function isHeader(line: string, isFirstData: boolean): boolean {
  if (!isFirstData) return false;
  const c = line.charCodeAt(0) | 0x20;
  return c >= 97 && c <= 122 && !/^[0-9a-f]{0,4}:/i.test(line);
}

function addEntry(out: ParsedFeed, c: Cidr): void {
  if (c.len < (c.family === 4 ? MIN_LEN_V4 : MIN_LEN_V6)) {
    out.tooBroad++;
    return;
  }
  const before = out.map.size;
  out.map.set(c, true);
  if (out.map.size !== before) out.entries.push(formatCidr(c));
}

/** Parses feed text; yields to the event loop every 20,000 lines so detection keeps running. */
export async function parseFeedText(text: string, format: FeedFormat): Promise<ParsedFeed> {
  const out: ParsedFeed = { map: new PrefixMap<true>(), entries: [], malformed: 0, tooBroad: 0, problems: [] };
  const parseLine = LINE_PARSERS[format];
  let pos = 0;
  let lineNo = 0;
  let sawData = false;
  if (text.charCodeAt(0) === 0xfeff) pos = 1; // BOM
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const line = text.slice(pos, nl).trim();
    pos = nl + 1;
    if (++lineNo % YIELD_EVERY === 0) await nextTick();
    if (line === '' || isComment(line)) continue;
    if (isHeader(line, !sawData) && format.startsWith('dshield')) {
      sawData = true;
      continue;
    }
    sawData = true;
    const r = parseLine(line);
    if (r === 'skip') continue;
    if (typeof r === 'string') {
      out.malformed++;
      if (out.problems.length < 3) out.problems.push(`line ${lineNo}: ${r.length > 100 ? `${r.slice(0, 97)}...` : r}`);
      continue;
    }
    for (const c of r) addEntry(out, c);
  }
  return out;
}

/**
 * Why a parsed download must not replace the current list, or null when it
 * may: no entries at all, or more malformed lines than entries (an error
 * page, a changed format). An empty list never replaces anything.
 */
export function rejectReason(p: ParsedFeed): string | null {
  const detail = p.problems.length > 0 ? ` (${p.problems.join('; ')})` : '';
  if (p.entries.length === 0) return `no usable entries${p.tooBroad > 0 ? `, ${p.tooBroad} too broad` : ''}${detail}`;
  if (p.malformed > p.entries.length) return `${p.malformed} malformed lines against ${p.entries.length} entries${detail}`;
  return null;
}
