/**
 * Reads the decision stream and hands each new decision to the daemon.
 *
 * Every sensor must see every decision, so this is a plain XREAD from the
 * sensor's own last id (not a consumer group). The position advances only
 * after the daemon's handler returned, so a state snapshot that saves
 * position() together with the block records is always consistent. After
 * each (re)connection the position is checked against the stream: a sensor
 * with no position, or one that was away longer than the stream keeps
 * (trimmed past its position), or a Redis that lost data, loads the live set
 * of shared blocks in one batch instead and continues from the stream head.
 * Decision ids are remembered, so one decision is never handed over twice.
 */
import type { FleetLogger, RedisLink } from './connection.js';
import { decodeDecision, type AcceptBounds, type FleetDecision } from './decision.js';
import type { FleetKeys } from './keys.js';
import { compareStreamIds, hashPairs, isStreamId, pairs, parseSmallObject } from './validate.js';

export type Verdict = { accepted: true } | { accepted: false; reason: string };
/** `live`: new decisions from the stream; `snapshot`: the whole live set (blocks held from the fleet but absent were lifted meanwhile). */
export type ApplyKind = 'live' | 'snapshot';
export type DecisionHandler = (batch: readonly FleetDecision[], kind: ApplyKind) => Promise<readonly Verdict[]>;

export interface ReaderOptions {
  sensor: string;
  keys: FleetKeys;
  bounds: AcceptBounds;
  /** False: follow the stream but hand nothing over (FLEET_APPLY_DECISIONS N). */
  apply: boolean;
  onDecisions: DecisionHandler;
  position?: string | null;
  onPosition?: (pos: string) => void;
  /** XREAD BLOCK milliseconds (default 1000). */
  blockMs?: number;
  log?: FleetLogger;
  now: () => number;
}

export interface ReaderStats {
  applied: number;
  refused: number;
  invalid: number;
  expired: number;
  duplicates: number;
  own: number;
  superseded: number;
  snapshots: number;
  clamped: number;
}

const READ_COUNT = 1000;
const SEEN_MAX = 200_000;
const SCAN_COUNT = 5000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

interface Candidate {
  decision: FleetDecision;
  clamped: boolean;
}

export class DecisionReader {
  readonly stats: ReaderStats = { applied: 0, refused: 0, invalid: 0, expired: 0, duplicates: 0, own: 0, superseded: 0, snapshots: 0, clamped: 0 };
  readonly #link: RedisLink;
  readonly #o: ReaderOptions;
  readonly #seen = new Set<string>();
  #pos: string | null;
  #check = true;
  #running = false;
  #loop: Promise<void> | null = null;
  #lastError = '';

  constructor(link: RedisLink, o: ReaderOptions) {
    this.#link = link;
    this.#o = o;
    this.#pos = o.position && isStreamId(o.position) ? o.position : null;
    link.onReady(() => void (this.#check = true));
  }

  position(): string | null {
    return this.#pos;
  }

  /** Sets the saved position; only before start(). */
  restore(pos: string | null): void {
    if (this.#loop !== null) throw new Error('the decision reader is already running');
    this.#pos = pos !== null && isStreamId(pos) ? pos : null;
  }

  start(): void {
    this.#running = true;
    this.#loop ??= this.#run();
  }

  /** Stops after the current read (at most blockMs). */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    this.#loop = null;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        if (!this.#link.ready()) {
          await sleep(100);
          continue;
        }
        if (this.#check) {
          await this.#resync();
          this.#check = false;
        }
        await this.#readOnce();
        this.#lastError = '';
      } catch (err) {
        const msg = (err as Error).message;
        // Connection loss is reported once by the connection; here only errors of a live connection.
        if (msg !== this.#lastError && this.#link.ready()) this.#o.log?.('warn', `fleet: reading decisions: ${msg}`);
        this.#lastError = msg;
        this.#check = true;
        await sleep(250);
      }
    }
  }

