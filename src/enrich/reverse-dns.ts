/**
 * Reverse DNS (PTR) names of sources, asynchronous and bounded in time, so
 * a slow or dead name server never holds up detection (psad resolved
 * synchronously in its main loop with no timeout). Answers, including "no
 * name", are cached (bounded LRU with a TTL); errors and timeouts are cached
 * briefly so a dead server is not asked for every source. Concurrent lookups
 * of one address share one query.
 *
 * PTR data is written by whoever controls the address, that is the attacker:
 * a name that is not a plain host name (control characters, shell or
 * terminal syntax, overlong) is treated as no name, never passed on.
 */
import { Resolver } from 'node:dns/promises';
import { normalizeAddress } from '../net/address.js';
import { LruCache } from './lru-cache.js';

export interface ReverseDnsOptions {
  timeoutMs: number;
  /** Name servers (ADDR, ADDR:PORT, [IPv6]:PORT); the system's when omitted or empty. */
  servers?: string[];
  cacheSize?: number;
  /** How long an answer (a name or "none") is reused; default one hour. */
  ttlMs?: number;
  /** How long a failure (timeout, server error) is remembered; default one minute. */
  errorTtlMs?: number;
}

interface Entry {
  name: string | null;
  expires: number;
}

const HOST_RE = /^(?=.{1,253}$)(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;

/** The name lowercased without a trailing dot, or null when it is not a plain host name. */
export function cleanHostname(name: string): string | null {
  const n = name.endsWith('.') ? name.slice(0, -1) : name;
  return HOST_RE.test(n) ? n.toLowerCase() : null;
}

/** DNS answers that mean "this address has no name" rather than "could not ask". */
const NO_NAME_CODES = new Set(['ENOTFOUND', 'ENODATA', 'NOTFOUND', 'NODATA']);

export class ReverseDns {
  readonly #resolver: Resolver;
  readonly #cache: LruCache<string, Entry>;
  readonly #inflight = new Map<string, Promise<string | null>>();
  readonly #timeoutMs: number;
  readonly #ttlMs: number;
  readonly #errorTtlMs: number;

  constructor(opts: ReverseDnsOptions) {
    this.#timeoutMs = Math.max(1, opts.timeoutMs);
    // tries: 1 so the c-ares timeout is the whole budget; the timer below is a backstop.
    this.#resolver = new Resolver({ timeout: this.#timeoutMs, tries: 1 });
    if (opts.servers !== undefined && opts.servers.length > 0) this.#resolver.setServers(opts.servers);
    this.#cache = new LruCache(opts.cacheSize ?? 10000);
    this.#ttlMs = opts.ttlMs ?? 3600_000;
    this.#errorTtlMs = opts.errorTtlMs ?? 60_000;
  }

  /**
   * The cached answer: a name, null (no name, or the last lookup failed), or
   * undefined when the address has not been looked up (or the answer expired).
   */
  peek(addr: string): string | null | undefined {
    const e = this.#cache.get(addr);
    if (e === undefined) return undefined;
    if (e.expires <= Date.now()) {
      this.#cache.delete(addr);
      return undefined;
    }
    return e.name;
  }

  /** The PTR name of the address, or null (none, invalid address, timeout, error). Never rejects. */
  lookup(addr: string): Promise<string | null> {
    const cached = this.peek(addr);
    if (cached !== undefined) return Promise.resolve(cached);
    const pending = this.#inflight.get(addr);
    if (pending !== undefined) return pending;
    const p = this.#query(addr).finally(() => this.#inflight.delete(addr));
    this.#inflight.set(addr, p);
    return p;
  }

  async #query(addr: string): Promise<string | null> {
    const norm = normalizeAddress(addr);
    if (norm === null) return null;
    let timer: NodeJS.Timeout | undefined;
    const backstop = new Promise<'timeout'>((res) => {
      timer = setTimeout(() => res('timeout'), this.#timeoutMs + 250);
      timer.unref();
    });
    try {
      const names = await Promise.race([this.#resolver.reverse(norm), backstop]);
      if (names === 'timeout') return this.#remember(addr, null, this.#errorTtlMs);
      const first = names.map(cleanHostname).find((n) => n !== null) ?? null;
      return this.#remember(addr, first, this.#ttlMs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      return this.#remember(addr, null, NO_NAME_CODES.has(code) ? this.#ttlMs : this.#errorTtlMs);
    } finally {
      clearTimeout(timer);
    }
  }

  #remember(addr: string, name: string | null, ttl: number): string | null {
    this.#cache.set(addr, { name, expires: Date.now() + ttl });
    return name;
  }

  /** Cancels the queries in flight (they resolve null). */
  close(): void {
    this.#resolver.cancel();
  }
}
