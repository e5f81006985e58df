/**
 * openFleet(): what the daemon calls once at start. Without FLEET_REDIS_URL
 * it returns null and nothing else happens (ioredis is not even loaded).
 * Otherwise it opens three connections (commands, blocking stream reads, and
 * Pub/Sub for level announcements),
 * starts evidence publishing, the decision reader and a heartbeat, and
 * returns at once: Redis may be down, and the sensor works locally until it
 * is back.
 */
import type { Config } from '../config/keys/index.js';
import { connect, type FleetLogger, type RedisLink } from './connection.js';
import type { DecisionHandler } from './decision-reader.js';
import { FleetDecisions, type DecisionStats } from './decisions.js';
import { FleetEvidence, type EvidenceStats } from './evidence.js';
import type { FleetLevel } from './fleet-level.js';
import { FleetKeys } from './keys.js';
import { fleetOptions, type FleetOptions } from './options.js';
import { forgetSilentSensors, heartbeat } from './heartbeat.js';

export interface FleetHooks {
  /** Applies other sensors' decisions under this host's never-block rules; one verdict per decision, in order. */
  onDecisions: DecisionHandler;
  /** A source this sensor published went up a fleet level. */
  onLevelRise?: (level: FleetLevel, previous: number) => void;
  /** The saved decisions.position() from the daemon's state file; null on a new sensor. */
  position?: string | null;
  onPosition?: (pos: string) => void;
  log?: FleetLogger;
  now?: () => number;
  /** True: connect, but publish, read and heartbeat only after start(position) (for a daemon extension whose saved state arrives after creation). */
  deferStart?: boolean;
}

export interface FleetStats {
  sensor: string;
  connected: boolean;
  evidence: EvidenceStats;
  decisions: DecisionStats;
}

export interface Fleet {
  readonly sensor: string;
  readonly options: FleetOptions;
  readonly evidence: FleetEvidence;
  readonly decisions: FleetDecisions;
  /** Starts publishing, reading and heartbeats (done by openFleet unless deferStart); `position` overrides hooks.position. */
  start(position?: string | null): void;
  connected(): boolean;
  stats(): FleetStats;
  /** Final send of queued evidence and decisions, a last heartbeat, then disconnect. */
  close(): Promise<void>;
}

const MAINTAIN_EVERY_MS = 30_000;

export async function openFleet(cfg: Config, hooks: FleetHooks): Promise<Fleet | null> {
  const o = fleetOptions(cfg);
  if (o === null) return null;
  const log = hooks.log ?? (() => undefined);
  const now = hooks.now ?? Date.now;
  const blockMs = Math.min(1000, o.publishIntervalMs);
  const link = await connect(o.endpoint, { log, name: `tsad-${o.sensor}` });
  const reader = await connect(o.endpoint, { log: () => undefined, name: `tsad-${o.sensor}-reader`, commandTimeoutMs: blockMs + 5000 });
  const sub = await connect(o.endpoint, { log: () => undefined, name: `tsad-${o.sensor}-sub` });
  const keys = new FleetKeys(o.prefix);
  const evidence = new FleetEvidence(link, { ...o, keys, intervalMs: o.publishIntervalMs, onLevelRise: hooks.onLevelRise, log, now });
  const decisions = new FleetDecisions(link, reader, {
    ...o,
    keys,
    intervalMs: o.publishIntervalMs,
    bounds: o,
    apply: o.applyDecisions,
    onDecisions: hooks.onDecisions,
    position: hooks.position,
    onPosition: hooks.onPosition,
    blockMs,
    log,
    now,
  });
  await evidence.listen(sub);
  const fleet = new RunningFleet(o, [link, reader, sub], evidence, decisions, now);
  if (hooks.deferStart !== true) fleet.start();
  return fleet;
}

class RunningFleet implements Fleet {
  readonly sensor: string;
  readonly #link: RedisLink;
  readonly #links: readonly RedisLink[];
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #lastMaintain = 0;

  /** `links`: commands first, then the stream reader and the subscriber. */
  constructor(
    readonly options: FleetOptions,
    links: readonly [RedisLink, ...RedisLink[]],
    readonly evidence: FleetEvidence,
    readonly decisions: FleetDecisions,
    now: () => number,
  ) {
    this.sensor = options.sensor;
    this.#link = links[0];
    this.#links = links;
    this.#now = now;
  }

  start(position?: string | null): void {
    if (this.#timer !== undefined) throw new Error('fleet mode is already started');
    if (position !== undefined) this.decisions.restore(position);
    this.evidence.start();
    this.decisions.start();
    this.#timer = setInterval(() => void this.#beat(), this.options.publishIntervalMs);
    this.#timer.unref();
    this.#link.onReady(() => void this.#beat());
  }

  connected(): boolean {
    return this.#link.ready();
  }

  stats(): FleetStats {
    return { sensor: this.sensor, connected: this.connected(), evidence: this.evidence.stats(), decisions: this.decisions.stats() };
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all([this.evidence.stop(), this.decisions.stop()]);
    await this.#beat();
    await Promise.all(this.#links.map((l) => l.close()));
  }

  /** Heartbeat: this sensor's last contact, stream position and counters, for `tsad status --fleet`. */
  async #beat(): Promise<void> {
    if (!this.#link.ready()) return;
    const now = this.#now();
    const hb = heartbeat(this.evidence.stats(), this.decisions.stats(), this.decisions.position(), now);
    const sensors = new FleetKeys(this.options.prefix).sensors;
    await this.#link.call('HSET', sensors, this.sensor, hb).catch(() => undefined);
    if (now - this.#lastMaintain < MAINTAIN_EVERY_MS) return;
    this.#lastMaintain = now;
    await this.evidence.maintain().catch(() => undefined);
    await forgetSilentSensors(this.#link, sensors, now).catch(() => undefined);
  }
}
