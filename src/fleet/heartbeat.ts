/**
 * Sensor heartbeats: one hash field per sensor with its last contact, stream
 * position and counters. Written every FLEET_PUBLISH_INTERVAL; read by
 * `tsad status --fleet` (with the same checks as any data from Redis).
 */
import type { RedisLink } from './connection.js';
import type { DecisionStats } from './decisions.js';
import type { EvidenceStats } from './evidence.js';
import { boundedInt, hashPairs, isSensorName, isStreamId, parseSmallObject } from './validate.js';

export interface Heartbeat {
  sensor: string;
  /** Epoch ms of the last heartbeat. */
  seen: number;
  /** Last stream id handed to the daemon; null before the first. */
  position: string | null;
  pid: number | null;
  evidence: { queued: number; dropped: number; published: number };
  decisions: { queued: number; dropped: number; published: number; applied: number; refused: number; invalid: number; snapshots: number };
}

/** Heartbeats of sensors silent this long are removed. */
export const SENSOR_FORGET_MS = 7 * 86_400_000;

export function heartbeat(ev: EvidenceStats, d: DecisionStats, pos: string | null, now: number): string {
  return JSON.stringify({
    v: 1,
    seen: now,
    pos,
    pid: process.pid,
    ev: { q: ev.queued, drop: ev.dropped, pub: ev.published },
    dec: { q: d.queued, drop: d.dropped, pub: d.published, ok: d.applied, no: d.refused, bad: d.invalid, snap: d.snapshots },
  });
}

function counters<K extends string>(o: unknown, names: Record<K, string>): Record<K, number> {
  const src = o !== null && typeof o === 'object' ? (o as Record<string, unknown>) : {};
  const out = {} as Record<K, number>;
  for (const [k, field] of Object.entries(names) as Array<[K, string]>) out[k] = boundedInt(src[field], 0, Number.MAX_SAFE_INTEGER) ?? 0;
  return out;
}

/** Parses one heartbeat field; null when malformed. */
export function parseHeartbeat(sensor: string, json: string): Heartbeat | null {
  const o = parseSmallObject(json);
  const seen = o === null ? null : boundedInt(o.seen, 0, 8.64e15);
  if (o === null || seen === null || !isSensorName(sensor)) return null;
  return {
    sensor,
    seen,
    position: typeof o.pos === 'string' && isStreamId(o.pos) ? o.pos : null,
    pid: boundedInt(o.pid, 1, 2 ** 32),
    evidence: counters(o.ev, { queued: 'q', dropped: 'drop', published: 'pub' }),
    decisions: counters(o.dec, { queued: 'q', dropped: 'drop', published: 'pub', applied: 'ok', refused: 'no', invalid: 'bad', snapshots: 'snap' }),
  };
}

/** All heartbeats (malformed ones skipped). */
export async function readHeartbeats(link: RedisLink, key: string): Promise<Heartbeat[]> {
  const out: Heartbeat[] = [];
  for (const [sensor, json] of hashPairs(await link.call('HGETALL', key), 100_000)) {
    const h = parseHeartbeat(sensor, json);
    if (h !== null) out.push(h);
  }
  return out;
}

export async function forgetSilentSensors(link: RedisLink, key: string, now: number): Promise<void> {
  const silent = (await readHeartbeats(link, key)).filter((h) => now - h.seen > SENSOR_FORGET_MS).map((h) => h.sensor);
  if (silent.length > 0) await link.call('HDEL', key, ...silent);
}
