/**
 * Direct mode for the block commands when no daemon runs: load the saved
 * blocks from STATE_DIR/blocks.json, act on the firewall, save atomically.
 * A firewall command that fails makes the operation fail (the daemon instead
 * retries in the background) and nothing is saved.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config/keys/index.js';
import { writeFileAtomicPieces } from '../../io/atomic-file.js';
import { createBackends, type BackendOverrides } from './backends/index.js';
import { managerTransport, type BlockTransport } from './control.js';
import { BlockManager, type BlockGuard } from './manager.js';
import { NeverBlock } from './never-block.js';
import { policyFromConfig } from './policy.js';
import { backendContext, execRunner } from './runner.js';
import { openBlockLines } from './saved-lines.js';
import type { Logger, Runner } from './types.js';

export const BLOCKS_FILE = 'blocks.json';

export interface DirectOptions extends BackendOverrides {
  config: Config;
  stateDir: string;
  dryRun?: boolean;
  run?: Runner;
  /** Warnings and errors (info is dropped). */
  log?: Logger;
  out?: (text: string) => void;
  resolvConf?: string;
  /** auto_dl danger level 0 entries. */
  dl0?: readonly string[];
  now?: () => number;
}

/**
 * blocks.json for BlockManager.fromJSON: the line layout (version 2) read
 * lazily from its bytes, any other layout (version 1) as parsed JSON;
 * undefined when missing. Throws with the file name when unreadable (shared
 * with the daemon).
 */
export function readSavedBlocks(path: string): unknown {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  const lines = openBlockLines(path, bytes);
  if (lines !== null) return lines;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message}); move it away to start with no blocks`);
  }
}

/** A guard that reads the host facts only when a block is asked for. */
function lazyGuard(o: DirectOptions, run: Runner): BlockGuard & { ready(): Promise<void> } {
  let nb: NeverBlock | undefined;
  return {
    async ready() {
      nb ??= await NeverBlock.discover(o.config, { run, resolvConf: o.resolvConf, dl0: o.dl0 });
    },
    check(cidr, opts) {
      if (!nb) throw new Error('never-block rules not loaded');
      return nb.check(cidr, opts);
    },
  };
}

export async function openDirect(o: DirectOptions): Promise<BlockTransport> {
  const path = join(o.stateDir, BLOCKS_FILE);
  const run = o.run ?? execRunner;
  const errors: string[] = [];
  const log: Logger = (level, msg) => {
    if (level === 'error') errors.push(msg);
    if (level !== 'info') o.log?.(level, msg);
  };
  const ctx = backendContext({ run, dryRun: o.dryRun, out: o.out, log });
  const guard = lazyGuard(o, run);
  const m = BlockManager.fromJSON(readSavedBlocks(path), {
    backends: createBackends(o.config, ctx, o),
    policy: policyFromConfig(o.config),
    guard,
    log,
    now: o.now,
  });
  const inner = managerTransport(m, o.now);

  // A write that fails says what already happened in the firewall: never a silent "blocked".
  const save = async (done: string): Promise<void> => {
    if (o.dryRun) return;
    try {
      await writeFileAtomicPieces(path, m.toLines(), 0o600);
    } catch (err) {
      throw new Error(`${done}, but ${path} could not be written (${(err as Error).message}): tsad has no record of it; free the space and repeat the command`);
    }
  };
  // Runs one operation: restore missing firewall objects first, fail on any backend error, then save.
  const op = async <T>(fn: () => Promise<T>, done: (r: T) => string): Promise<T> => {
    errors.length = 0;
    await m.checkPresent({ quiet: true });
    const result = await fn();
    if (errors.length > 0) throw new Error(errors.join('; '));
    await save(done(result));
    return result;
  };
  return {
    block: async (req) => {
      await guard.ready();
      return op(() => inner.block(req), (r) => (r.ok ? `blocked ${r.cidr} in the firewall` : `${r.cidr} was not blocked`));
    },
    unblock: (cidr) => op(() => inner.unblock(cidr), (r) => (r.removed ? `unblocked ${r.cidr} in the firewall` : `${r.cidr} was not blocked`)),
    list: () => inner.list(),
    flush: async () => {
      errors.length = 0;
      const n = await m.flush();
      await save(`removed ${n} block(s) from the firewall`);
      return n;
    },
  };
}
