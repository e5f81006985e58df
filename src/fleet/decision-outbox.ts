/**
 * This sensor's decisions waiting to be appended to the stream. Only the
 * newest decision per cidr matters for the final state, so a block followed
 * by an unblock while Redis is away sends just the unblock; the queue holds
 * at most FLEET_QUEUE_MAX cidrs and drops (and counts) the oldest beyond it.
 * A decision whose send failed goes back unless a newer one replaced it; if
 * the first send did reach Redis, the script recognises the id and the
 * second is a no-op.
 */
import type { FleetLogger, RedisLink } from './connection.js';
import { decisionArgs, type FleetDecision } from './decision.js';
import type { FleetKeys } from './keys.js';
import { DECIDE } from './scripts.js';

export class DecisionOutbox {
  readonly #pending = new Map<string, FleetDecision>();
  dropped = 0;
  superseded = 0;
  published = 0;
  duplicates = 0;
  failures = 0;
  #flushing: Promise<number> | null = null;

  constructor(
    private readonly link: RedisLink,
    private readonly keys: FleetKeys,
    private readonly o: { queueMax: number; streamMaxLen: number; now: () => number; log?: FleetLogger },
  ) {}

  get size(): number {
    return this.#pending.size;
  }

  add(d: FleetDecision): void {
    if (this.#pending.delete(d.cidr)) this.superseded++;
    this.#pending.set(d.cidr, d);
    while (this.#pending.size > this.o.queueMax) {
      this.#pending.delete(this.#pending.keys().next().value as string);
      this.dropped++;
    }
  }

  /** What is waiting, oldest first (saved with the daemon state). */
  pending(): FleetDecision[] {
    return [...this.#pending.values()];
  }

  /** Sends everything pending (when connected); resolves with the number appended. */
  flush(): Promise<number> {
    this.#flushing ??= this.#drain().finally(() => (this.#flushing = null));
    return this.#flushing;
  }

  async #drain(): Promise<number> {
    let sent = 0;
    while (this.#pending.size > 0 && this.link.ready()) {
      const batch = [...this.#pending.values()].slice(0, 2000);
      for (const d of batch) this.#pending.delete(d.cidr);
      const results = await Promise.allSettled(batch.map((d) => this.#send(d)));
      let failed = 0;
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') return;
        failed++;
        const d = batch[i] as FleetDecision;
        if (!this.#pending.has(d.cidr)) this.#pending.set(d.cidr, d);
      });
      sent += batch.length - failed;
      if (failed > 0) {
        this.failures += failed;
        break;
      }
    }
    return sent;
  }

  async #send(d: FleetDecision): Promise<void> {
    const k = this.keys;
    const id = await this.link.run(DECIDE, [k.log, k.live, k.info, k.ids], [this.o.now(), this.o.streamMaxLen, ...decisionArgs(d)]);
    if (id === null) this.duplicates++;
    else this.published++;
  }
}
