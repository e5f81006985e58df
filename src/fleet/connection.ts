/**
 * The Redis connection, behind a narrow interface (RedisLink) so the rest of
 * fleet mode does not depend on the client library's typings. ioredis is
 * loaded with a dynamic import here and nowhere else: without fleet mode it
 * is never loaded.
 *
 * Commands fail fast while Redis is unreachable (no client-side offline
 * queue): fleet mode keeps its own bounded, coalescing queues and sends them
 * when the connection is back. Commands issued in the same tick travel in one
 * pipeline (auto-pipelining), per node in a cluster.
 */
import { createHash } from 'node:crypto';
import type { FleetEndpoint } from './options.js';

export type Arg = string | number;
export type FleetLogger = (level: 'info' | 'warn' | 'error', msg: string) => void;

/** The subset of ioredis' Redis and Cluster that fleet mode uses. */
interface Client {
  status: string;
  call(command: string, ...args: Arg[]): Promise<unknown>;
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  subscribe(...channels: string[]): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
}

/** A Lua script run with EVALSHA, falling back to EVAL after a server restart emptied the script cache. */
export class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }
}

export interface RedisLink {
  /** The endpoint without credentials. */
  readonly display: string;
  /** True while commands can be sent. */
  ready(): boolean;
  call(command: string, ...args: Arg[]): Promise<unknown>;
  /** Every key of a script must hash to one slot (fleet keys share a hash tag). */
  run(script: LuaScript, keys: readonly string[], args: readonly Arg[]): Promise<unknown>;
  /**
   * Puts the connection in subscriber mode (no other commands on it afterwards); resubscribes after
   * reconnects and calls `onSubscribed` after each confirmed (re)subscription.
   */
  subscribe(channel: string, onMessage: (message: string) => void, onSubscribed?: () => void): Promise<void>;
  /** Calls `fn` each time the connection becomes ready (also after a reconnect or failover); returns a remover. */
  onReady(fn: () => void): () => void;
  /** The last connection error, if any (for messages). */
  lastError(): string | null;
  /** Calls `fn` when the client gave up for good (failFast, or closed). */
  onEnd(fn: () => void): () => void;
  close(): Promise<void>;
}

export interface ConnectOptions {
  log?: FleetLogger;
  /** Stop after the first failed attempt (status command) instead of retrying forever (daemon). */
  failFast?: boolean;
  /** Milliseconds a command may take (default 5000). */
  commandTimeoutMs?: number;
  /** Client name shown by CLIENT LIST. */
  name?: string;
}

/** Reconnect attempts back off to one a second: a restarted Redis is found within a second. */
const RECONNECT_MAX_MS = 1000;

function retry(failFast: boolean): (times: number) => number | null {
  return (times) => (failFast ? null : Math.min(50 * 2 ** Math.min(times, 10), RECONNECT_MAX_MS));
}

/** ioredis options shared by every topology. */
function nodeOptions(ep: FleetEndpoint, o: ConnectOptions) {
  return {
    username: ep.username || undefined,
    password: ep.password || undefined,
    tls: ep.tls ?? undefined,
    // RESP2 replies have one shape across Redis 5, 6 and 7.
    protocol: 2 as const,
    connectTimeout: 3000,
    commandTimeout: o.commandTimeoutMs ?? 5000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    connectionName: o.name,
    disableClientInfo: true,
    // A replica promoted under our feet answers READONLY until we follow the failover.
    reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
  };
}

