/**
 * Where blocking, alerting and other consumers plug into the daemon. The
 * daemon knows nothing of firewalls or mail: it creates each extension from
 * a factory at start, tells it about level changes, keeps its opaque state
 * in the same atomic snapshot as the scan state, routes the control-socket
 * block commands to it, and reloads and stops it with the daemon.
 */
import type { Config } from '../config/keys/index.js';
import type { SourceReport } from '../model/report.js';
import type { BlockTransport, BlockView } from '../actions/block/control.js';
import type { AutoDl, SourceState } from '../detect/index.js';
import type { Packet } from '../model/packet.js';
import type { FeedSet } from '../enrich/index.js';

export type LogLevel = 'error' | 'warn' | 'notice' | 'info';
export type Logger = (level: LogLevel, msg: string) => void;

/** A source's danger level went up. */
export interface LevelChange {
  /** Tracked key: an address, or a prefix (`2001:db8:1:2::/64`) when sources are aggregated. */
  key: string;
  family: 4 | 6;
  from: number;
  to: number;
  reason: string;
  /** Event time (log timestamp, ms) of the packet that raised it. */
  eventTime: number;
  /** Wall clock (ms) when the daemon handled that packet. */
  at: number;
  /** The source in the report contract's form, built on first call (without enrichment). */
  report(): SourceReport;
  /**
   * The source's latest raw log lines (at most EMAIL_LOG_SAMPLES), kept
   * while it is at or above EMAIL_ALERT_DANGER_LEVEL. The line that raised
   * the level is included once the daemon has finished handling it, so read
   * this after a microtask or later, not inside onLevelChange.
   */
  samples(): string[];
  /** Distinct log prefixes of the source's packets (collected only with ENABLE_AUTO_IDS_REGEX); read like samples(). */
  logPrefixes(): string[];
}

/** One Prometheus sample: `name{labels} value`. */
export interface MetricSample {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  value: number;
  labels?: Record<string, string>;
}

export interface DaemonExtension {
  /** Key of its saved state in state.json; unique among extensions. */
  readonly name: string;
  /**
   * Called synchronously for every level change, in log order. Must not
   * throw or block: start asynchronous work (a firewall command, a mail) and
   * return. After a crash the lines since the last snapshot are read again,
   * so a change may be announced twice; the daemon saves a snapshot within
   * a second of each change to keep that window small.
   */
  onLevelChange?(ev: LevelChange): void;
  /**
   * Called synchronously for every packet that passed the filters, with its
   * source's state after the packet was counted. A hot path: no I/O, and no
   * allocation that can be avoided.
   */
  onPacket?(p: Packet, s: SourceState): void;
  /** The control socket's block, unblock, blocks and flush commands; at most one extension offers them. */
  readonly blocks?: BlockTransport;
  /**
   * The blocks in force for `tsad status`, also while the daemon does not own
   * them (automatic blocking off: those `tsad block` made directly); null
   * when blocking was never used.
   */
  blockList?(): Promise<BlockView[] | null>;
  /** JSON-able state, written in the same snapshot as the scan state (given back through ExtensionContext.saved). */
  saveState?(): unknown;
  /** SIGHUP with a new valid configuration. A rejection keeps the daemon running and is logged. */
  reload?(cfg: Config): Promise<void>;
  metrics?(): MetricSample[];
  /** Lines for `tsad status` under the daemon header (queue lengths, backend health). */
  statusLines?(): string[];
  /** Problems for `tsad status` and its JSON `daemon.warnings` (a file that cannot be saved, a state that was moved aside). */
  warnings?(): string[];
  stop?(): Promise<void>;
}

export interface ExtensionContext {
  cfg: Config;
  stateDir: string;
  /** `tsad daemon --dry-run`: decide, but run no firewall command. */
  dryRun: boolean;
  log: Logger;
  /** What the extension of this name saved in the last snapshot (undefined on a first start), e.g. for BlockManager.fromJSON. */
  saved(name: string): unknown;
  /** The reputation feeds detection uses now (a SIGHUP reload replaces them); null when ENABLE_REPUTATION_FEEDS is N. */
  feeds(): FeedSet | null;
  /** The auto_dl table detection uses now (for its danger level 0 entries). */
  autoDl(): AutoDl | undefined;
  /**
   * Raises a tracked source's danger level (never lowers it), announced to
   * every extension as a level change; a source the daemon no longer tracks
   * is left alone.
   */
  raise(key: string, dl: number, reason: string): void;
  /** What saveState() returns changed: the daemon writes a snapshot soon (within a second). */
  stateChanged(): void;
}

export type ExtensionFactory = (ctx: ExtensionContext) => Promise<DaemonExtension>;
