/**
 * Shared block decisions: the type the daemon sees, the fields written to
 * the stream, and the checks on entries read back (from any sensor).
 */
import { randomBytes } from 'node:crypto';
import { PERMANENT } from './keys.js';
import { boundedInt, canonicalCidrText, cleanText, isSensorName, prefixProblem, type PrefixBounds } from './validate.js';

export type DecisionOp = 'block' | 'unblock';

export interface FleetDecision {
  /** Unique id: the same decision is never applied twice. */
  id: string;
  op: DecisionOp;
  /** Canonical address or prefix (`198.51.100.7`, `2001:db8:1:2::/64`). */
  cidr: string;
  /** Blocks: expiry (epoch ms), null = until removed. Unblocks: null. */
  expiresAt: number | null;
  dl: number | null;
  reason: string;
  /** Sensor that decided it. */
  by: string;
  /** When it was decided (epoch ms). */
  at: number;
}

/** What the daemon hands to FleetDecisions.block(). */
export interface BlockNotice {
  cidr: string;
  /** Epoch ms; null = until removed. */
  expiresAt: number | null;
  dl?: number | null;
  reason?: string;
}

export interface AcceptBounds extends PrefixBounds {
  /** Longest accepted block from another sensor, ms; 0 = any. */
  maxBlockMs: number;
}

export type Decoded =
  | { kind: 'ok'; decision: FleetDecision; merged: boolean; clamped: boolean }
  | { kind: 'expired'; id: string }
  | { kind: 'invalid'; reason: string };

/** A new decision id: sensor, time and 48 random bits (unique without coordination). */
export function newDecisionId(sensor: string, now: number): string {
  return `${sensor}:${now.toString(36)}:${randomBytes(6).toString('hex')}`;
}

const ID = /^[A-Za-z0-9_.:-]{1,120}$/;
const TEN_YEARS_MS = 10 * 365 * 86_400_000;

/** Reads and checks one decision (a stream entry or a live-set record); unknown fields are ignored. */
export function decodeDecision(rec: Record<string, unknown>, b: AcceptBounds, now: number): Decoded {
  const id = typeof rec.id === 'string' && ID.test(rec.id) ? rec.id : null;
  if (id === null) return { kind: 'invalid', reason: 'missing or malformed id' };
  const op = rec.op === 'block' || rec.op === 'unblock' ? rec.op : null;
  if (op === null) return { kind: 'invalid', reason: `${id}: unknown operation` };
  const cidr = typeof rec.cidr === 'string' ? canonicalCidrText(rec.cidr) : null;
  if (cidr === null) return { kind: 'invalid', reason: `${id}: "${cleanText(rec.cidr, 60)}" is not a canonical address or prefix` };
  const bad = op === 'block' ? prefixProblem(cidr, b) : null;
  if (bad !== null) return { kind: 'invalid', reason: `${id}: ${cidr}: ${bad}` };
  const by = typeof rec.by === 'string' && isSensorName(rec.by) ? rec.by : null;
  if (by === null) return { kind: 'invalid', reason: `${id}: malformed sensor name` };
  const at = boundedInt(rec.at, 0, PERMANENT);
  if (at === null) return { kind: 'invalid', reason: `${id}: malformed decision time` };
  const dl = rec.dl === '' || rec.dl === undefined || rec.dl === null ? null : boundedInt(rec.dl, 0, 5);
  if (dl === null && rec.dl !== '' && rec.dl !== undefined && rec.dl !== null) return { kind: 'invalid', reason: `${id}: danger level is not 0-5` };
  let expiresAt: number | null = null;
  let clamped = false;
  if (op === 'block') {
    // 0 is "until removed"; anything else must be a plausible time, not a 20-digit joke.
    const exp = boundedInt(rec.exp, 0, now + TEN_YEARS_MS);
    if (exp === null) return { kind: 'invalid', reason: `${id}: expiry "${cleanText(rec.exp, 30)}" is out of bounds` };
    if (exp !== 0 && exp <= now) return { kind: 'expired', id };
    expiresAt = exp === 0 ? null : exp;
    if (b.maxBlockMs > 0 && (expiresAt === null || expiresAt > now + b.maxBlockMs)) {
      expiresAt = now + b.maxBlockMs;
      clamped = true;
    }
  }
  const decision: FleetDecision = { id, op, cidr, expiresAt, dl, reason: cleanText(rec.why), by, at };
  return { kind: 'ok', decision, merged: rec.m === '1', clamped };
}

/**
 * A decision of this sensor saved with the daemon state (still waiting to be
 * sent), read back with the same checks as one from the stream; null when
 * malformed or, for a block, expired meanwhile (nobody needs it any more).
 */
export function savedDecision(v: unknown, now: number): FleetDecision | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const d = v as Record<string, unknown>;
  const exp = d.expiresAt === null ? 0 : d.expiresAt;
  const r = decodeDecision({ id: d.id, op: d.op, cidr: d.cidr, exp, dl: d.dl, by: d.by, at: d.at, why: d.reason }, { minPrefixV4: 0, minPrefixV6: 0, maxBlockMs: 0 }, now);
  return r.kind === 'ok' ? r.decision : null;
}

/** The Lua script's ARGV for one decision (after the common arguments). */
export function decisionArgs(d: FleetDecision): string[] {
  return [d.id, d.op, d.cidr, d.expiresAt === null ? '0' : String(d.expiresAt), d.dl === null ? '' : String(d.dl), d.by, String(d.at), cleanText(d.reason)];
}
