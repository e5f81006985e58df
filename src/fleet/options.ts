/**
 * Fleet settings resolved from the configuration: the Redis endpoint and
 * credentials (files read here, so a bad path is a configuration error at
 * start), the sensor name, and the bounds applied to other sensors' data.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { ConfigError } from '../config/errors.js';
import type { Config } from '../config/keys/index.js';
import { parseFleetUrl, SENSOR_NAME, type FleetHost, type FleetTopology } from '../config/keys/fleet.js';

export interface FleetTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
}

export interface FleetEndpoint {
  topology: FleetTopology;
  hosts: FleetHost[];
  /** Sentinel master group; '' otherwise. */
  master: string;
  db: number;
  username: string;
  password: string;
  /** Sentinel URLs: the URL's credentials authenticate to the sentinels. */
  sentinelUsername: string;
  sentinelPassword: string;
  tls: FleetTls | null;
  /** The URL without credentials, for logs and status. */
  display: string;
}

export interface FleetOptions {
  endpoint: FleetEndpoint;
  sensor: string;
  prefix: string;
  /** Evidence window, ms. */
  windowMs: number;
  publishIntervalMs: number;
  minSensors: number;
  queueMax: number;
  streamMaxLen: number;
  applyDecisions: boolean;
  /** Longest accepted remote block, ms; 0 = any. */
  maxBlockMs: number;
  minPrefixV4: number;
  minPrefixV6: number;
  /** DL1..DL5_UNIQUE_HOSTS: the destination ladder of the fleet level. */
  hostLadder: readonly [number, number, number, number, number];
}

function fail(key: string, reason: string): never {
  throw new ConfigError('(configuration)', 0, key, reason);
}

function readPem(key: string, path: string): Buffer | undefined {
  if (path === '') return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    return fail(key, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function readPassword(cfg: Config): string | undefined {
  const path = cfg.FLEET_REDIS_PASSWORD_FILE;
  if (path === '') return cfg.FLEET_REDIS_PASSWORD === '' ? undefined : cfg.FLEET_REDIS_PASSWORD;
  try {
    return (readFileSync(path, 'utf8').split('\n')[0] ?? '').replace(/\r$/, '');
  } catch (err) {
    return fail('FLEET_REDIS_PASSWORD_FILE', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** The endpoint of FLEET_REDIS_URL with the TLS and credential keys applied. */
export function fleetEndpoint(cfg: Config): FleetEndpoint {
  let url;
  try {
    url = parseFleetUrl(cfg.FLEET_REDIS_URL);
  } catch (err) {
    return fail('FLEET_REDIS_URL', (err as Error).message);
  }
  const cluster = cfg.FLEET_REDIS_CLUSTER;
  if (cluster && url.topology === 'sentinel') fail('FLEET_REDIS_CLUSTER', 'a Redis Cluster is not reached through sentinels: use redis://NODE,NODE');
  if (!cluster && url.topology === 'standalone' && url.hosts.length > 1) fail('FLEET_REDIS_URL', 'several hosts are cluster seed nodes: set FLEET_REDIS_CLUSTER Y');
  if (cluster && url.db !== 0) fail('FLEET_REDIS_URL', 'a Redis Cluster has only database 0');
  const sentinel = url.topology === 'sentinel';
  const tls: FleetTls | null = url.tls
    ? {
        ca: readPem('FLEET_REDIS_TLS_CA_FILE', cfg.FLEET_REDIS_TLS_CA_FILE),
        cert: readPem('FLEET_REDIS_TLS_CERT_FILE', cfg.FLEET_REDIS_TLS_CERT_FILE),
        key: readPem('FLEET_REDIS_TLS_KEY_FILE', cfg.FLEET_REDIS_TLS_KEY_FILE),
        rejectUnauthorized: cfg.FLEET_REDIS_TLS_VERIFY,
      }
    : null;
  if (tls && (tls.cert === undefined) !== (tls.key === undefined)) fail('FLEET_REDIS_TLS_KEY_FILE', 'a client certificate needs both FLEET_REDIS_TLS_CERT_FILE and FLEET_REDIS_TLS_KEY_FILE');
  const hostText = url.hosts.map((h) => `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`).join(',');
  const scheme = `${sentinel ? 'sentinel' : 'redis'}${url.tls ? 's' : ''}`;
  return {
    topology: cluster ? 'cluster' : url.topology,
    hosts: url.hosts,
    master: url.master,
    db: url.db,
    username: cfg.FLEET_REDIS_USERNAME !== '' ? cfg.FLEET_REDIS_USERNAME : sentinel ? '' : url.username,
    password: readPassword(cfg) ?? (sentinel ? '' : url.password),
    sentinelUsername: sentinel ? url.username : '',
    sentinelPassword: sentinel ? url.password : '',
    tls,
    display: `${scheme}://${hostText}${sentinel ? `/${url.master}` : ''}${url.db !== 0 ? `/${url.db}` : ''}`,
  };
}

/** This sensor's name: FLEET_SENSOR_NAME, else the host name cut to the allowed alphabet. */
export function sensorName(cfg: Config): string {
  if (cfg.FLEET_SENSOR_NAME !== '') return cfg.FLEET_SENSOR_NAME;
  const h = hostname().replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return SENSOR_NAME.test(h) ? h : 'sensor';
}

/** Fleet settings, or null when FLEET_REDIS_URL is empty (fleet mode off). */
export function fleetOptions(cfg: Config): FleetOptions | null {
  if (cfg.FLEET_REDIS_URL === '') return null;
  const windowSec = cfg.FLEET_EVIDENCE_TTL === 0 ? cfg.SCAN_TIMEOUT : cfg.FLEET_EVIDENCE_TTL;
  return {
    endpoint: fleetEndpoint(cfg),
    sensor: sensorName(cfg),
    prefix: cfg.FLEET_KEY_PREFIX,
    windowMs: windowSec * 1000,
    publishIntervalMs: cfg.FLEET_PUBLISH_INTERVAL * 1000,
    minSensors: cfg.FLEET_MIN_SENSORS,
    queueMax: cfg.FLEET_QUEUE_MAX,
    streamMaxLen: cfg.FLEET_STREAM_MAXLEN,
    applyDecisions: cfg.FLEET_APPLY_DECISIONS,
    maxBlockMs: cfg.FLEET_MAX_BLOCK_TIMEOUT * 1000,
    minPrefixV4: cfg.FLEET_MIN_PREFIX_V4,
    minPrefixV6: cfg.FLEET_MIN_PREFIX_V6,
    hostLadder: [cfg.DL1_UNIQUE_HOSTS, cfg.DL2_UNIQUE_HOSTS, cfg.DL3_UNIQUE_HOSTS, cfg.DL4_UNIQUE_HOSTS, cfg.DL5_UNIQUE_HOSTS],
  };
}
