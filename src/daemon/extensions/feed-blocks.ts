/**
 * Reputation feeds with block=Y: their entries are blocked before they send
 * a packet. A feed block lasts while the entry stays listed: after each
 * load or refresh the listed entries are blocked in one firewall batch, and
 * feed blocks no longer listed are removed. When a block=Y feed has no copy
 * at all yet (never fetched), its empty list means "unknown", so nothing is
 * removed then. The never-block rules apply as to every block.
 */
import type { BlockManager } from '../../actions/block/index.js';
import { canonicalCidr } from '../../actions/block/cidr.js';
import type { FeedSet } from '../../enrich/index.js';
import type { Logger } from '../hooks.js';

/** The reason recorded on feed blocks; it marks them as the feed's to remove. */
export const FEED_BLOCK_REASON = 'reputation feed (block=Y)';

export interface FeedBlockSync {
  added: number;
  removed: number;
  refused: number;
}

function isFeedBlock(r: { reason: string; manual: boolean }): boolean {
  return !r.manual && r.reason === FEED_BLOCK_REASON;
}

export async function syncFeedBlocks(m: BlockManager, feeds: FeedSet | null, log: Logger): Promise<FeedBlockSync> {
  const blocking = (feeds?.list() ?? []).filter((f) => f.block);
  const listed = new Set<string>();
  for (const e of feeds?.proactiveBlockList() ?? []) listed.add(canonicalCidr(e)?.text ?? e);
  // A permanent block already covers the entry; anything shorter becomes a feed block.
  const wanted = [...listed].filter((c) => m.get(c)?.expiresAt !== null);
  const results = wanted.length === 0 ? [] : await m.blockMany(wanted, { timeoutSec: 0, reason: FEED_BLOCK_REASON });
  const out: FeedBlockSync = { added: 0, removed: 0, refused: 0 };
  for (const r of results) {
    if (!r.ok) out.refused++;
    else if (r.changed) out.added++;
  }
  const complete = blocking.every((f) => f.origin !== 'none');
  if (complete) {
    for (const r of m.records()) {
      if (!isFeedBlock(r) || listed.has(r.cidr)) continue;
      await m.unblock(r.cidr);
      out.removed++;
    }
  }
  if (out.added + out.removed + out.refused > 0) {
    log('notice', `reputation feeds (block=Y): ${out.added} blocked, ${out.removed} no longer listed and unblocked, ${out.refused} refused${complete ? '' : '; some block=Y feeds have no copy yet'}`);
  }
  return out;
}
