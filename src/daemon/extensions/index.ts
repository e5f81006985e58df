/**
 * The daemon's standard extensions, in the order they see each level
 * change: feeds (refresh), blocking, fleet (shares blocks and evidence; off
 * without FLEET_REDIS_URL), mail (which waits for the block decision so its
 * alert says "blocked until"). One hub links them.
 */
import type { ExtensionFactory } from '../hooks.js';
import { blockingExtension } from './blocking.js';
import { feedsExtension } from './feeds.js';
import { fleetExtension } from './fleet.js';
import { ExtensionHub } from './hub.js';
import { mailExtension } from './mail.js';

export { offlineBlocks } from './blocks-file.js';

/** Fresh factories for one daemon. */
export function daemonExtensions(): ExtensionFactory[] {
  const hub = new ExtensionHub();
  return [feedsExtension(hub), blockingExtension(hub), fleetExtension(hub), mailExtension(hub)];
}
