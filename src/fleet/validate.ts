/**
 * Checks applied to everything read back from Redis. Other sensors, an
 * operator with redis-cli, or an attacker holding a Redis password can write
 * there: an address must parse and re-format to the same text, a prefix must
 * not be shorter than the configured minimum, numbers must be in range, and
 * sizes are bounded before anything is parsed.
 */
import { formatCidr, parseCidr } from '../net/address.js';
import { SENSOR_NAME } from '../config/keys/fleet.js';

/** Longest field value accepted from Redis (bytes of text). */
export const MAX_FIELD = 1024;

/** `s` when it is a canonical address or prefix (host bits clear, IPv6 compressed); else null. */
export function canonicalCidrText(s: string): string | null {
  if (s.length === 0 || s.length > 49) return null;
  const c = parseCidr(s);
  return c !== null && formatCidr(c) === s ? s : null;
}

export interface PrefixBounds {
  minPrefixV4: number;
  minPrefixV6: number;
}

/** Why a canonical cidr is not acceptable from another sensor, or null when it is. */
export function prefixProblem(cidr: string, b: PrefixBounds): string | null {
  const c = parseCidr(cidr);
  if (c === null) return 'not an address or prefix';
  const min = c.family === 4 ? b.minPrefixV4 : b.minPrefixV6;
  return c.len < min ? `prefix /${c.len} is shorter than the accepted /${min}` : null;
}

export function isSensorName(s: string): boolean {
  return SENSOR_NAME.test(s);
}

/** Redis stream id `MS-SEQ`. */
export function isStreamId(s: string): boolean {
  return /^\d{1,19}-\d{1,19}$/.test(s);
}

/** Compares stream ids numerically (-1, 0, 1). */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}

/** Milliseconds part of a stream id. */
export function streamIdMs(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

/** A whole number in [min, max] written as plain digits; null otherwise. */
export function boundedInt(s: unknown, min: number, max: number): number | null {
  if (typeof s === 'number') return Number.isSafeInteger(s) && s >= min && s <= max ? s : null;
  if (typeof s !== 'string' || !/^\d{1,16}$/.test(s)) return null;
  const n = Number(s);
  return n >= min && n <= max ? n : null;
}

/** Free text from another sensor for logs and status: control characters dropped, length capped. */
export function cleanText(s: unknown, max = 200): string {
  if (typeof s !== 'string') return '';
  return s.replace(/[\x00-\x1f\x7f]/g, '').slice(0, max);
}

/** JSON.parse of a bounded string into a plain object; null when it is not one. */
export function parseSmallObject(s: unknown, max = MAX_FIELD): Record<string, unknown> | null {
  if (typeof s !== 'string' || s.length > max) return null;
  try {
    const v: unknown = JSON.parse(s);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Pairs of a flat Redis reply `[k1, v1, k2, v2, ...]` (a stream entry's fields): null when any is malformed or oversized. */
export function pairs(reply: unknown, maxPairs: number): Array<[string, string]> | null {
  if (!Array.isArray(reply) || reply.length % 2 !== 0 || reply.length > maxPairs * 2) return null;
  const out: Array<[string, string]> = [];
  for (let i = 0; i < reply.length; i += 2) {
    const k: unknown = reply[i];
    const v: unknown = reply[i + 1];
    if (typeof k !== 'string' || typeof v !== 'string' || k.length > 64 || v.length > MAX_FIELD) return null;
    out.push([k, v]);
  }
  return out;
}

/**
 * Pairs of a hash reply (HGETALL, HSCAN page): malformed or oversized pairs
 * are skipped one by one and counted through `bad`, so one hostile field
 * cannot hide the others.
 */
export function hashPairs(reply: unknown, maxPairs: number, bad: () => void = () => undefined): Array<[string, string]> {
  if (!Array.isArray(reply)) return [];
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < reply.length && out.length < maxPairs; i += 2) {
    const k: unknown = reply[i];
    const v: unknown = reply[i + 1];
    if (typeof k === 'string' && typeof v === 'string' && k.length <= 64 && v.length <= MAX_FIELD) out.push([k, v]);
    else bad();
  }
  return out;
}
