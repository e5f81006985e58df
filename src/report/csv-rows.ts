/** `--csv`: selected packet fields, one row per packet, RFC 4180 quoting; log text with its control characters escaped. */
import { escapeText } from '../text/escape.js';
import type { Packet } from '../model/packet.js';
import { tcpFlagsText } from '../net/tcp-flags.js';

type Getter = (p: Packet) => string | number;

const num = (v: number): string => (v < 0 ? '' : String(v));

export const CSV_FIELDS: Readonly<Record<string, Getter>> = {
  timestamp: (p) => (Number.isFinite(p.ts) ? new Date(p.ts).toISOString() : ''),
  host: (p) => p.host,
  prefix: (p) => p.prefix,
  chain: (p) => p.chain,
  in: (p) => p.inIf,
  out: (p) => p.outIf,
  mac: (p) => p.mac,
  src: (p) => p.src,
  dst: (p) => p.dst,
  family: (p) => p.family,
  proto: (p) => p.proto,
  len: (p) => num(p.len),
  tos: (p) => num(p.tos),
  ttl: (p) => num(p.ttl),
  id: (p) => num(p.id),
  sport: (p) => num(p.sport),
  dport: (p) => num(p.dport),
  flags: (p) => (p.protoNum === 6 ? tcpFlagsText(p.tcpFlags) : ''),
  window: (p) => num(p.window),
  seq: (p) => num(p.seq),
  ack: (p) => num(p.ack),
  tcpopts: (p) => p.tcpOpts,
  ipopts: (p) => p.ipOpts,
  itype: (p) => num(p.icmpType),
  icode: (p) => num(p.icmpCode),
  uid: (p) => num(p.uid),
  mark: (p) => num(p.mark),
};

export const DEFAULT_CSV_FIELDS = ['timestamp', 'src', 'dst', 'sport', 'dport', 'proto', 'flags', 'len', 'in', 'chain', 'prefix'];

function quote(v: string | number): string {
  if (typeof v === 'number') return String(v);
  const s = escapeText(v);
  return /[",]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Validates field names; returns the unknown ones. */
export function unknownCsvFields(fields: readonly string[]): string[] {
  return fields.filter((f) => !(f in CSV_FIELDS));
}

export function csvHeader(fields: readonly string[]): string {
  return fields.join(',');
}

export function csvRow(p: Packet, fields: readonly string[]): string {
  let out = '';
  for (let i = 0; i < fields.length; i++) {
    const g = CSV_FIELDS[fields[i] as string] as Getter;
    out += (i > 0 ? ',' : '') + quote(g(p));
  }
  return out;
}