  async #readOnce(): Promise<void> {
    const reply = await this.#link.call('XREAD', 'COUNT', READ_COUNT, 'BLOCK', this.#o.blockMs ?? 1000, 'STREAMS', this.#o.keys.log, this.#pos ?? '$');
    // [[stream, [[id, [field, value, ...]], ...]]], or null when BLOCK timed out.
    const stream: unknown = Array.isArray(reply) ? reply[0] : null;
    const entries: unknown = Array.isArray(stream) ? stream[1] : null;
    if (Array.isArray(entries) && entries.length > 0) await this.#process(entries);
  }

  /** Decides between continuing from the saved position and loading the live set. */
  async #resync(): Promise<void> {
    const k = this.#o.keys;
    const [first, head] = await Promise.all([this.#link.call('XRANGE', k.log, '-', '+', 'COUNT', 1), this.#link.call('XREVRANGE', k.log, '+', '-', 'COUNT', 1)]);
    const firstId = entryId(first);
    const headId = entryId(head);
    if (this.#pos === null) return this.#snapshot('first start');
    if (headId !== null && compareStreamIds(headId, this.#pos) < 0) return this.#snapshot(`the stream ends at ${headId}, before this sensor's position ${this.#pos}: Redis lost data`);
    if (firstId !== null && compareStreamIds(firstId, this.#pos) > 0) return this.#snapshot(`decisions after ${this.#pos} were trimmed from the stream while this sensor was away`);
  }

  /** Hands over the whole live set, then continues from the stream head read before it. */
  async #snapshot(why: string): Promise<void> {
    const k = this.#o.keys;
    const head = entryId(await this.#link.call('XREVRANGE', k.log, '+', '-', 'COUNT', 1)) ?? '0-0';
    const now = this.#o.now();
    const batch: Candidate[] = [];
    let cursor = '0';
    do {
      const reply = await this.#link.call('HSCAN', k.info, cursor, 'COUNT', SCAN_COUNT);
      if (!Array.isArray(reply) || typeof reply[0] !== 'string') throw new Error('malformed HSCAN reply');
      cursor = reply[0];
      for (const [, json] of hashPairs(reply[1], SCAN_COUNT * 10, () => this.#invalid('oversized or malformed live-set entry'))) {
        const c = this.#decode(parseSmallObject(json), now);
        if (c !== null) batch.push(c);
      }
    } while (cursor !== '0');
    this.stats.snapshots++;
    this.#o.log?.('info', `fleet: loading ${batch.length} shared block(s) (${why})`);
    await this.#deliver(batch, 'snapshot');
    this.#advance(head);
  }

  async #process(entries: unknown[]): Promise<void> {
    const now = this.#o.now();
    const byCidr = new Map<string, Candidate>();
    let last: string | null = null;
    for (const e of entries) {
      if (!Array.isArray(e) || typeof e[0] !== 'string' || !isStreamId(e[0])) continue;
      last = e[0];
      const fields = pairs(e[1], 32);
      const c = this.#decode(fields === null ? null : Object.fromEntries(fields), now);
      if (c === null) continue;
      if (c.decision.by === this.#o.sensor && !c.merged) {
        this.stats.own++;
        this.#remember(c.decision.id);
        continue;
      }
      // Within one read only the newest decision per cidr matters.
      if (byCidr.delete(c.decision.cidr)) this.stats.superseded++;
      byCidr.set(c.decision.cidr, c);
    }
    await this.#deliver([...byCidr.values()], 'live');
    if (last !== null) this.#advance(last);
  }

  /** Validates one record; null (counted) when invalid, expired or already handled. */
  #decode(rec: Record<string, unknown> | null, now: number): (Candidate & { merged: boolean }) | null {
    const d = rec === null ? ({ kind: 'invalid', reason: 'malformed entry' } as const) : decodeDecision(rec, this.#o.bounds, now);
    if (d.kind === 'invalid') {
      this.#invalid(d.reason);
      return null;
    }
    if (d.kind === 'expired') {
      this.stats.expired++;
      return null;
    }
    if (this.#seen.has(d.decision.id)) {
      this.stats.duplicates++;
      return null;
    }
    return { decision: d.decision, clamped: d.clamped, merged: d.merged };
  }

  async #deliver(batch: Candidate[], kind: ApplyKind): Promise<void> {
    for (const c of batch) this.#remember(c.decision.id);
    if (!this.#o.apply || (batch.length === 0 && kind === 'live')) return;
    let verdicts: readonly Verdict[];
    try {
      verdicts = await this.#o.onDecisions(batch.map((c) => c.decision), kind);
    } catch (err) {
      // The handler owns retries of firewall work; a throw here is a bug, not a reason to stall the stream.
      this.#o.log?.('error', `fleet: applying ${batch.length} shared decision(s) failed: ${(err as Error).message}`);
      return;
    }
    batch.forEach((c, i) => {
      const v = verdicts[i];
      if (c.clamped) this.stats.clamped++;
      if (v?.accepted === false) this.stats.refused++;
      else this.stats.applied++;
    });
  }

  /** Counted and logged, but a flood of bad entries must not flood the log. */
  #invalid(reason: string): void {
    if (++this.stats.invalid <= 20 || this.stats.invalid % 1000 === 0) this.#o.log?.('warn', `fleet: ignored a shared decision (${this.stats.invalid} so far): ${reason}`);
  }

  #remember(id: string): void {
    this.#seen.add(id);
    if (this.#seen.size > SEEN_MAX) this.#seen.delete(this.#seen.values().next().value as string);
  }

  #advance(pos: string): void {
    this.#pos = pos;
    this.#o.onPosition?.(pos);
  }
}

/** The id of the first entry of an XRANGE/XREVRANGE reply; null when empty. */
function entryId(reply: unknown): string | null {
  if (!Array.isArray(reply) || reply.length === 0) return null;
  const e: unknown = reply[0];
  return Array.isArray(e) && typeof e[0] === 'string' && isStreamId(e[0]) ? e[0] : null;
}
