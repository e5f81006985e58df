/**
 * FleetEvidence: each sensor publishes its per-source figures; Redis keeps
 * fleet-wide HyperLogLogs of destinations and ports per source (in time
 * buckets, so old destinations age out) and the set of sensors that saw it.
 *
 * publish() only queues (merged per source) and never waits for Redis; a
 * timer sends the queue every FLEET_PUBLISH_INTERVAL, one script call per
 * source, all in one pipeline. Each call returns the fleet-wide counts, so a
 * source whose fleet level rose is reported through onLevelRise at once.
 * Sending the same evidence twice changes nothing (HyperLogLogs and the
 * per-sensor figures are idempotent), so a batch whose reply was lost is
 * simply sent again.
 *
 * The sensor whose publish lifted a source also announces it on a Pub/Sub
 * channel; every other sensor that published evidence for the source then
 * reports the rise too (at most once per level), so all their daemons know
 * the fleet level even when the source never comes back to them.
 */
import type { FleetLogger, RedisLink } from './connection.js';
import { detailJson, EvidenceQueue, savedEvidence, type EvidenceItem, type PendingEvidence } from './evidence-queue.js';
import { bucketMs, fleetDangerLevel, readFleetLevel, type FleetLevel, type LevelRules } from './fleet-level.js';
import { LEVEL_SCALE, windowBuckets, type FleetKeys } from './keys.js';
import { EVIDENCE } from './scripts.js';
import { boundedInt, canonicalCidrText, isSensorName, parseSmallObject } from './validate.js';

export interface FleetEvidenceOptions extends LevelRules {
  sensor: string;
  keys: FleetKeys;
  queueMax: number;
  intervalMs: number;
  /** Called when this sensor's publish shows a source's fleet level went up. */
  onLevelRise?: (level: FleetLevel, previous: number) => void;
  log?: FleetLogger;
  now?: () => number;
}

export interface EvidenceStats {
  queued: number;
  /** Sources dropped from a full queue while Redis was away. */
  dropped: number;
  /** Items or destinations refused as malformed. */
  invalid: number;
  /** Destinations or ports beyond the per-source bound between two sends. */
  truncated: number;
  /** Source updates sent. */
  published: number;
  failures: number;
}

/** Sources sent per round trip. */
const BATCH = 2000;
/** Sources this sensor published, with the last fleet level it knows (rise detection). */
const LEVEL_MEMORY = 200_000;
/** Entries kept in the levels index (status shows the top of it). */
const INDEX_MAX = 100_000;

export class FleetEvidence {
  readonly #link: RedisLink;
  readonly #o: FleetEvidenceOptions;
  readonly #queue: EvidenceQueue;
  readonly #levels = new Map<string, number>();
  readonly #now: () => number;
  #published = 0;
  #failures = 0;
  #flushing: Promise<number> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #offReady: () => void = () => undefined;

  constructor(link: RedisLink, o: FleetEvidenceOptions) {
    this.#link = link;
    this.#o = o;
    this.#queue = new EvidenceQueue(o.queueMax);
    this.#now = o.now ?? Date.now;
  }

  /** Queues evidence; never waits. Figures replace this sensor's earlier ones for the source. */
  publish(batch: readonly EvidenceItem[]): void {
    const now = this.#now();
    for (const item of batch) this.#queue.add(item, now);
  }

  /** Evidence not sent yet, oldest first: saved with the daemon state so a restart does not lose it. */
  queued(): EvidenceItem[] {
    return this.#queue.items();
  }

  /** Queues evidence saved by queued() before a restart (malformed items are skipped and counted as invalid). */
  requeue(saved: readonly unknown[]): number {
    const items = saved.map(savedEvidence);
    const ok = items.filter((i): i is EvidenceItem => i !== null);
    this.#queue.invalid += items.length - ok.length;
    this.publish(ok);
    return ok.length;
  }

  /** Per-packet form of publish() (see EvidenceQueue.note): `port` as `tcp/22` or null. */
  note(src: string, dst: string, port: string | null, packets: number, dl: number, destinations: number, lastSeen = this.#now()): void {
    this.#queue.note(src, dst, port, packets, dl, destinations, lastSeen);
  }

