/**
 * `tsad status` while the daemon is down: the report rebuilt from the last
 * snapshot in STATE_DIR/state.json. Read-only: nothing is written and no
 * firewall command runs (psad's -S removed expired blocks).
 */
import type { BlockView } from '../actions/block/control.js';
import type { Config } from '../config/keys/index.js';
import { buildAnalysis } from '../pipeline/analysis.js';
import { importScan, restorePipelineCounters } from './scan-persistence.js';
import { openState, statePath } from './state-file.js';
import { filterReport, listedLevel, markBlocked, statusReportOptions, type StatusPayload } from './status-view.js';

export interface SavedStatusOptions {
  cfg: Config;
  stateDir: string;
  version: string;
  ip?: string;
  minDl?: number;
  /** Blocks as recorded on disk by the blocking stage (null: not enabled). */
  blocks?: () => Promise<BlockView[] | null>;
}

/** The status from the saved state; null when there is none. Throws when the file is unreadable. */
export async function savedStatus(o: SavedStatusOptions): Promise<StatusPayload | null> {
  const read = openState(o.stateDir);
  if (read.problem !== null) throw new Error(read.problem);
  const s = read.state;
  if (s === null) return null;
  const a = await buildAnalysis({ cfg: o.cfg, signatures: false, dns: false, warn: () => undefined });
  restorePipelineCounters(a.pipeline, s.pipeline);
  const warnings: string[] = [];
  const restored = importScan(a.tracker, a.counters, s, (m) => warnings.push(m), read.sources);
  const report = await a.report(listedLevel(o, o.cfg.MIN_DANGER_LEVEL), statusReportOptions(o.cfg));
  const blocks = o.blocks ? await o.blocks() : null;
  if (blocks !== null) markBlocked(report, blocks);
  return {
    report: filterReport(report, o),
    blocks,
    daemon: {
      running: false,
      pid: null,
      version: o.version,
      startedAt: null,
      savedAt: s.savedAt,
      stateFile: statePath(o.stateDir),
      dryRun: false,
      sources: [],
      scanStateSaved: restored,
      levelChanges: 0,
      warnings,
      notes: [],
    },
  };
}
