/**
 * FleetDecisions: blocks and unblocks shared through one Redis stream.
 *
 * The daemon tells it what it decided (block(), unblock(): queued, never
 * waiting for Redis) and receives what other sensors decided through its
 * onDecisions handler, which applies each under this host's own never-block
 * rules and answers accepted or refused. Expiry travels as an absolute time,
 * so every sensor lifts a block at the same moment without further messages.
 */
import type { FleetLogger, RedisLink } from './connection.js';
import { newDecisionId, savedDecision, type AcceptBounds, type BlockNotice, type FleetDecision } from './decision.js';
import { DecisionOutbox } from './decision-outbox.js';
import { DecisionReader, type DecisionHandler, type ReaderStats } from './decision-reader.js';
import type { FleetKeys } from './keys.js';
import { PRUNE_BLOCKS } from './scripts.js';
import { canonicalCidrText } from './validate.js';

export interface FleetDecisionsOptions {
  sensor: string;
  keys: FleetKeys;
  queueMax: number;
  streamMaxLen: number;
  intervalMs: number;
  bounds: AcceptBounds;
  /** Hand other sensors' decisions to onDecisions (FLEET_APPLY_DECISIONS). */
  apply: boolean;
  onDecisions: DecisionHandler;
  /** Stream position saved by the daemon (position()); null or absent on a new sensor. */
  position?: string | null;
  /** Called whenever the position advanced (the daemon marks its state dirty). */
  onPosition?: (pos: string) => void;
  blockMs?: number;
  log?: FleetLogger;
  now?: () => number;
}

export interface DecisionStats extends ReaderStats {
  queued: number;
  /** Decisions dropped from a full queue while Redis was away. */
  dropped: number;
  published: number;
  failures: number;
}

const PRUNE_EVERY_MS = 10_000;

export class FleetDecisions {
  readonly #link: RedisLink;
  readonly #o: FleetDecisionsOptions;
  readonly #now: () => number;
  readonly #outbox: DecisionOutbox;
  readonly #reader: DecisionReader;
  #timer: NodeJS.Timeout | undefined;
  #offReady: () => void = () => undefined;
  #lastPrune = 0;

  /** `link` sends; `reader` is a second connection for the blocking stream reads. */
  constructor(link: RedisLink, reader: RedisLink, o: FleetDecisionsOptions) {
    this.#link = link;
    this.#o = o;
    this.#now = o.now ?? Date.now;
    this.#outbox = new DecisionOutbox(link, o.keys, { queueMax: o.queueMax, streamMaxLen: o.streamMaxLen, now: this.#now, log: o.log });
    this.#reader = new DecisionReader(reader, { ...o, now: this.#now });
  }

  /** Shares a block this sensor made (or `tsad block` made here). Returns the queued decision. */
  block(n: BlockNotice): FleetDecision {
    return this.#queue('block', n.cidr, n.expiresAt, n.dl ?? null, n.reason ?? '');
  }

  /** Shares an unblock (`tsad unblock`, `tsad flush`): every sensor lifts the block. */
  unblock(cidr: string, reason = 'unblocked'): FleetDecision {
    return this.#queue('unblock', cidr, null, null, reason);
  }

  /** The last stream id handed over; save it with the block records and pass it back as `position`. */
  position(): string | null {
    return this.#reader.position();
  }

  /** Sets the saved position (instead of the constructor option); only before start(). */
  restore(pos: string | null): void {
    this.#reader.restore(pos);
  }

  /** This sensor's decisions not sent yet, oldest first: saved with the daemon state so a restart does not lose them. */
  queued(): FleetDecision[] {
    return this.#outbox.pending();
  }

  /**
   * Queues decisions saved by queued() before a restart (checked as if read
   * from the stream; expired blocks are dropped) and sends them once Redis is
   * reachable. A decision that did reach Redis before the restart keeps its
   * id, so the stream script takes it only once. Returns how many were queued.
   */
  requeue(saved: readonly unknown[]): number {
    const now = this.#now();
    let n = 0;
    for (const v of saved) {
      const d = savedDecision(v, now);
      if (d === null) continue;
      this.#outbox.add(d);
      n++;
    }
    if (n > 0) void this.flush();
    return n;
  }

  stats(): DecisionStats {
    const b = this.#outbox;
    return { ...this.#reader.stats, queued: b.size, dropped: b.dropped, published: b.published, failures: b.failures };
  }

  /** Sends queued decisions now (when connected). */
  flush(): Promise<number> {
    return this.#outbox.flush();
  }

  start(): void {
    this.#reader.start();
    this.#timer = setInterval(() => void this.#tick(), this.#o.intervalMs);
    this.#timer.unref();
    this.#offReady = this.#link.onReady(() => void this.flush());
    void this.flush();
  }

  /** Stops reading, and tries one last send. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#offReady();
    await this.#reader.stop();
    await this.flush();
  }

  #queue(op: FleetDecision['op'], cidr: string, expiresAt: number | null, dl: number | null, reason: string): FleetDecision {
    if (canonicalCidrText(cidr) === null) throw new Error(`"${cidr}" is not a canonical address or prefix`);
    const now = this.#now();
    const d: FleetDecision = { id: newDecisionId(this.#o.sensor, now), op, cidr, expiresAt, dl, reason, by: this.#o.sensor, at: now };
    this.#outbox.add(d);
    // A block is worth a round trip now rather than at the next tick.
    void this.flush();
    return d;
  }

  async #tick(): Promise<void> {
    await this.flush();
    const now = this.#now();
    if (now - this.#lastPrune < PRUNE_EVERY_MS || !this.#link.ready()) return;
    this.#lastPrune = now;
    const k = this.#o.keys;
    await this.#link.run(PRUNE_BLOCKS, [k.live, k.info], [now]).catch(() => undefined);
  }
}
