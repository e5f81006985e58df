/**
 * The blocking policy as pure code: given a scored source, the config and a
 * snapshot of the current blocks, decide whether to block it and for how
 * long. No I/O here; BlockManager supplies the snapshot and applies the result.
 */
import type { Config } from '../../config/keys/index.js';
import { canonicalCidr } from './cidr.js';
import type { Family } from './types.js';

export interface BlockPolicy {
  enabled: boolean;
  /** AUTO_IDS_DANGER_LEVEL. */
  minDl: number;
  /** Base timeout in seconds for danger levels 1..5 (index 0 = DL1); 0 = until removed. */
  timeouts: readonly [number, number, number, number, number];
  escalationFactor: number;
  /** Cap for escalated timeouts; 0 = an escalated block may become permanent. */
  escalationMaxSec: number;
  offenderMemorySec: number;
  maxPerMinute: number;
  maxTotal: number;
  /** AUTO_BLOCK_REGEX when ENABLE_AUTO_IDS_REGEX is on. */
  prefixRegex: RegExp | null;
}

export function policyFromConfig(cfg: Config): BlockPolicy {
  const base = cfg.AUTO_BLOCK_TIMEOUT;
  const lvl = (v: number | null): number => v ?? base;
  return {
    enabled: cfg.ENABLE_AUTO_IDS,
    minDl: cfg.AUTO_IDS_DANGER_LEVEL,
    timeouts: [lvl(cfg.AUTO_BLOCK_DL1_TIMEOUT), lvl(cfg.AUTO_BLOCK_DL2_TIMEOUT), lvl(cfg.AUTO_BLOCK_DL3_TIMEOUT), lvl(cfg.AUTO_BLOCK_DL4_TIMEOUT), lvl(cfg.AUTO_BLOCK_DL5_TIMEOUT)],
    escalationFactor: cfg.AUTO_BLOCK_ESCALATION_FACTOR,
    escalationMaxSec: cfg.AUTO_BLOCK_ESCALATION_MAX,
    offenderMemorySec: cfg.AUTO_BLOCK_OFFENDER_MEMORY,
    maxPerMinute: cfg.AUTO_BLOCK_MAX_PER_MINUTE,
    maxTotal: cfg.AUTO_BLOCK_MAX_TOTAL,
    prefixRegex: cfg.ENABLE_AUTO_IDS_REGEX ? new RegExp(cfg.AUTO_BLOCK_REGEX) : null,
  };
}

/** A source as scored by detection: an address, or a prefix such as an aggregated IPv6 /64. */
export interface BlockCandidate {
  src: string;
  dl: number;
  /** Log prefixes seen for the source (for ENABLE_AUTO_IDS_REGEX). */
  logPrefixes?: readonly string[];
  /** The source failed to log in to sshd: BLOCK_PROTECT_SSH_PEERS does not spare its open connection. */
  sshFailures?: boolean;
}

/** What the manager knows at decision time. */
export interface BlockSnapshot {
  /** Epoch ms. */
  now: number;
  /** Automatic blocks made in the last 60 s. */
  blocksLastMinute: number;
  /** Blocks in force. */
  liveBlocks: number;
  /** Earlier blocks of the same cidr within the offender memory. */
  priorOffenses: number;
  /** The block in force for this cidr, if any (expiresAt null = permanent). */
  current: { expiresAt: number | null } | undefined;
  /** NeverBlock's verdict for the cidr. */
  protectedReason: string | null;
}

export type SkipCode = 'disabled' | 'below-level' | 'regex' | 'invalid' | 'protected' | 'already' | 'rate' | 'total';

export type BlockDecision =
  | { block: true; cidr: string; family: Family; timeoutSec: number; reason: string }
  | { block: false; code: SkipCode; reason: string };

/** Timeout after escalation: base * factor^offenses, capped; 0 (until removed) stays 0. */
export function escalatedTimeout(baseSec: number, offenses: number, p: Pick<BlockPolicy, 'escalationFactor' | 'escalationMaxSec'>): number {
  if (baseSec === 0 || offenses <= 0 || p.escalationFactor <= 1) return baseSec;
  const t = baseSec * p.escalationFactor ** Math.min(offenses, 64);
  if (p.escalationMaxSec === 0) return Number.isFinite(t) && t <= Number.MAX_SAFE_INTEGER / 1000 ? Math.round(t) : 0;
  return Math.min(Math.round(t), p.escalationMaxSec);
}

/** Whether (and for how long) to block a candidate automatically. */
export function decideBlock(c: BlockCandidate, p: BlockPolicy, s: BlockSnapshot): BlockDecision {
  if (!p.enabled) return { block: false, code: 'disabled', reason: 'automatic blocking is off (ENABLE_AUTO_IDS N)' };
  if (c.dl < p.minDl) return { block: false, code: 'below-level', reason: `danger level ${c.dl} is below AUTO_IDS_DANGER_LEVEL ${p.minDl}` };
  const parsed = canonicalCidr(c.src);
  if (parsed === null) return { block: false, code: 'invalid', reason: `"${c.src}" is not an address or CIDR` };
  if (p.prefixRegex !== null && !(c.logPrefixes ?? []).some((x) => (p.prefixRegex as RegExp).test(x))) {
    return { block: false, code: 'regex', reason: 'no log prefix matches AUTO_BLOCK_REGEX' };
  }
  if (s.protectedReason !== null) return { block: false, code: 'protected', reason: s.protectedReason };
  const dl = Math.min(5, Math.max(1, Math.trunc(c.dl)));
  const timeoutSec = escalatedTimeout(p.timeouts[dl - 1] as number, s.priorOffenses, p);
  const expiresAt = timeoutSec === 0 ? null : s.now + timeoutSec * 1000;
  if (s.current !== undefined && (s.current.expiresAt === null || (expiresAt !== null && s.current.expiresAt >= expiresAt))) {
    return { block: false, code: 'already', reason: `${parsed.text} is already blocked` };
  }
  // Extending a block in force is not a new block: the caps do not apply to it.
  if (s.current === undefined) {
    if (p.maxTotal > 0 && s.liveBlocks >= p.maxTotal) return { block: false, code: 'total', reason: `AUTO_BLOCK_MAX_TOTAL (${p.maxTotal}) blocks are in force` };
    if (p.maxPerMinute > 0 && s.blocksLastMinute >= p.maxPerMinute) return { block: false, code: 'rate', reason: `AUTO_BLOCK_MAX_PER_MINUTE (${p.maxPerMinute}) reached` };
  }
  const why = `danger level ${dl}${s.priorOffenses > 0 && timeoutSec !== p.timeouts[dl - 1] ? `, repeat offender (${s.priorOffenses} earlier)` : ''}`;
  return { block: true, cidr: parsed.text, family: parsed.cidr.family, timeoutSec, reason: why };
}
