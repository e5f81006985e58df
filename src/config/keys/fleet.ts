/**
 * Keys owned by fleet mode (src/fleet): where the shared Redis is, how this
 * sensor names itself, and the bounds applied to what other sensors send.
 * FLEET_REDIS_URL empty (the default) turns fleet mode off entirely.
 */
import { flag, int, str, type KeyTable } from '../key-types.js';

export const title = 'Fleet mode (Redis)';

const NEW = { psad: '(none)' };

export type FleetTopology = 'standalone' | 'sentinel' | 'cluster';

export interface FleetHost {
  host: string;
  port: number;
}

/** FLEET_REDIS_URL taken apart (credentials percent-decoded). */
export interface FleetUrl {
  topology: Exclude<FleetTopology, 'cluster'>;
  tls: boolean;
  hosts: FleetHost[];
  username: string;
  password: string;
  db: number;
  /** Sentinel master group name; '' otherwise. */
  master: string;
}

const SCHEMES: Record<string, { topology: FleetUrl['topology']; tls: boolean; port: number }> = {
  redis: { topology: 'standalone', tls: false, port: 6379 },
  rediss: { topology: 'standalone', tls: true, port: 6379 },
  sentinel: { topology: 'sentinel', tls: false, port: 26379 },
  sentinels: { topology: 'sentinel', tls: true, port: 26379 },
};

const HOST = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?))(?::(\d{1,5}))?$/;

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new Error(`bad percent-encoding in "${s}"`);
  }
}

function parseHost(item: string, defPort: number): FleetHost {
  const m = HOST.exec(item);
  if (m === null) throw new Error(`"${item}" is not HOST[:PORT] (IPv6 as [ADDR]:PORT)`);
  const port = m[3] === undefined ? defPort : Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`port ${port} is out of range 1..65535`);
  return { host: (m[1] ?? m[2]) as string, port };
}

/**
 * Parses `redis://[USER[:PASS]@]HOST[:PORT][,HOST[:PORT]...][/DB]`, `rediss://`
 * (TLS), `sentinel://[USER[:PASS]@]HOST:PORT,HOST:PORT/MASTER[/DB]` and
 * `sentinels://` (TLS). Several hosts after redis:// are cluster seed nodes.
 * Throws an Error saying what is wrong.
 */
export function parseFleetUrl(url: string): FleetUrl {
  const m = /^([a-z]+):\/\/(?:([^@/]*)@)?([^/]+)(?:\/(.*))?$/.exec(url);
  if (m === null) throw new Error(`"${url}" is not a redis://, rediss://, sentinel:// or sentinels:// URL`);
  const scheme = SCHEMES[m[1] as string];
  if (scheme === undefined) throw new Error(`unknown scheme "${m[1]}://" (expected redis, rediss, sentinel or sentinels)`);
  const [user, pass] = m[2] === undefined ? ['', ''] : m[2].includes(':') ? [m[2].slice(0, m[2].indexOf(':')), m[2].slice(m[2].indexOf(':') + 1)] : ['', m[2]];
  const hosts = (m[3] as string).split(',').map((h) => parseHost(h.trim(), scheme.port));
  if (hosts.length > 64) throw new Error('at most 64 hosts');
  const path = (m[4] ?? '').split('/').filter((p) => p !== '');
  let master = '';
  if (scheme.topology === 'sentinel') {
    master = path.shift() ?? '';
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(master)) throw new Error('a sentinel URL names the master group after the hosts: sentinel://HOST:PORT,HOST:PORT/MASTER');
  }
  const dbText = path.shift() ?? '0';
  if (!/^\d{1,2}$/.test(dbText) || path.length > 0) throw new Error(`"/${m[4] ?? ''}" is not a database number (0-99)`);
  return { topology: scheme.topology, tls: scheme.tls, hosts, username: decode(user), password: decode(pass), db: Number(dbText), master };
}

