/** Shared test helpers: configs from psad-syntax text, a collecting logger, managers wired to a namespace. */
import type { Config } from '../../src/config/keys/index.js';
import { buildConfig, parseConfigText } from '../../src/config/load.js';
import { createBackends } from '../../src/actions/block/backends/index.js';
import { BlockManager, type BlockGuard, type BlockManagerOptions } from '../../src/actions/block/manager.js';
import { NeverBlock } from '../../src/actions/block/never-block.js';
import { policyFromConfig } from '../../src/actions/block/policy.js';
import { backendContext } from '../../src/actions/block/runner.js';
import type { Logger, LogLevel, Runner } from '../../src/actions/block/types.js';

/** A Config from `KEY value` pairs (everything else at its default). */
export function cfg(values: Record<string, string> = {}): Config {
  const text = Object.entries(values).map(([k, v]) => `${k} ${v};`).join('\n');
  return buildConfig(parseConfigText(text, 'test.conf'), 'test.conf');
}

export interface LogLine {
  level: LogLevel;
  msg: string;
}

export function collectLog(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  return { lines, log: (level, msg) => void lines.push({ level, msg }) };
}

/** A guard that protects nothing (for unit tests of the manager). */
export const openGuard: BlockGuard = { check: () => null };

export interface NsManager {
  manager: BlockManager;
  guard: NeverBlock;
  lines: LogLine[];
  out: string[];
}

/** A BlockManager on the real backends of `config`, every command run through `run`. */
export async function nsManager(config: Config, run: Runner, extra: Partial<BlockManagerOptions> & { dryRun?: boolean; xtRecentDir?: string; resolvConf?: string } = {}): Promise<NsManager> {
  const { log, lines } = collectLog();
  const out: string[] = [];
  const ctx = backendContext({ run, log, dryRun: extra.dryRun ?? false, out: (t) => void out.push(t) });
  const guard = await NeverBlock.discover(config, { run, resolvConf: extra.resolvConf ?? '/dev/null' });
  const manager = new BlockManager({
    backends: createBackends(config, ctx, { xtRecentDir: extra.xtRecentDir }),
    policy: policyFromConfig(config),
    guard,
    log,
    ...extra,
  });
  return { manager, guard, lines, out };
}
