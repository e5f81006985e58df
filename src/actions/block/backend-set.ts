/**
 * Carries record changes to every configured backend. A backend whose
 * command fails is reported, skipped for later changes, and retried with
 * exponential backoff by resynchronizing it completely (which also repairs
 * whatever the failed commands missed); the other backends and the caller go on.
 */
import type { BlockRecord, RecordChange } from './records.js';
import type { BlockBackend, BlockEntry, EntryStream, Logger } from './types.js';

export interface RetryOptions {
  initialMs: number;
  maxMs: number;
}

interface Failure {
  attempts: number;
  nextAt: number;
  /** Removals the backend has not seen (a resync cannot find them for the command backend). */
  removals: Set<string>;
}

/** Backend entries for records at time `now`; blocks that already ran out are left out. */
export function entriesFor(records: Iterable<BlockRecord>, now: number, replace = false): BlockEntry[] {
  const out: BlockEntry[] = [];
  for (const r of records) {
    const timeoutSec = r.expiresAt === null ? 0 : Math.ceil((r.expiresAt - now) / 1000);
    if (r.expiresAt !== null && timeoutSec <= 0) continue;
    out.push(replace ? { cidr: r.cidr, family: r.family, timeoutSec, replace: true } : { cidr: r.cidr, family: r.family, timeoutSec });
  }
  return out;
}

/** Does tsad have to take this block out of `b` at expiry, or does the kernel do it? */
function removedByTsad(b: BlockBackend, r: BlockRecord): boolean {
  return r.expiresAt === null || (r.expiresAt - r.createdAt) / 1000 > b.maxKernelTimeoutSec;
}

export class BackendSet {
  readonly #failed = new Map<BlockBackend, Failure>();

  constructor(
    readonly backends: readonly BlockBackend[],
    private readonly log: Logger,
    private readonly retry: RetryOptions,
  ) {}

  /** Names of backends waiting for a retry. */
  failing(): string[] {
    return [...this.#failed.keys()].map((b) => b.name);
  }

  /**
   * Applies a change. `expiry` says the removals are expirations, which
   * kernel-timeout backends have already done themselves. True when every backend took it.
   */
  async apply(change: RecordChange, now: number, expiry: boolean): Promise<boolean> {
    let ok = true;
    const adds = [...entriesFor(change.install, now), ...entriesFor(change.replace, now, true)];
    for (const b of this.backends) {
      const removals = change.uninstall.filter((r) => !expiry || change.forced.has(r.cidr) || removedByTsad(b, r)).map((r) => r.cidr);
      const failure = this.#failed.get(b);
      if (failure) {
        for (const c of removals) failure.removals.add(c);
        continue;
      }
      try {
        if (removals.length > 0) await b.remove(removals);
        if (adds.length > 0) await b.add(adds);
      } catch (err) {
        ok = false;
        this.#fail(b, err, now, removals);
      }
    }
    return ok;
  }

  /** Makes every backend hold exactly `entries` (start-up, firewall reload), but those in `skip`. */
  async syncAll(entries: BlockEntry[], now: number, skip: ReadonlySet<BlockBackend> = new Set()): Promise<boolean> {
    let ok = true;
    for (const b of this.backends) if (!skip.has(b)) ok = (await this.#sync(b, entries, now)) && ok;
    return ok;
  }

  /** Full loads fed entry by entry (a restart), for the backends that can take one; syncAll() does the others. */
  openStreams(): Map<BlockBackend, EntryStream> {
    const out = new Map<BlockBackend, EntryStream>();
    for (const b of this.backends) {
      const s = b.syncStream?.() ?? null;
      if (s !== null) out.set(b, s);
    }
    return out;
  }

  /** Commits the streamed loads: true when all took; a failing one is reported and retried like a failed sync. */
  async endStreams(streams: ReadonlyMap<BlockBackend, EntryStream>, now: number): Promise<boolean> {
    let ok = true;
    for (const [b, s] of streams) {
      try {
        await s.end();
      } catch (err) {
        ok = false;
        this.#fail(b, err, now, []);
      }
    }
    return ok;
  }

  /** Resyncs backends whose objects vanished (a firewall reload or `nft flush ruleset` behind tsad's back). */
  async repairMissing(entries: () => BlockEntry[], now: number, quiet = false): Promise<string[]> {
    const repaired: string[] = [];
    for (const b of this.backends) {
      if (this.#failed.has(b)) continue;
      let there: boolean;
      try {
        there = await b.present();
      } catch (err) {
        this.#fail(b, err, now, []);
        continue;
      }
      if (there) continue;
      if (quiet) this.log('info', `${b.name}: creating tsad's firewall objects`);
      else this.log('warn', `${b.name}: tsad's firewall objects are missing (firewall reloaded or flushed?); restoring them`);
      if (await this.#sync(b, entries(), now)) repaired.push(b.name);
    }
    return repaired;
  }

  /** Retries failed backends whose backoff has passed. */
  async retryDue(entries: () => BlockEntry[], now: number): Promise<void> {
    for (const [b, f] of [...this.#failed]) {
      if (f.nextAt > now) continue;
      try {
        await b.sync(entries());
        if (f.removals.size > 0) await b.remove([...f.removals]);
      } catch (err) {
        this.#fail(b, err, now, []);
        continue;
      }
      this.#failed.delete(b);
      this.log('info', `${b.name}: recovered after ${f.attempts} failed attempt(s)`);
    }
  }

  /** Removes everything tsad created, in every backend. `installed` serves backends that cannot find their own entries. */
  async flush(installed: string[]): Promise<void> {
    const errors: string[] = [];
    for (const b of this.backends) {
      try {
        if (b.needsRemoveBeforeFlush && installed.length > 0) await b.remove(installed);
        await b.flush();
        this.#failed.delete(b);
      } catch (err) {
        errors.push(`${b.name}: ${(err as Error).message}`);
      }
    }
    if (errors.length > 0) throw new Error(`flush failed: ${errors.join('; ')}`);
  }

  async #sync(b: BlockBackend, entries: BlockEntry[], now: number): Promise<boolean> {
    try {
      await b.sync(entries);
      return true;
    } catch (err) {
      this.#fail(b, err, now, []);
      return false;
    }
  }

  #fail(b: BlockBackend, err: unknown, now: number, removals: string[]): void {
    const prev = this.#failed.get(b);
    const attempts = (prev?.attempts ?? 0) + 1;
    const delay = Math.min(this.retry.maxMs, this.retry.initialMs * 2 ** (attempts - 1));
    this.#failed.set(b, { attempts, nextAt: now + delay, removals: new Set([...(prev?.removals ?? []), ...removals]) });
    this.log('error', `${b.name}: ${(err as Error).message ?? String(err)}; retrying in ${Math.round(delay / 1000)} s`);
  }
}