function urlProblem(v: string): string | null {
  if (v === '') return null;
  try {
    parseFleetUrl(v);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function absoluteOrEmpty(v: string): string | null {
  return v === '' || v.startsWith('/') ? null : `"${v}" must be an absolute path (or empty)`;
}

/** Sensor names and key prefixes become parts of Redis keys and status lines: a safe alphabet only. */
export const SENSOR_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const keys = {
  FLEET_REDIS_URL: str('', 'Turns fleet mode on: the Redis that all sensors share. redis://[USER[:PASSWORD]@]HOST[:PORT][/DB] (plain TCP), rediss://... (TLS), sentinel://HOST:PORT,HOST:PORT/MASTER[/DB] (Redis Sentinel; sentinels://... with TLS; USER:PASSWORD in a sentinel URL authenticate to the sentinels), or with FLEET_REDIS_CLUSTER Y a comma separated list of cluster seed nodes redis://HOST:PORT,HOST:PORT. Empty: fleet mode is off and no Redis is needed. A password in the URL shows in "tsad config dump": prefer FLEET_REDIS_PASSWORD_FILE.', { ...NEW, validate: urlProblem }),
  FLEET_REDIS_CLUSTER: flag(false, 'Y: the hosts of FLEET_REDIS_URL are seed nodes of a Redis Cluster. Every key tsad writes carries a hash tag, so each source\'s evidence lives in one slot and the shared blocks in another.', NEW),
  FLEET_REDIS_USERNAME: str('', 'Redis ACL user name (Redis 6 and later) for the data nodes; empty: the URL\'s user, or the default user.', NEW),
  FLEET_REDIS_PASSWORD: str('', 'Password for the data nodes; overrides one in FLEET_REDIS_URL. Readable by anyone who can read this file: prefer FLEET_REDIS_PASSWORD_FILE.', NEW),
  FLEET_REDIS_PASSWORD_FILE: str('', 'Absolute path of a file whose first line is the password for the data nodes (read when the daemon starts; keep it mode 0600). Overrides FLEET_REDIS_PASSWORD.', { ...NEW, validate: absoluteOrEmpty }),
  FLEET_REDIS_TLS_CA_FILE: str('', 'PEM file of the certificate authorities that sign the Redis servers\' certificates (rediss:// and sentinels://). Empty: the system\'s trusted authorities.', { ...NEW, validate: absoluteOrEmpty }),
  FLEET_REDIS_TLS_CERT_FILE: str('', 'PEM client certificate, for servers that require one (Redis\' default "tls-auth-clients yes"). Empty: none.', { ...NEW, validate: absoluteOrEmpty }),
  FLEET_REDIS_TLS_KEY_FILE: str('', 'PEM private key of FLEET_REDIS_TLS_CERT_FILE.', { ...NEW, validate: absoluteOrEmpty }),
  FLEET_REDIS_TLS_VERIFY: flag(true, 'Y: check the server certificate and its name. N: accept any certificate (testing only: anyone on the path can then read and forge fleet data).', NEW),
  FLEET_SENSOR_NAME: str('', 'This sensor\'s name in the fleet (letters, digits, ".", "_", "-"; at most 64). Empty: the host name. Every sensor needs its own name: two daemons with one name hide each other\'s decisions.', { ...NEW, validate: (v) => (v === '' || SENSOR_NAME.test(v) ? null : `"${v}" is not a sensor name (letters, digits, ".", "_", "-", at most 64, starting with a letter or digit)`) }),
  FLEET_KEY_PREFIX: str('tsad', 'Prefix of every Redis key tsad writes, so several fleets (or other applications) can share one Redis.', { ...NEW, validate: (v) => (/^[A-Za-z0-9_.-]{1,32}$/.test(v) ? null : `"${v}" is not a key prefix (1-32 letters, digits, ".", "_", "-")`) }),
  FLEET_EVIDENCE_TTL: int(0, 'Seconds that shared scan evidence counts: destinations reached longer ago drop out of a source\'s fleet-wide count (in steps of a quarter of this window) and Redis forgets the evidence. 0: SCAN_TIMEOUT.', { min: 0, max: 30 * 86400 }, NEW),
  FLEET_PUBLISH_INTERVAL: int(1, 'Seconds between batches of evidence and decisions sent to Redis (and between heartbeats). Blocks are sent and applied within about this time plus one round trip.', { min: 1, max: 60 }, NEW),
  FLEET_MIN_SENSORS: int(2, 'Sensors that must have seen a source before its fleet-wide destination count gives it a fleet danger level. 2: only what one sensor alone cannot see (its own count already does that); 1: any evidence.', { min: 1, max: 1000 }, NEW),
  FLEET_QUEUE_MAX: int(10000, 'Most sources with evidence, and most block decisions, waiting to be sent while Redis is unreachable. Evidence is merged per source, decisions per address, so the queues only fill when that many different sources or addresses are pending; beyond it the oldest are dropped and counted ("tsad status --fleet").', { min: 10, max: 1_000_000 }, NEW),
  FLEET_STREAM_MAXLEN: int(100000, 'Approximate length of the shared decision stream. A sensor offline for longer than this many decisions reloads the live set of shared blocks instead of replaying the stream.', { min: 1000, max: 100_000_000 }, NEW),
  FLEET_APPLY_DECISIONS: flag(true, 'Y: apply blocks and unblocks decided by other sensors (each under this host\'s never-block rules). N: only share evidence and this sensor\'s own decisions.', NEW),
  FLEET_MAX_BLOCK_TIMEOUT: int(2592000, 'Longest block, in seconds, accepted from another sensor: longer and permanent blocks are shortened to this (default 30 days). 0: accept any length, including permanent.', { min: 0, max: 10 * 365 * 86400 }, NEW),
  FLEET_MIN_PREFIX_V4: int(16, 'Shortest IPv4 prefix accepted in a block from another sensor: a block of a bigger network is refused (a typing error or a hostile sensor must not block /0 everywhere).', { min: 0, max: 32 }, NEW),
  FLEET_MIN_PREFIX_V6: int(32, 'Shortest IPv6 prefix accepted in a block from another sensor.', { min: 0, max: 128 }, NEW),
} satisfies KeyTable;
