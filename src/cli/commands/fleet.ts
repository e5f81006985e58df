/**
 * Fleet status for `tsad status --fleet` (the status command calls
 * fleetStatusSection) and, standalone, `tsad fleet status`. Both read Redis
 * directly, so they work whether or not the local daemon runs.
 */
import type { Command } from 'commander';
import type { Config } from '../../config/keys/index.js';
import { loadConfig } from '../../config/load.js';
import { fleetStatus, renderFleetStatus, type FleetStatusReport } from '../../fleet/index.js';
import { parseIntOption } from '../option-parsers.js';
import { UsageError } from '../usage-error.js';

export type { FleetStatusReport };

export interface FleetSectionOptions {
  json?: boolean;
  /** Fleet-level sources listed (default 25). */
  top?: number;
}

/** The fleet part of a status report: psad-style text, or pretty JSON of FleetStatusReport. Throws when fleet mode is off or Redis is unreachable. */
export async function fleetStatusSection(cfg: Config, opts: FleetSectionOptions = {}): Promise<string> {
  if (cfg.FLEET_REDIS_URL === '') throw new UsageError('fleet mode is off: set FLEET_REDIS_URL in the configuration');
  const top = opts.top ?? 25;
  const report = await fleetStatus(cfg, { top });
  return opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderFleetStatus(report, top);
}

export function registerFleet(program: Command): void {
  const cmd = program.command('fleet').description('fleet mode: sensors sharing evidence and blocks through Redis');
  cmd
    .command('status')
    .description('sensors (last seen, lag), fleet-level sources and shared blocks, read from Redis')
    .option('-c, --config <file>', 'configuration file (default: built-in defaults)')
    .option('--json', 'JSON instead of text')
    .option('--top <n>', 'fleet-level sources to list', parseIntOption(1, 10_000), 25)
    .action(async (opts: { config?: string; json?: boolean; top: number }) => {
      process.stdout.write(await fleetStatusSection(loadConfig(opts.config), { json: opts.json, top: opts.top }));
    });
}
