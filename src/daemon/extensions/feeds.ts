/**
 * Keeps the reputation feeds fresh while the daemon runs. Detection loads
 * them at start from the saved copies and feed files, without waiting for
 * the network; this extension then refreshes each feed when it is due
 * (FeedSet.msUntilDue), in place, so detection and reports see the new
 * lists at once. Failures are logged and the last good copy stays. A SIGHUP
 * reload brings a new FeedSet (new configuration); the timer follows it.
 */
import type { FeedSet, FeedUpdateResult } from '../../enrich/index.js';
import type { DaemonExtension, ExtensionContext, ExtensionFactory, MetricSample } from '../hooks.js';
import type { ExtensionHub } from './hub.js';

/** Never refresh more often than this, whatever msUntilDue says (a feed failing in a loop). */
const MIN_WAIT_MS = 1000;
/** setTimeout's limit; longer waits are re-checked. */
const MAX_WAIT_MS = 2 ** 31 - 1;

export function feedsExtension(hub: ExtensionHub): ExtensionFactory {
  return async (ctx) => {
    const ext = new FeedsExtension(ctx, hub);
    ext.schedule();
    return ext;
  };
}

class FeedsExtension implements DaemonExtension {
  readonly name = 'feeds';
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;
  #failures = 0;
  #updates = 0;

  constructor(private readonly ctx: ExtensionContext, private readonly hub: ExtensionHub) {}

  /** Sets the timer for the next due feed of the FeedSet in use. */
  schedule(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const feeds = this.ctx.feeds();
    if (this.#stopped || feeds === null) return;
    const due = feeds.msUntilDue();
    if (due === null) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#refresh(feeds);
    }, Math.min(MAX_WAIT_MS, Math.max(MIN_WAIT_MS, due)));
    this.#timer.unref();
  }

  async #refresh(feeds: FeedSet): Promise<void> {
    let results: FeedUpdateResult[] = [];
    try {
      results = await feeds.update();
    } catch (err) {
      this.ctx.log('error', `reputation feeds: refresh failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.#report(results);
    // A reload may have replaced the set meanwhile; its own schedule() then runs.
    if (feeds === this.ctx.feeds()) {
      if (results.some((r) => r.status === 'updated')) this.hub.feedsChanged();
      this.schedule();
    }
  }

  #report(results: readonly FeedUpdateResult[]): void {
    for (const r of results) {
      if (r.status === 'failed' || r.status === 'rejected') {
        this.#failures++;
        this.ctx.log('warn', `reputation feed "${r.feed}": ${r.status === 'failed' ? 'refresh failed' : 'new copy rejected'}: ${r.error ?? 'unknown error'}; keeping the last good copy (${r.entries} entries)`);
      } else if (r.status === 'updated') {
        this.#updates++;
        this.ctx.log('info', `reputation feed "${r.feed}" updated: ${r.entries} entries (+${r.added} -${r.removed})${r.error ? `; ${r.error}` : ''}`);
      }
    }
  }

  /** SIGHUP: the daemon loaded a new FeedSet; follow it (the blocking extension re-reads the block=Y entries in its own reload). */
  async reload(): Promise<void> {
    this.schedule();
  }

  statusLines(): string[] {
    const feeds = this.ctx.feeds();
    if (feeds === null || feeds.feeds.length === 0) return [];
    const list = feeds.list();
    const failing = list.filter((f) => f.lastError !== null).map((f) => f.name);
    return [`Feeds: ${list.map((f) => `${f.name} ${f.entries}`).join(', ')}${failing.length > 0 ? `; failing: ${failing.join(', ')}` : ''}`];
  }

  metrics(): MetricSample[] {
    const feeds = this.ctx.feeds();
    if (feeds === null) return [];
    return [
      ...feeds.list().map((f): MetricSample => ({ name: 'tsad_feed_entries', help: 'Entries in each reputation feed in use.', type: 'gauge', value: f.entries, labels: { feed: f.name } })),
      { name: 'tsad_feed_refresh_failures_total', help: 'Feed refreshes that failed or were rejected since start.', type: 'counter', value: this.#failures },
      { name: 'tsad_feed_updates_total', help: 'Feed refreshes that brought a new list since start.', type: 'counter', value: this.#updates },
    ];
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