async function createClient(ep: FleetEndpoint, o: ConnectOptions): Promise<Client> {
  const { Redis, Cluster } = await import('ioredis');
  const common = nodeOptions(ep, o);
  if (ep.topology === 'cluster') {
    return new Cluster(ep.hosts, {
      redisOptions: common,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      clusterRetryStrategy: retry(o.failFast ?? false),
      slotsRefreshTimeout: 3000,
    });
  }
  if (ep.topology === 'sentinel') {
    return new Redis({
      ...common,
      sentinels: ep.hosts,
      name: ep.master,
      db: ep.db,
      sentinelUsername: ep.sentinelUsername || undefined,
      sentinelPassword: ep.sentinelPassword || undefined,
      enableTLSForSentinelMode: ep.tls !== null,
      sentinelTLS: ep.tls ?? undefined,
      retryStrategy: retry(o.failFast ?? false),
      sentinelRetryStrategy: retry(o.failFast ?? false),
    });
  }
  const h = ep.hosts[0] as { host: string; port: number };
  return new Redis({ ...common, host: h.host, port: h.port, db: ep.db, retryStrategy: retry(o.failFast ?? false) });
}

class IoRedisLink implements RedisLink {
  readonly #c: Client;
  readonly #readyFns = new Set<() => void>();
  readonly #endFns = new Set<() => void>();
  #lastError: string | null = null;
  #down = false;
  #closed = false;

  constructor(c: Client, readonly display: string, log: FleetLogger) {
    this.#c = c;
    c.on('ready', () => {
      if (this.#down) log('info', `fleet: connection to ${display} restored`);
      this.#down = false;
      for (const fn of this.#readyFns) fn();
    });
    // One line per outage, not one per reconnect attempt.
    c.on('error', (err) => {
      this.#lastError = (err as Error).message;
      if (!this.#down && !this.#closed) log('warn', `fleet: Redis ${display}: ${this.#lastError}; working locally and queueing until it is back`);
      this.#down = true;
    });
    c.on('end', () => {
      this.#down = true;
      for (const fn of this.#endFns) fn();
    });
  }

  ready(): boolean {
    return this.#c.status === 'ready';
  }

  call(command: string, ...args: Arg[]): Promise<unknown> {
    return this.#c.call(command, ...args);
  }

  async run(script: LuaScript, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    try {
      return await this.#c.call('EVALSHA', script.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err as Error).message.startsWith('NOSCRIPT')) throw err;
      return this.#c.call('EVAL', script.source, keys.length, ...keys, ...args);
    }
  }

  async subscribe(channel: string, onMessage: (message: string) => void, onSubscribed?: () => void): Promise<void> {
    this.#c.on('message', (ch, msg) => {
      if (ch === channel && typeof msg === 'string') onMessage(msg);
    });
    // Commands fail while disconnected: (re)subscribe whenever the connection is ready (SUBSCRIBE is idempotent).
    // onSubscribed runs once the server confirmed: messages sent before that were not delivered.
    const sub = () => void this.#c.subscribe(channel).then(() => onSubscribed?.(), () => undefined);
    this.onReady(sub);
    if (this.ready()) sub();
  }

  onReady(fn: () => void): () => void {
    this.#readyFns.add(fn);
    return () => void this.#readyFns.delete(fn);
  }

  lastError(): string | null {
    return this.#lastError;
  }

  onEnd(fn: () => void): () => void {
    this.#endFns.add(fn);
    return () => void this.#endFns.delete(fn);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#c.status === 'ready') await this.#c.quit().catch(() => this.#c.disconnect());
    else this.#c.disconnect();
  }
}

/**
 * Opens a connection (returns at once; it connects and reconnects in the
 * background unless failFast). Errors are reported through `log`.
 */
export async function connect(ep: FleetEndpoint, o: ConnectOptions = {}): Promise<RedisLink> {
  const client = await createClient(ep, o);
  return new IoRedisLink(client, ep.display, o.log ?? (() => undefined));
}

/** Resolves when `link` is ready; rejects when it gives up (failFast) or after `timeoutMs`. */
export function whenReady(link: RedisLink, timeoutMs: number): Promise<void> {
  if (link.ready()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (err: Error | null) => {
      clearTimeout(t);
      offReady();
      offEnd();
      if (err === null) resolve();
      else reject(err);
    };
    const fail = (why: string) => done(new Error(`cannot reach Redis at ${link.display}: ${link.lastError() ?? why}`));
    const offReady = link.onReady(() => done(null));
    const offEnd = link.onEnd(() => fail('connection closed'));
    const t = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
}
