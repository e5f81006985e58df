/**
 * The block operations the CLI offers (`tsad block|unblock|blocks|flush`),
 * as one interface with two carriers: directly on the firewall (direct.ts,
 * no daemon) and, later, the daemon's control socket, whose server side can
 * wrap its BlockManager with managerTransport().
 */
import type { BlockManager, BlockResult } from './manager.js';
import type { BlockRecord } from './records.js';
import type { Family } from './types.js';

export interface BlockView {
  cidr: string;
  family: Family;
  createdAt: string;
  /** ISO 8601 UTC; null = until removed. */
  expiresAt: string | null;
  /** Whole seconds left; null = until removed. */
  secondsLeft: number | null;
  reason: string;
  dl: number | null;
  manual: boolean;
  /** A blocked prefix containing this block, which the firewall carries instead. */
  coveredBy: string | null;
  /** Decided by a daemon under --dry-run: recorded, never put in the firewall. */
  dryRun?: boolean;
}

export interface BlockRequest {
  target: string;
  timeoutSec?: number;
  force?: boolean;
  reason?: string;
}

export interface BlockTransport {
  block(req: BlockRequest): Promise<BlockResult>;
  unblock(cidr: string): Promise<{ cidr: string; removed: boolean }>;
  list(): Promise<BlockView[]>;
  flush(): Promise<number>;
}

export function viewsOf(records: readonly BlockRecord[], now: number): BlockView[] {
  const out: BlockView[] = [];
  for (const r of records) {
    if (r.expiresAt !== null && r.expiresAt <= now) continue;
    out.push({
      cidr: r.cidr,
      family: r.family,
      createdAt: new Date(r.createdAt).toISOString(),
      expiresAt: r.expiresAt === null ? null : new Date(r.expiresAt).toISOString(),
      secondsLeft: r.expiresAt === null ? null : Math.ceil((r.expiresAt - now) / 1000),
      reason: r.reason,
      dl: r.dl,
      manual: r.manual,
      coveredBy: r.coveredBy,
    });
  }
  return out;
}

/** The operations on a live manager (what the daemon's socket handler calls). */
export function managerTransport(m: BlockManager, now: () => number = Date.now): BlockTransport {
  return {
    block: (req) => m.block(req.target, { timeoutSec: req.timeoutSec, force: req.force, manual: true, reason: req.reason ?? 'manual' }),
    unblock: (cidr) => m.unblock(cidr),
    list: async () => viewsOf(m.records(), now()),
    flush: () => m.flush(),
  };
}
