/**
 * Glue between fleet decisions and the local blocking code, typed by shape
 * only (src/fleet imports no stage): BlockManager and BlockTransport from
 * src/actions/block fit these interfaces as they are.
 *
 * Incoming: applyFleetDecisions() applies each decision through the
 * manager's ordinary block()/unblock(), so this host's never-block rules,
 * limits and backends decide; a block keeps the fleet's absolute expiry and
 * a reason starting "fleet:" so a later snapshot can tell which local blocks
 * came from the fleet. Outgoing: shareBlocks() wraps the control-socket
 * transport so `tsad block`/`tsad unblock` on this host are shared, and
 * shareAutoBlocks() shares what autoBlock() newly blocked.
 */
import type { ApplyKind, Verdict } from './decision-reader.js';
import type { FleetDecision } from './decision.js';
import type { FleetDecisions } from './decisions.js';

/** Prefix of the reason of every block applied from the fleet. */
export const FLEET_REASON = 'fleet:';

export interface BlockOpts {
  timeoutSec?: number;
  dl?: number;
  reason?: string;
}

type BlockOutcome = { ok: true; cidr: string } | { ok: false; cidr: string; reason: string };

/** What applyFleetDecisions needs of a BlockManager. */
export interface BlockTarget {
  block(cidr: string, opts: BlockOpts): Promise<BlockOutcome>;
  /** Blocks, each with its own options, in one firewall batch; results carry their cidr. Preferred when offered. */
  blockEach?(items: ReadonlyArray<{ cidr: string; opts: BlockOpts }>): Promise<readonly BlockOutcome[]>;
  /** Blocks with the same options in one firewall batch; results carry their cidr. */
  blockMany?(cidrs: readonly string[], opts: BlockOpts): Promise<readonly BlockOutcome[]>;
  unblock(cidr: string): Promise<unknown>;
  records(): ReadonlyArray<{ cidr: string; reason: string }>;
}

/** A block result as BlockManager returns it. */
export type SharedResult = { ok: true; cidr: string; expiresAt: number | null; changed: boolean } | { ok: false };

function fromFleet(reason: string): boolean {
  return reason.startsWith(FLEET_REASON);
}

/**
 * The onDecisions handler: one verdict per decision, in order. For a
 * snapshot (the complete live set), blocks this host holds from the fleet
 * that are no longer in it were lifted while this sensor was away: removed.
 */
export async function applyFleetDecisions(target: BlockTarget, batch: readonly FleetDecision[], kind: ApplyKind, now = Date.now()): Promise<Verdict[]> {
  // One decision per cidr in a batch, so unblocks and blocks do not depend on each other's order.
  const verdicts = new Map<string, Verdict>();
  const groups = new Map<string, { opts: BlockOpts; cidrs: string[] }>();
  for (const d of batch) {
    if (d.op === 'unblock') {
      await target.unblock(d.cidr);
      continue;
    }
    // Blocks decided together share expiry, level and reason: one firewall batch per such group.
    const opts = blockOpts(d, now);
    const key = `${opts.timeoutSec}|${opts.dl}|${opts.reason}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { opts, cidrs: [] }));
    g.cidrs.push(d.cidr);
  }
  for (const r of await blockGroups(target, [...groups.values()])) if (!r.ok) verdicts.set(r.cidr, { accepted: false, reason: r.reason });
  if (kind === 'snapshot') {
    const live = new Set(batch.filter((d) => d.op === 'block').map((d) => d.cidr));
    for (const r of target.records()) if (fromFleet(r.reason) && !live.has(r.cidr)) await target.unblock(r.cidr);
  }
  return batch.map((d) => verdicts.get(d.cidr) ?? { accepted: true });
}

/** One firewall batch for everything (blockEach), else one per group (blockMany), else one per block. */
async function blockGroups(target: BlockTarget, groups: ReadonlyArray<{ opts: BlockOpts; cidrs: string[] }>): Promise<BlockOutcome[]> {
  if (target.blockEach) return [...(await target.blockEach(groups.flatMap((g) => g.cidrs.map((cidr) => ({ cidr, opts: g.opts })))))];
  const out: BlockOutcome[] = [];
  for (const g of groups) out.push(...(target.blockMany ? await target.blockMany(g.cidrs, g.opts) : await Promise.all(g.cidrs.map((c) => target.block(c, g.opts)))));
  return out;
}

/** The fleet's absolute expiry as this host's timeout, and a reason that marks the block as the fleet's. */
function blockOpts(d: FleetDecision, now: number): BlockOpts {
  const timeoutSec = d.expiresAt === null ? 0 : Math.max(1, Math.ceil((d.expiresAt - now) / 1000));
  return { timeoutSec, dl: d.dl ?? undefined, reason: `${FLEET_REASON}${d.by}: ${d.reason || 'shared block'}` };
}

/** Shares the blocks autoBlock() added or extended (not those it kept, refused, or that came from the fleet). */
export function shareAutoBlocks(decisions: FleetDecisions, results: readonly SharedResult[], dlOf: (cidr: string) => number | null, reason = 'auto-block'): void {
  for (const r of results) if (r.ok && r.changed) decisions.block({ cidr: r.cidr, expiresAt: r.expiresAt, dl: dlOf(r.cidr), reason });
}

/** The block commands of the control socket (BlockTransport's shape). */
export interface SharableTransport<R extends SharedResult, L, F> {
  block(req: { target: string; timeoutSec?: number; force?: boolean; reason?: string }): Promise<R>;
  unblock(cidr: string): Promise<{ cidr: string; removed: boolean }>;
  list(): Promise<L>;
  flush(): Promise<F>;
}

/**
 * Wraps the control-socket transport: a manual block that took effect here,
 * and every manual unblock, are shared with the fleet. `tsad flush` stays
 * local (it clears this host's firewall objects; lifting a block fleet-wide
 * is `tsad unblock`).
 */
export function shareBlocks<R extends SharedResult, L, F>(t: SharableTransport<R, L, F>, decisions: FleetDecisions): SharableTransport<R, L, F> {
  return {
    block: async (req) => {
      const r = await t.block(req);
      if (r.ok && r.changed) decisions.block({ cidr: r.cidr, expiresAt: r.expiresAt, dl: null, reason: req.reason ?? 'manual' });
      return r;
    },
    unblock: async (cidr) => {
      const r = await t.unblock(cidr);
      decisions.unblock(r.cidr, 'manual unblock');
      return r;
    },
    list: () => t.list(),
    flush: () => t.flush(),
  };
}
