/**
 * The few links between the daemon's extensions, which the daemon itself
 * does not know about: the feeds extension announces refreshed feeds (the
 * blocking extension then blocks the block=Y entries), the blocking
 * extension answers "is this source blocked, until when?" for alert mails,
 * and lends its BlockManager to the fleet extension, which in turn shares
 * the blocks made here (control socket and automatic) with the fleet.
 * One hub per daemon; daemonExtensions() creates it with the factories.
 */
import type { BlockManager, BlockResult, BlockTransport } from '../../actions/block/index.js';

export interface BlockedUntil {
  /** ISO 8601 UTC; null = until removed. */
  until: string | null;
}

export type BlockLookup = (key: string) => Promise<BlockedUntil | null>;

/** Where blocks made on this host are shared (fleet mode). */
export interface BlockSharing {
  /** Wraps the control socket's block commands so manual blocks and unblocks are shared. */
  transport(t: BlockTransport): BlockTransport;
  /** One automatic block round settled: share what it newly blocked; `dlOf` gives a block's level. */
  autoBlocked(results: readonly BlockResult[], dlOf: (cidr: string) => number | null): void;
}

export class ExtensionHub {
  #feedListeners: Array<() => void> = [];
  #blockLookup: BlockLookup | null = null;
  #manager: () => Promise<BlockManager | null> = () => Promise.resolve(null);
  #sharing: BlockSharing | null = null;

  /** Called by the feeds extension after feeds changed (refresh or reload). */
  feedsChanged(): void {
    for (const f of this.#feedListeners) f();
  }

  onFeedsChanged(f: () => void): void {
    this.#feedListeners.push(f);
  }

  /** The blocking extension registers how to answer blockedUntil(). */
  provideBlockLookup(f: BlockLookup | null): void {
    this.#blockLookup = f;
  }

  /**
   * The block that covers a source key once the blocking work started for
   * its latest level change has settled; null when blocking is off or the
   * source is not blocked.
   */
  blockedUntil(key: string): Promise<BlockedUntil | null> {
    return this.#blockLookup === null ? Promise.resolve(null) : this.#blockLookup(key);
  }

  /** The blocking extension registers how to reach its manager (which a reload replaces). */
  provideBlockManager(f: () => Promise<BlockManager | null>): void {
    this.#manager = f;
  }

  /** The BlockManager in force once built; null while automatic blocking is off. */
  blockManager(): Promise<BlockManager | null> {
    return this.#manager();
  }

  /** The fleet extension registers how blocks are shared; null: not shared. */
  shareBlocks(s: BlockSharing | null): void {
    this.#sharing = s;
  }

  sharing(): BlockSharing | null {
    return this.#sharing;
  }
}
