/**
 * Public entry of the blocking stage. The daemon builds one manager with
 * restoreBlockManager() (the firewall loaded as the saved blocks are read), start() for the periodic
 * work, autoBlock() after each detection batch, and saves toJSON() with its
 * state (onChange says when).
 */
import type { Config } from '../../config/keys/index.js';
import { createBackends } from './backends/index.js';
import { BlockManager, type BlockManagerOptions } from './manager.js';
import { NeverBlock, type NeverBlockOptions } from './never-block.js';
import { policyFromConfig } from './policy.js';
import { backendContext } from './runner.js';
import type { Logger, Runner } from './types.js';

export { BlockManager, type BlockGuard, type BlockManagerOptions, type BlockOptions, type BlockResult } from './manager.js';
export { NeverBlock, type NeverBlockOptions, type CheckOptions } from './never-block.js';
export { decideBlock, escalatedTimeout, policyFromConfig, type BlockCandidate, type BlockDecision, type BlockPolicy, type BlockSnapshot, type SkipCode } from './policy.js';
export { createBackends, type BackendOverrides } from './backends/index.js';
export { managerTransport, viewsOf, type BlockRequest, type BlockTransport, type BlockView } from './control.js';
export { openDirect, readSavedBlocks, BLOCKS_FILE, type DirectOptions } from './direct.js';
export { execRunner, netnsRunner, CommandError, backendContext } from './runner.js';
export type { BlockRecord } from './records.js';
export type { BlockStateJson } from './state.js';
export type { BackendContext, BlockBackend, BlockEntry, Family, LiveBlock, Logger, Runner } from './types.js';

export interface CreateOptions extends Pick<NeverBlockOptions, 'resolvConf' | 'dl0' | 'ignored'> {
  run?: Runner;
  log?: Logger;
  dryRun?: boolean;
  out?: (text: string) => void;
  /** Saved toJSON() output from the previous run, if any. */
  saved?: unknown;
  onChange?: () => void;
  now?: () => number;
  /** Follow address and route changes at once (`ip monitor`) instead of only re-reading them every few seconds; close() the manager when done. */
  watchHost?: boolean;
}

/** The manager's options wired from the configuration: backends, policy, never-block rules and check interval. */
async function managerOptions(cfg: Config, o: CreateOptions): Promise<BlockManagerOptions> {
  const ctx = backendContext({ run: o.run, log: o.log, dryRun: o.dryRun, out: o.out });
  const guard = await NeverBlock.discover(cfg, { run: o.run, resolvConf: o.resolvConf, dl0: o.dl0, ignored: o.ignored });
  if (o.watchHost === true) guard.watch(o.log);
  return {
    backends: createBackends(cfg, ctx),
    policy: policyFromConfig(cfg),
    guard,
    log: o.log,
    now: o.now,
    onChange: o.onChange,
    checkIntervalSec: cfg.BLOCK_CHECK_INTERVAL,
  };
}

/** A manager wired from the configuration, with the saved blocks restored but the firewall not yet loaded (call reconcile()). */
export async function createBlockManager(cfg: Config, o: CreateOptions = {}): Promise<BlockManager> {
  return BlockManager.fromJSON(o.saved, await managerOptions(cfg, o));
}

/**
 * A daemon start: the manager wired from the configuration, its saved
 * blocks restored and loaded into the firewall as they are read
 * (BlockManager.restore). A backend that failed is reported and retried.
 */
export async function restoreBlockManager(cfg: Config, o: CreateOptions = {}): Promise<BlockManager> {
  return (await BlockManager.restore(o.saved, await managerOptions(cfg, o))).manager;
}
