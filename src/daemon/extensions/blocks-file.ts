/**
 * STATE_DIR/blocks.json while the daemon owns the blocks. It is the file
 * `tsad block` uses in direct mode (no daemon), so either side finds the
 * other's blocks. The daemon also keeps its blocks in state.json; at start,
 * and for `tsad status` while it is down, the newer copy (by savedAt) wins,
 * so a direct `tsad unblock` made while the daemon was stopped holds.
 */
import { join } from 'node:path';
import { backendContext, BLOCKS_FILE, BlockManager, createBackends, managerTransport, policyFromConfig, readSavedBlocks, type BlockStateJson, type BlockView, type LiveBlock } from '../../actions/block/index.js';
import { canonicalCidr } from '../../actions/block/cidr.js';
import { BlockLines } from '../../actions/block/saved-lines.js';
import type { Config } from '../../config/keys/index.js';
import { writeFileAtomicPieces } from '../../io/atomic-file.js';
import type { Logger } from '../hooks.js';
import { RetryingSave } from '../retrying-save.js';
import { openState, setAside } from '../state-file.js';

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

/** The state.json copy (BlockManager.toJSON(), version 1). */
function isBlockState(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as { version?: unknown }).version === 1 && Array.isArray((v as { blocks?: unknown }).blocks);
}

/** blocks.json as readSavedBlocks gives it: the line layout, or a whole document of version 1 or 2. */
function isBlocksFile(v: unknown): boolean {
  return v instanceof BlockLines || isBlockState(v) || (typeof v === 'object' && v !== null && (v as { version?: unknown }).version === 2 && Array.isArray((v as { blocks?: unknown }).blocks));
}

/** blocks.json for BlockManager.fromJSON; undefined when missing. Throws with the file name when unreadable or not a block list. */
export function readBlocksFile(stateDir: string): unknown {
  const path = blocksFilePath(stateDir);
  const v = readSavedBlocks(path);
  if (v !== undefined && !isBlocksFile(v)) throw new Error(`${path}: not a list of blocks (version 1 or 2)`);
  return v;
}

/**
 * Blocks kept in state.json as well (a copy to rebuild from when blocks.json
 * is lost). Above this many, state.json keeps only a note that they are in
 * blocks.json: a million blocks would cost every state save seconds of the
 * event loop, and every start a second parse of them; the firewall's own
 * sets are then what a lost blocks.json is rebuilt from.
 */
export const STATE_COPY_MAX = 10_000;

/** The state.json entry: the blocks (toJSON() form) up to STATE_COPY_MAX, else a note without them. */
export function stateCopy(m: BlockManager, now: number): unknown {
  if (m.size <= STATE_COPY_MAX) return m.toJSON();
  return { version: 1, savedAt: new Date(now).toISOString(), blocks: [], offenders: [], onlyInBlocksFile: m.size };
}

/** A state.json entry that holds no copy (stateCopy above STATE_COPY_MAX). */
export function copyNotKept(fromState: unknown): boolean {
  return typeof fromState === 'object' && fromState !== null && typeof (fromState as { onlyInBlocksFile?: unknown }).onlyInBlocksFile === 'number';
}

/** The newer of the state.json copy and blocks.json (BlockManager.toJSON() form), or undefined when there is neither. */
export function newestBlocks(fromState: unknown, file: unknown): unknown {
  if (copyNotKept(fromState)) return file;
  if (file === undefined) return fromState;
  if (fromState === undefined || fromState === null) return file;
  return savedAt(file) >= savedAt(fromState) ? file : fromState;
}

/** What the daemon found when blocks.json could not be read at start. */
export interface BlocksFileProblem {
  problem: string;
  /** Where the file was moved (null: it could not be moved). */
  aside: string | null;
}

/** blocks.json for the daemon: an unreadable one is moved aside (as state.json is) instead of stopping the start. */
export function readBlocksFileOrSetAside(stateDir: string, log: Logger): { data: unknown; problem: BlocksFileProblem | null } {
  try {
    return { data: readBlocksFile(stateDir), problem: null };
  } catch (err) {
    const problem = (err as Error).message;
    let aside: string | null = null;
    try {
      aside = setAside(blocksFilePath(stateDir));
    } catch (e) {
      log('error', `cannot move ${blocksFilePath(stateDir)} aside: ${(e as Error).message}`);
    }
    return { data: undefined, problem: { problem, aside } };
  }
}

/** What the configured backends hold now (for rebuilding lost records); a backend that cannot list adds nothing. */
export async function firewallBlocks(cfg: Config, log: Logger): Promise<LiveBlock[]> {
  const out: LiveBlock[] = [];
  for (const b of createBackends(cfg, backendContext({ log }))) {
    try {
      out.push(...(await b.list()));
    } catch (err) {
      log('warn', `${b.name}: cannot list its blocks: ${(err as Error).message}`);
    }
  }
  return out;
}

/** `saved` (BlockManager.toJSON() form, or nothing) plus the live blocks it lacks, as records. */
export function withFirewallBlocks(saved: unknown, live: readonly LiveBlock[], now: number): { data: BlockStateJson; added: number } {
  const base: BlockStateJson = isBlockState(saved) ? (saved as BlockStateJson) : { version: 1, savedAt: new Date(now).toISOString(), blocks: [], offenders: [] };
  const known = new Set(base.blocks.map((b) => canonicalCidr(b.cidr)?.text ?? b.cidr));
  const blocks = [...base.blocks];
  for (const l of live) {
    const c = canonicalCidr(l.cidr)?.text;
    if (c === undefined || known.has(c)) continue;
    known.add(c);
    const expiresAt = l.expiresInSec === null ? null : new Date(now + l.expiresInSec * 1000).toISOString();
    blocks.push({ cidr: c, createdAt: new Date(now).toISOString(), expiresAt, reason: 'recovered from the firewall (blocks.json was unreadable)', dl: null, manual: false });
  }
  return { data: { ...base, blocks }, added: blocks.length - base.blocks.length };
}

/**
 * `tsad status` while the daemon is down: the recorded blocks with their
 * time left (read-only, no firewall command). null when nothing was ever
 * recorded and automatic blocking is off ("blocking is not enabled").
 */
export async function offlineBlocks(o: { cfg: Config; stateDir: string }): Promise<BlockView[] | null> {
  const read = openState(o.stateDir); // the blocks only: the sources are not read
  let file: unknown;
  try {
    file = readBlocksFile(o.stateDir);
  } catch {
    file = undefined; // the daemon moves it aside at its next start; the state.json copy still tells
  }
  const data = newestBlocks(read.state?.extensions?.[BLOCKING_STATE], file);
  if (data === undefined && !o.cfg.ENABLE_AUTO_IDS) return null;
  const m = BlockManager.fromJSON(data, { backends: [], policy: policyFromConfig(o.cfg), guard: { check: () => null } });
  return managerTransport(m).list();
}

/**
 * Writes blocks.json (soon() within a second of a change, changes in
 * between coalescing; save() at once), reporting and retrying failures.
 * The snapshot is the records in force when the write starts; its lines
 * are made a slice at a time as the write goes on.
 */
export function blocksFileWriter(path: string, lines: () => (() => string | null) | null, log: Logger): RetryingSave<(() => string | null) | null> {
  return new RetryingSave({ what: path, take: lines, write: async (next) => (next === null ? undefined : writeFileAtomicPieces(path, next, 0o600)), log });
}
