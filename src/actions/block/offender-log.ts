/**
 * Repeat-offender memory for escalation: how many times each cidr was
 * blocked within AUTO_BLOCK_OFFENDER_MEMORY. Map order is oldest-first, so
 * pruning stops at the first entry still remembered; the size is bounded.
 */
import type { Offender } from './state.js';

const MAX_OFFENDERS = 200_000;

export class OffenderLog {
  readonly #map = new Map<string, Offender>();

  constructor(private readonly memoryMs: number) {}

  /** Earlier blocks of `cidr` still remembered at `now`. */
  prior(cidr: string, now: number): number {
    const o = this.#map.get(cidr);
    return o && now - o.last <= this.memoryMs ? o.count : 0;
  }

  /** Counts a new block of `cidr`. */
  record(cidr: string, now: number): void {
    const count = this.prior(cidr, now) + 1;
    this.#map.delete(cidr); // re-insert at the end: newest last
    this.#map.set(cidr, { cidr, count, last: now });
    if (this.#map.size > MAX_OFFENDERS) this.#map.delete(this.#map.keys().next().value as string);
  }

  prune(now: number): void {
    for (const [k, o] of this.#map) {
      if (now - o.last <= this.memoryMs) break;
      this.#map.delete(k);
    }
  }

  /** Restores saved entries (sorted oldest first by readState). */
  load(offenders: readonly Offender[]): void {
    for (const o of offenders) this.#map.set(o.cidr, o);
  }

  values(): IterableIterator<Offender> {
    return this.#map.values();
  }
}
