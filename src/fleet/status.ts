/**
 * `tsad status --fleet`: read straight from Redis (no daemon needed): the
 * sensors with their last heartbeat and how far behind the decision stream
 * each is, the sources with the highest fleet level, and the shared blocks.
 */
import type { Config } from '../config/keys/index.js';
import { connect, whenReady, type RedisLink } from './connection.js';
import { decodeDecision } from './decision.js';
import { readFleetLevel, type LevelRules } from './fleet-level.js';
import { readHeartbeats, type Heartbeat } from './heartbeat.js';
import { FleetKeys } from './keys.js';
import { fleetOptions } from './options.js';
import { canonicalCidrText, isStreamId, parseSmallObject, streamIdMs } from './validate.js';

export interface FleetSensorStatus {
  name: string;
  lastSeen: string;
  secondsAgo: number;
  position: string | null;
  /** Decisions in the stream after this sensor's position (capped at LAG_CAP); null without a position. */
  behind: number | null;
  /** Age of the newest decision it has not handed over yet, seconds. */
  lagSeconds: number | null;
  queued: { evidence: number; decisions: number };
  dropped: { evidence: number; decisions: number };
  published: { evidence: number; decisions: number };
  applied: number;
  refused: number;
  invalid: number;
  snapshots: number;
}

export interface FleetSourceStatus {
  src: string;
  dl: number;
  destinations: number;
  ports: number;
  sensors: number;
  packets: number;
  maxLocalDl: number;
  sensorNames: string[];
}

export interface FleetBlockStatus {
  cidr: string;
  expiresAt: string | null;
  secondsLeft: number | null;
  dl: number | null;
  by: string;
  reason: string;
  decidedAt: string;
}

export interface FleetStatusReport {
  version: 1;
  endpoint: string;
  prefix: string;
  /** This host's sensor name. */
  sensor: string;
  generated: string;
  stream: { length: number; first: string | null; head: string | null };
  sensors: FleetSensorStatus[];
  sources: FleetSourceStatus[];
  blocks: { total: number; list: FleetBlockStatus[] };
}

export interface FleetStatusOptions {
  /** Sources listed (default 25). */
  top?: number;
  /** Blocks listed (default 50; the total is always given). */
  blocks?: number;
  now?: number;
}

export const LAG_CAP = 10_000;

function streamIdOf(reply: unknown): string | null {
  const e: unknown = Array.isArray(reply) ? reply[0] : null;
  return Array.isArray(e) && typeof e[0] === 'string' && isStreamId(e[0]) ? e[0] : null;
}

async function sensorStatus(link: RedisLink, keys: FleetKeys, h: Heartbeat, head: string | null, now: number): Promise<FleetSensorStatus> {
  let behind: number | null = null;
  let lagSeconds: number | null = null;
  if (h.position !== null) {
    const after = await link.call('XRANGE', keys.log, `(${h.position}`, '+', 'COUNT', LAG_CAP);
    behind = Array.isArray(after) ? after.length : 0;
    const oldest = streamIdOf(after);
    lagSeconds = oldest === null ? 0 : Math.max(0, Math.round((now - streamIdMs(oldest)) / 1000));
  } else if (head === null) behind = 0;
  const e = h.evidence;
  const d = h.decisions;
  return {
    name: h.sensor, lastSeen: new Date(h.seen).toISOString(), secondsAgo: Math.max(0, Math.round((now - h.seen) / 1000)), position: h.position, behind, lagSeconds,
    queued: { evidence: e.queued, decisions: d.queued }, dropped: { evidence: e.dropped, decisions: d.dropped }, published: { evidence: e.published, decisions: d.published },
    applied: d.applied, refused: d.refused, invalid: d.invalid, snapshots: d.snapshots,
  };
}

async function topSources(link: RedisLink, keys: FleetKeys, rules: LevelRules, top: number, now: number): Promise<FleetSourceStatus[]> {
  const members = await link.call('ZREVRANGE', keys.levels, 0, top * 3 - 1);
  const srcs = (Array.isArray(members) ? members : []).filter((m): m is string => typeof m === 'string' && canonicalCidrText(m) !== null);
  const levels = await Promise.all(srcs.map((s) => readFleetLevel(link, keys, s, rules, now, true)));
  return levels
    .filter((l) => l.dl > 0)
    .sort((a, b) => b.dl - a.dl || b.destinations - a.destinations || a.src.localeCompare(b.src))
    .slice(0, top)
    .map((l) => ({ src: l.src, dl: l.dl, destinations: l.destinations, ports: l.ports, sensors: l.sensors, packets: l.packets, maxLocalDl: l.maxLocalDl, sensorNames: l.bySensor.map((b) => b.sensor) }));
}

async function sharedBlocks(link: RedisLink, keys: FleetKeys, limit: number, now: number): Promise<FleetStatusReport['blocks']> {
  const [total, cidrs] = await Promise.all([link.call('ZCOUNT', keys.live, `(${now}`, '+inf'), link.call('ZRANGEBYSCORE', keys.live, `(${now}`, '+inf', 'LIMIT', 0, limit)]);
  const names = (Array.isArray(cidrs) ? cidrs : []).filter((c): c is string => typeof c === 'string');
  const infos = names.length === 0 ? [] : await link.call('HMGET', keys.info, ...names);
  const list: FleetBlockStatus[] = [];
  for (const json of Array.isArray(infos) ? infos : []) {
    const rec = parseSmallObject(json);
    const d = rec === null ? null : decodeDecision(rec, { minPrefixV4: 0, minPrefixV6: 0, maxBlockMs: 0 }, now);
    if (d === null || d.kind !== 'ok') continue;
    const x = d.decision;
    list.push({
      cidr: x.cidr, expiresAt: x.expiresAt === null ? null : new Date(x.expiresAt).toISOString(), secondsLeft: x.expiresAt === null ? null : Math.ceil((x.expiresAt - now) / 1000),
      dl: x.dl, by: x.by, reason: x.reason, decidedAt: new Date(x.at).toISOString(),
    });
  }
  return { total: Number(total), list };
}

/** Connects (failing fast when Redis is unreachable), collects the report and disconnects. */
export async function fleetStatus(cfg: Config, opts: FleetStatusOptions = {}): Promise<FleetStatusReport> {
  const o = fleetOptions(cfg);
  if (o === null) throw new Error('fleet mode is off (FLEET_REDIS_URL is empty)');
  const link = await connect(o.endpoint, { failFast: true, name: 'tsad-status' });
  try {
    await whenReady(link, 5000);
    const now = opts.now ?? Date.now();
    const keys = new FleetKeys(o.prefix);
    const [len, first, head, beats] = await Promise.all([
      link.call('XLEN', keys.log),
      link.call('XRANGE', keys.log, '-', '+', 'COUNT', 1),
      link.call('XREVRANGE', keys.log, '+', '-', 'COUNT', 1),
      readHeartbeats(link, keys.sensors),
    ]);
    const headId = streamIdOf(head);
    const [sensors, sources, blocks] = await Promise.all([
      Promise.all(beats.sort((a, b) => a.sensor.localeCompare(b.sensor)).map((h) => sensorStatus(link, keys, h, headId, now))),
      topSources(link, keys, o, opts.top ?? 25, now),
      sharedBlocks(link, keys, opts.blocks ?? 50, now),
    ]);
    return {
      version: 1, endpoint: o.endpoint.display, prefix: o.prefix, sensor: o.sensor, generated: new Date(now).toISOString(),
      stream: { length: Number(len), first: streamIdOf(first), head: headId }, sensors, sources, blocks,
    };
  } finally {
    await link.close();
  }
}
