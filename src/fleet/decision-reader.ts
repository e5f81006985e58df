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
import { SNAPSHOT } from './scripts.js';
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
    if (this.#pos === null) return this.#snapshot('first start');
    const info = await this.#link.call('XINFO', 'STREAM', this.#o.keys.log).catch((err: Error) => {
      if (/no such key/i.test(err.message)) return null;
      throw err;
    });
    const gap = streamGap(info, this.#pos);
    if (gap !== null) return this.#snapshot(gap);
  }

  /**
   * Hands over the whole live set, then continues from the stream head.
   * Head and live set are read atomically (one script), so the position matches
   * exactly what was handed over (no decision is handed over twice after a
   * restart, none is missed).
   */
  async #snapshot(why: string): Promise<void> {
    const reply = await this.#link.run(SNAPSHOT, [this.#o.keys.log, this.#o.keys.info], []);
    const [head, all] = Array.isArray(reply) ? reply : [];
    if (typeof head !== 'string' || !isStreamId(head)) throw new Error('malformed snapshot reply');
    const now = this.#o.now();
    const batch: Candidate[] = [];
    for (const [, json] of hashPairs(all, Number.MAX_SAFE_INTEGER, () => this.#invalid('oversized or malformed live-set entry'))) {
      // Every live block, also those handed over before: the batch is the complete set.
      const c = this.#decode(parseSmallObject(json), now, false);
      if (c !== null) batch.push(c);
    }
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
      const c = this.#decode(fields === null ? null : Object.fromEntries(fields), now, true);
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

  /** Validates one record; null (counted) when invalid, expired or (with `dedupe`) already handed over. */
  #decode(rec: Record<string, unknown> | null, now: number, dedupe: boolean): (Candidate & { merged: boolean }) | null {
    const d = rec === null ? ({ kind: 'invalid', reason: 'malformed entry' } as const) : decodeDecision(rec, this.#o.bounds, now);
    if (d.kind === 'invalid') {
      this.#invalid(d.reason);
      return null;
    }
    if (d.kind === 'expired') {
      this.stats.expired++;
      return null;
    }
    if (dedupe && this.#seen.has(d.decision.id)) {
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

/**
 * Why the stream cannot be replayed from `pos` (XINFO STREAM reply, null
 * when the stream does not exist), or null when it can: Redis lost data
 * (the stream ends before `pos`), or entries after `pos` were trimmed (the
 * first entry is past `pos` and entries were removed; Redis 7 counts the
 * entries ever added, older servers do not, where it is a guess, and a
 * needless reload is harmless).
 */
export function streamGap(info: unknown, pos: string): string | null {
  const f = new Map<string, unknown>();
  if (Array.isArray(info)) for (let i = 0; i + 1 < info.length; i += 2) f.set(String(info[i]), info[i + 1]);
  const last = f.get('last-generated-id');
  if (typeof last !== 'string' || !isStreamId(last)) return pos === '0-0' ? null : 'the decision stream is gone: Redis lost data';
  if (compareStreamIds(last, pos) < 0) return `the stream ends at ${last}, before this sensor's position ${pos}: Redis lost data`;
  const first = entryId([f.get('first-entry')]);
  if (first === null || compareStreamIds(first, pos) <= 0) return null;
  const added = f.get('entries-added');
  const removed = added === undefined ? pos !== '0-0' : Number(added) > Number(f.get('length'));
  return removed ? `decisions after ${pos} were trimmed from the stream while this sensor was away` : null;
}
