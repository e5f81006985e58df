/**
 * A source's fleet level: psad's destination ladder (DL1..DL5_UNIQUE_HOSTS)
 * applied to the distinct destinations the whole fleet saw within the
 * evidence window, once at least FLEET_MIN_SENSORS sensors saw the source.
 * A slow sweep that touches each firewall once is thus caught fleet-wide
 * while every sensor alone stays below DL1.
 */
import type { RedisLink } from './connection.js';
import { BUCKETS, windowBuckets, type FleetKeys } from './keys.js';
import { boundedInt, hashPairs, isSensorName, parseSmallObject } from './validate.js';

export interface LevelRules {
  /** DL1..DL5_UNIQUE_HOSTS; DL1 = 0 turns the destination ladder off. */
  hostLadder: readonly [number, number, number, number, number];
  minSensors: number;
  windowMs: number;
}

/** One sensor's figures for a source, as validated from Redis. */
export interface SensorEvidence {
  sensor: string;
  lastSeen: number;
  packets: number;
  dl: number;
  destinations: number;
  signatures: Array<{ sid: number; hits: number }>;
}

export interface FleetLevel {
  src: string;
  /** Fleet danger level 0-5 from the destination ladder. */
  dl: number;
  /** Distinct destinations across the fleet (HyperLogLog estimate, exact enough for the ladder). */
  destinations: number;
  /** Distinct protocol/port pairs across the fleet. */
  ports: number;
  sensors: number;
  /** Sum of the sensors' packet counts (when read with details). */
  packets: number;
  /** Highest level any sensor gave the source on its own (when read with details). */
  maxLocalDl: number;
  /** Per sensor (when read with details). */
  bySensor: SensorEvidence[];
}

export function fleetDangerLevel(dsts: number, sensors: number, r: LevelRules): number {
  const h = r.hostLadder;
  if (h[0] === 0 || sensors < r.minSensors || dsts < h[0]) return 0;
  if (dsts < h[1]) return 1;
  if (dsts < h[2]) return 2;
  if (dsts < h[3]) return 3;
  if (dsts < h[4]) return 4;
  return 5;
}

/** Bucket length: a quarter of the window, so destinations age out in quarter steps. */
export function bucketMs(windowMs: number): number {
  return Math.max(1000, Math.ceil(windowMs / BUCKETS));
}

/** Parses one sensor's stored figures; null when malformed (counted, never trusted). */
export function parseSensorEvidence(sensor: string, json: string): SensorEvidence | null {
  const o = parseSmallObject(json);
  if (o === null || !isSensorName(sensor)) return null;
  // Sensors before this fix wrote ulogd's sub-millisecond times as they were: whole milliseconds suffice.
  const lastSeen = boundedInt(typeof o.t === 'number' ? Math.floor(o.t) : o.t, 0, 8.64e15);
  const packets = boundedInt(o.p, 0, Number.MAX_SAFE_INTEGER);
  const dl = boundedInt(o.dl, 0, 5);
  const destinations = boundedInt(o.n, 0, Number.MAX_SAFE_INTEGER);
  if (lastSeen === null || packets === null || dl === null || destinations === null) return null;
  const signatures: Array<{ sid: number; hits: number }> = [];
  if (Array.isArray(o.s)) {
    for (const pair of o.s.slice(0, 16) as unknown[]) {
      if (!Array.isArray(pair)) continue;
      const sid = boundedInt(pair[0], 0, 2 ** 32);
      const hits = boundedInt(pair[1], 0, Number.MAX_SAFE_INTEGER);
      if (sid !== null && hits !== null) signatures.push({ sid, hits });
    }
  }
  return { sensor, lastSeen, packets, dl, destinations, signatures };
}

const MAX_SENSOR_FIELDS = 1000;

/** Reads a source's fleet-wide figures; `details` adds the per-sensor figures (one more round trip). */
export async function readFleetLevel(link: RedisLink, keys: FleetKeys, src: string, r: LevelRules, now: number, details: boolean): Promise<FleetLevel> {
  const buckets = windowBuckets(Math.floor(now / bucketMs(r.windowMs)));
  const [dsts, ports, sensors, fields] = await Promise.all([
    link.call('PFCOUNT', ...buckets.map((b) => keys.dsts(src, b))),
    link.call('PFCOUNT', ...buckets.map((b) => keys.ports(src, b))),
    link.call('ZCOUNT', keys.seen(src), now - r.windowMs, '+inf'),
    link.call('HLEN', keys.by(src)),
  ]);
  const level: FleetLevel = { src, dl: 0, destinations: Number(dsts), ports: Number(ports), sensors: Number(sensors), packets: 0, maxLocalDl: 0, bySensor: [] };
  level.dl = fleetDangerLevel(level.destinations, level.sensors, r);
  if (!details || Number(fields) === 0 || Number(fields) > MAX_SENSOR_FIELDS) return level;
  const [fresh, all] = await Promise.all([
    link.call('ZRANGEBYSCORE', keys.seen(src), now - r.windowMs, '+inf', 'LIMIT', 0, MAX_SENSOR_FIELDS),
    link.call('HGETALL', keys.by(src)),
  ]);
  const current = new Set(Array.isArray(fresh) ? fresh : []);
  for (const [sensor, json] of hashPairs(all, MAX_SENSOR_FIELDS)) {
    const e = current.has(sensor) ? parseSensorEvidence(sensor, json) : null;
    if (e === null) continue;
    level.bySensor.push(e);
    level.packets += e.packets;
    level.maxLocalDl = Math.max(level.maxLocalDl, e.dl);
  }
  level.bySensor.sort((a, b) => a.sensor.localeCompare(b.sensor));
  return level;
}
