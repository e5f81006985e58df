/**
 * The few links between the daemon's extensions, which the daemon itself
 * does not know about: the feeds extension announces refreshed feeds (the
 * blocking extension then blocks the block=Y entries), and the blocking
 * extension answers "is this source blocked, until when?" for alert mails.
 * One hub per daemon; daemonExtensions() creates it with the factories.
 */

export interface BlockedUntil {
  /** ISO 8601 UTC; null = until removed. */
  until: string | null;
}

export type BlockLookup = (key: string) => Promise<BlockedUntil | null>;

export class ExtensionHub {
  #feedListeners: Array<() => void> = [];
  #blockLookup: BlockLookup | null = null;

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
}
