/**
 * STATE_DIR/blocks.json while the daemon owns the blocks. It is the file
 * `tsad block` uses in direct mode (no daemon), so either side finds the
 * other's blocks. The daemon also keeps its blocks in state.json; at start,
 * and for `tsad status` while it is down, the newer copy (by savedAt) wins,
 * so a direct `tsad unblock` made while the daemon was stopped holds.
 */
import { join } from 'node:path';
import { BLOCKS_FILE, BlockManager, managerTransport, policyFromConfig, readSavedBlocks, type BlockView } from '../../actions/block/index.js';
import type { Config } from '../../config/keys/index.js';
import { writeFileAtomic } from '../../io/atomic-file.js';
import type { Logger } from '../hooks.js';
import { RetryingSave } from '../retrying-save.js';
import { readState } from '../state-file.js';

/** The name the blocking extension saves its state under in state.json. */
export const BLOCKING_STATE = 'blocking';

export function blocksFilePath(stateDir: string): string {
  return join(stateDir, BLOCKS_FILE);
}

function savedAt(v: unknown): number {
  if (typeof v !== 'object' || v === null) return Number.NEGATIVE_INFINITY;
  const t = Date.parse(String((v as { savedAt?: unknown }).savedAt));
  return Number.isFinite(t) ? t : Number.NEGATIVE_INFINITY;
}

/** blocks.json as parsed JSON; undefined when missing. Throws with the file name when unreadable. */
export function readBlocksFile(stateDir: string): unknown {
  return readSavedBlocks(blocksFilePath(stateDir));
}

/** The newer of the state.json copy and blocks.json (BlockManager.toJSON() form), or undefined when there is neither. */
export function newestBlocks(fromState: unknown, stateDir: string): unknown {
  const file = readBlocksFile(stateDir);
  if (file === undefined) return fromState;
  if (fromState === undefined || fromState === null) return file;
  return savedAt(file) >= savedAt(fromState) ? file : fromState;
}

/**
 * `tsad status` while the daemon is down: the recorded blocks with their
 * time left (read-only, no firewall command). null when nothing was ever
 * recorded and automatic blocking is off ("blocking is not enabled").
 */
export async function offlineBlocks(o: { cfg: Config; stateDir: string }): Promise<BlockView[] | null> {
  const read = readState(o.stateDir);
  const data = newestBlocks(read.state?.extensions?.[BLOCKING_STATE], o.stateDir);
  if (data === undefined && !o.cfg.ENABLE_AUTO_IDS) return null;
  const m = BlockManager.fromJSON(data, { backends: [], policy: policyFromConfig(o.cfg), guard: { check: () => null } });
  return managerTransport(m).list();
}

/**
 * Writes blocks.json (soon() within a second of a change, changes in
 * between coalescing; save() at once), reporting and retrying failures.
 */
export function blocksFileWriter(path: string, data: () => unknown, log: Logger): RetryingSave<string> {
  return new RetryingSave({ what: path, take: () => `${JSON.stringify(data(), null, 1)}\n`, write: (text) => writeFileAtomic(path, text, 0o600), log });
}
