/**
 * Validated forms of the report fields that may appear in a mail subject or
 * header, or label a chart of the HTML report. Each returns null when the
 * value is not what the JSON contract promises, so such text is only ever
 * built from addresses, fixed names and numbers, never from free text a
 * remote host could shape.
 */
import type { ScanType } from '../model/report.js';
import { formatCidr, parseCidr } from '../net/address.js';

const SCAN_TYPES: ReadonlySet<string> = new Set<ScanType>([
  'SYN', 'CONNECT', 'FIN', 'NULL', 'XMAS', 'ACK', 'MAIMON', 'WINDOW', 'UDP', 'PROTO', 'ICMP', 'SWEEP',
]);
const PROTO_NAMES: ReadonlySet<string> = new Set(['tcp', 'udp', 'udplite', 'sctp', 'icmp', 'icmp6']);

/** An address or prefix in canonical text (`203.0.113.5`, `2001:db8:1:2::/64`). */
export function safeSource(src: unknown): string | null {
  if (typeof src !== 'string' || src.length > 64) return null;
  const c = parseCidr(src);
  return c === null ? null : formatCidr(c);
}

export function safeCountry(cc: unknown): string | null {
  return typeof cc === 'string' && /^[A-Z]{2}$/.test(cc) ? cc : null;
}

export function safeAsn(asn: unknown): number | null {
  return typeof asn === 'number' && Number.isInteger(asn) && asn > 0 && asn < 2 ** 32 ? asn : null;
}

export function safeLevel(dl: unknown): number {
  return typeof dl === 'number' && Number.isInteger(dl) && dl >= 0 && dl <= 5 ? dl : 0;
}

/** Tool names are short lowercase words (`nmap`, `masscan`, `zmap`, `mirai`). */
export function safeTool(tool: unknown): string | null {
  return typeof tool === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,23}$/.test(tool) ? tool : null;
}

export function safeScanTypes(types: unknown): string[] {
  if (!Array.isArray(types)) return [];
  return types.filter((t): t is string => typeof t === 'string' && SCAN_TYPES.has(t));
}

/** A protocol key: a known name or a protocol number. */
export function safeProto(p: string): string | null {
  if (PROTO_NAMES.has(p)) return p;
  return /^\d{1,3}$/.test(p) && Number(p) <= 255 ? p : null;
}

export function safePort(n: unknown): number | null {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
}

/** `1000-1500` or `22` from a `[min, max]` pair; null unless both are ports. */
export function portRangeText(range: unknown): string | null {
  if (!Array.isArray(range) || range.length !== 2) return null;
  const lo = safePort(range[0]);
  const hi = safePort(range[1]);
  if (lo === null || hi === null) return null;
  return lo === hi ? String(lo) : `${lo}-${hi}`;
}

/** A host name safe for a header: letters, digits, dots and dashes only. */
export function safeHostName(host: unknown): string | null {
  return typeof host === 'string' && /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})$/.test(host) ? host : null;
}

/** An ISO 8601 time from the report, re-formatted; null when it is not a date. */
export function safeTime(t: unknown): string | null {
  if (typeof t !== 'string' || t.length > 40) return null;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
