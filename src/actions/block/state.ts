/**
 * The saved form of the blocks inside the daemon state (version 1: objects,
 * times as ISO 8601 UTC), and the checks of every saved block, whatever the
 * layout (blocks.json is version 2, one block per line: saved-lines.ts).
 * Reading is forgiving: a malformed entry is skipped and counted, an expired
 * one is dropped; every number is range-checked.
 */
import type { Cidr } from '../../net/address.js';
import { canonicalCidr } from './cidr.js';
import type { BlockRecord, NewRecord } from './records.js';

/** A saved block read back, with its parsed prefix (so the store does not parse it again). */
export type ReadRecord = NewRecord & { parsed: Cidr };

export interface Offender {
  cidr: string;
  /** Blocks so far within the offender memory. */
  count: number;
  /** Epoch ms of the latest. */
  last: number;
}

export interface BlockJson {
  cidr: string;
  createdAt: string;
  expiresAt: string | null;
  reason: string;
  dl: number | null;
  manual: boolean;
}

export interface BlockStateJson {
  version: 1;
  savedAt: string;
  blocks: BlockJson[];
  offenders: Array<{ cidr: string; count: number; last: string }>;
}

export function writeState(records: Iterable<BlockRecord>, offenders: Iterable<Offender>, now: number): BlockStateJson {
  const blocks: BlockJson[] = [];
  for (const r of records) {
    blocks.push({ cidr: r.cidr, createdAt: new Date(r.createdAt).toISOString(), expiresAt: r.expiresAt === null ? null : new Date(r.expiresAt).toISOString(), reason: r.reason, dl: r.dl, manual: r.manual });
  }
  const offs: BlockStateJson['offenders'] = [];
  for (const o of offenders) offs.push({ cidr: o.cidr, count: o.count, last: new Date(o.last).toISOString() });
  return { version: 1, savedAt: new Date(now).toISOString(), blocks, offenders: offs };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function time(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : null;
}

/** Latest time accepted in a saved block (the end of Date's range). */
export const MAX_TIME = 8.64e15;

function epochMs(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_TIME ? v : null;
}

/** A version 2 row: [cidr, createdAt, expiresAt, dl, manual, reason] (saved-lines.ts). */
export function readBlockRow(v: unknown, now: number): ReadRecord | 'expired' | null {
  if (!Array.isArray(v) || v.length !== 6) return null;
  const [cidr, created, expires, dl, manual, reason] = v as unknown[];
  if (typeof cidr !== 'string' || typeof manual !== 'boolean' || typeof reason !== 'string') return null;
  const createdAt = epochMs(created);
  const expiresAt = expires === null ? null : epochMs(expires);
  if (createdAt === null || (expires !== null && expiresAt === null)) return null;
  if (dl !== null && !(typeof dl === 'number' && Number.isInteger(dl) && dl >= 0 && dl <= 5)) return null;
  if (expiresAt !== null && expiresAt <= now) return 'expired';
  const c = canonicalCidr(cidr);
  if (c === null) return null;
  return { cidr: c.text, createdAt, expiresAt, reason, dl: dl as number | null, manual, parsed: c.cidr };
}

/** A version 2 offender row: [cidr, count, last]. */
export function readOffenderRow(v: unknown): Offender | null {
  if (!Array.isArray(v) || v.length !== 3) return null;
  const [cidr, count, last] = v as unknown[];
  const c = typeof cidr === 'string' ? canonicalCidr(cidr) : null;
  const t = epochMs(last);
  if (c === null || t === null || typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1e9) return null;
  return { cidr: c.text, count, last: t };
}

function readBlock(v: unknown, now: number): ReadRecord | 'expired' | null {
  if (!isObj(v) || typeof v.cidr !== 'string') return null;
  const c = canonicalCidr(v.cidr);
  const createdAt = time(v.createdAt);
  const expiresAt = v.expiresAt === null ? null : time(v.expiresAt);
  if (c === null || createdAt === null || (v.expiresAt !== null && expiresAt === null)) return null;
  if (expiresAt !== null && expiresAt <= now) return 'expired';
  const dl = typeof v.dl === 'number' && v.dl >= 0 && v.dl <= 5 ? v.dl : null;
  return { cidr: c.text, createdAt, expiresAt, reason: typeof v.reason === 'string' ? v.reason : '', dl, manual: v.manual === true, parsed: c.cidr };
}

export function readState(data: unknown, now: number): { records: ReadRecord[]; offenders: Offender[]; skipped: number } {
  const records: ReadRecord[] = [];
  const offenders: Offender[] = [];
  let skipped = 0;
  if (!isObj(data) || (data.version !== 1 && data.version !== 2)) return { records, offenders, skipped: data === undefined || data === null ? 0 : 1 };
  // Version 2 read whole (a blocks.json rewritten in another layout): its rows.
  const v2 = data.version === 2;
  // A cidr saved twice: the first one counts (RecordStore.put skips the later ones at load).
  for (const b of Array.isArray(data.blocks) ? data.blocks : []) {
    const r = v2 ? readBlockRow(b, now) : readBlock(b, now);
    if (r === null) skipped++;
    else if (r !== 'expired') records.push(r);
  }
  for (const o of Array.isArray(data.offenders) ? data.offenders : []) {
    if (v2) {
      const r = readOffenderRow(o);
      if (r !== null) offenders.push(r);
      continue;
    }
    const last = isObj(o) ? time(o.last) : null;
    const c = isObj(o) && typeof o.cidr === 'string' ? canonicalCidr(o.cidr) : null;
    if (c === null || last === null || !isObj(o) || typeof o.count !== 'number' || o.count < 1) continue;
    offenders.push({ cidr: c.text, count: Math.floor(o.count), last });
  }
  offenders.sort((a, b) => a.last - b.last);
  return { records, offenders, skipped };
}