  /** The source's fleet-wide figures now, with each sensor's own figures. */
  fleetLevel(src: string): Promise<FleetLevel> {
    return readFleetLevel(this.#link, this.#o.keys, src, this.#o, this.#now(), true);
  }

  stats(): EvidenceStats {
    const q = this.#queue;
    return { queued: q.size, dropped: q.dropped, invalid: q.invalid, truncated: q.truncated, published: this.#published, failures: this.#failures };
  }

  /** Sends everything queued (when connected); resolves with the number of sources sent. */
  flush(): Promise<number> {
    this.#flushing ??= this.#drain().finally(() => (this.#flushing = null));
    return this.#flushing;
  }

  start(): void {
    this.#timer = setInterval(() => void this.flush(), this.#o.intervalMs);
    this.#timer.unref();
    // What waited through an outage goes as soon as Redis is back, not at the next tick.
    this.#offReady = this.#link.onReady(() => void this.flush());
  }

  /** Stops the timer and tries one last send. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#offReady();
    await this.flush();
  }

  /** Drops index entries older than the window, and beyond its size bound. */
  async maintain(): Promise<void> {
    if (!this.#link.ready()) return;
    const cutoff = this.#now() - this.#o.windowMs;
    const calls = [1, 2, 3, 4, 5].map((d) => this.#link.call('ZREMRANGEBYSCORE', this.#o.keys.levels, d * LEVEL_SCALE, d * LEVEL_SCALE + cutoff));
    calls.push(this.#link.call('ZREMRANGEBYRANK', this.#o.keys.levels, 0, -(INDEX_MAX + 1)));
    await Promise.all(calls);
  }

  async #drain(): Promise<number> {
    let sent = 0;
    while (this.#queue.size > 0 && this.#link.ready()) {
      const batch = this.#queue.take(BATCH);
      const results = await Promise.allSettled(batch.map((p) => this.#send(p)));
      const failed = batch.filter((_, i) => results[i]?.status === 'rejected');
      sent += batch.length - failed.length;
      this.#published += batch.length - failed.length;
      if (failed.length > 0) {
        this.#failures += failed.length;
        this.#queue.putBack(failed);
        break;
      }
    }
    return sent;
  }

  async #send(p: PendingEvidence): Promise<void> {
    const { keys, windowMs, sensor } = this.#o;
    const now = this.#now();
    const size = bucketMs(windowMs);
    const buckets = windowBuckets(Math.floor(now / size));
    const dsts = [...p.dsts];
    const ports = [...p.ports];
    const reply = await this.#link.run(
      EVIDENCE,
      [keys.seen(p.src), keys.by(p.src), ...buckets.map((b) => keys.dsts(p.src, b)), ...buckets.map((b) => keys.ports(p.src, b))],
      [now, now - windowMs, windowMs, windowMs + size, sensor, detailJson(p), buckets.length, dsts.length, ports.length, ...dsts, ...ports],
    );
    const [d, n, s] = Array.isArray(reply) ? reply.map(Number) : [];
    this.#observe(p.src, d ?? 0, n ?? 0, s ?? 0, now);
  }

  /** Follows the other sensors' level announcements on `sub` (a connection given over to Pub/Sub). */
  listen(sub: RedisLink): Promise<void> {
    return sub.subscribe(this.#o.keys.rises, (msg) => this.#announced(msg), () => void this.catchUp());
  }

  /**
   * Pub/Sub keeps nothing: announcements made while this sensor was not
   * subscribed (Redis restarted, a reconnect) are lost. After each
   * (re)subscription, re-read the fleet level of every source this sensor
   * follows and report the rises it missed. When the command connection is not
   * ready yet, it runs again as soon as it is.
   */
  async catchUp(): Promise<void> {
    if (!this.#link.ready()) {
      const off = this.#link.onReady(() => {
        off();
        void this.catchUp();
      });
      return;
    }
    for (const [src, known] of [...this.#levels]) {
      if (known >= 5) continue;
      const level = await this.fleetLevel(src).catch(() => null);
      if (level === null || level.dl <= (this.#levels.get(src) ?? 0)) continue;
      const previous = this.#remember(src, level.dl);
      this.#rise(level, previous);
    }
  }

  #observe(src: string, destinations: number, ports: number, sensors: number, now: number): void {
    const dl = fleetDangerLevel(destinations, sensors, this.#o);
    const previous = this.#remember(src, dl);
    if (dl > 0) this.#link.call('ZADD', this.#o.keys.levels, dl * LEVEL_SCALE + now, src).catch(() => undefined);
    if (dl <= previous) return;
    const notice = JSON.stringify({ src, dl, d: destinations, p: ports, s: sensors, by: this.#o.sensor });
    this.#link.call('PUBLISH', this.#o.keys.rises, notice).catch(() => undefined);
    this.#rise({ src, dl, destinations, ports, sensors, packets: 0, maxLocalDl: 0, bySensor: [] }, previous);
  }

  /** Another sensor's announcement: reported when this sensor has evidence for the source and knew a lower level. */
  #announced(msg: string): void {
    const o = parseSmallObject(msg, 512);
    if (o === null || typeof o.src !== 'string' || canonicalCidrText(o.src) === null || typeof o.by !== 'string' || !isSensorName(o.by) || o.by === this.#o.sensor) return;
    const dl = boundedInt(o.dl, 1, 5);
    const destinations = boundedInt(o.d, 0, Number.MAX_SAFE_INTEGER);
    const ports = boundedInt(o.p, 0, Number.MAX_SAFE_INTEGER);
    const sensors = boundedInt(o.s, 0, 1_000_000);
    const previous = this.#levels.get(o.src);
    if (dl === null || destinations === null || ports === null || sensors === null || previous === undefined || dl <= previous) return;
    this.#remember(o.src, dl);
    this.#rise({ src: o.src, dl, destinations, ports, sensors, packets: 0, maxLocalDl: 0, bySensor: [] }, previous);
  }

  /** Records the level (most recent last, bounded); returns the one known before. */
  #remember(src: string, dl: number): number {
    const previous = this.#levels.get(src) ?? 0;
    this.#levels.delete(src);
    this.#levels.set(src, dl);
    if (this.#levels.size > LEVEL_MEMORY) this.#levels.delete(this.#levels.keys().next().value as string);
    return previous;
  }

  #rise(level: FleetLevel, previous: number): void {
    if (this.#o.onLevelRise === undefined) return;
    try {
      this.#o.onLevelRise(level, previous);
    } catch (err) {
      this.#o.log?.('error', `fleet: level handler failed for ${level.src}: ${(err as Error).message}`);
    }
  }
}
