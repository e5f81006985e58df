/**
 * Public entry of the blocking stage. The daemon builds one manager with
 * createBlockManager(), calls reconcile() once, start() for the periodic
 * work, autoBlock() after each detection batch, and saves toJSON() with its
 * state (onChange says when).
 */
import type { Config } from '../../config/keys/index.js';
import { createBackends } from './backends/index.js';
import { BlockManager } from './manager.js';
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

/** A manager wired from the configuration: backends, policy, never-block rules and check interval. */
export async function createBlockManager(cfg: Config, o: CreateOptions = {}): Promise<BlockManager> {
  const ctx = backendContext({ run: o.run, log: o.log, dryRun: o.dryRun, out: o.out });
  const guard = await NeverBlock.discover(cfg, { run: o.run, resolvConf: o.resolvConf, dl0: o.dl0, ignored: o.ignored });
  if (o.watchHost === true) guard.watch(o.log);
  return BlockManager.fromJSON(o.saved, {
    backends: createBackends(cfg, ctx),
    policy: policyFromConfig(cfg),
    guard,
    log: o.log,
    now: o.now,
    onChange: o.onChange,
    checkIntervalSec: cfg.BLOCK_CHECK_INTERVAL,
  });
}
