/**
 * `tsad status`: psad -S done right. Asks the running daemon over its
 * control socket; when none answers, rebuilds the report from the state the
 * daemon saved (and says so on the first line). Text in psad's sections,
 * IPv6 included, or the JSON report contract with `daemon` and `blocks`
 * added. Read-only: it never changes the firewall. With --fleet, the fleet
 * mode part (sensors, fleet-level sources, shared blocks) is read from Redis
 * and added: a text section, or `fleet` in the JSON.
 */
import { listedLevel } from '../../daemon/status-view.js';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { BlockView } from '../../actions/block/control.js';
import type { Config } from '../../config/keys/index.js';
import { loadConfig } from '../../config/load.js';
import { fleetStatus, renderFleetStatus, type FleetStatusReport } from '../../fleet/index.js';
import { parseCidr } from '../../net/address.js';
import { renderText, topLimits } from '../../report/index.js';
import { call, DaemonNotRunning } from '../../daemon/control-client.js';
import { trustOf } from '../../daemon/socket-trust.js';
import { savedStatus } from '../../daemon/saved-status.js';
import { blocksSection, statusHeader, type StatusPayload } from '../../daemon/status-view.js';
import { parseIntOption } from '../option-parsers.js';
import { UsageError } from '../usage-error.js';
import { VERSION } from '../version.js';

export interface StatusCommandDeps {
  /** The blocks recorded on disk, for the status of a stopped daemon (read-only; null: blocking not enabled). */
  offlineBlocks?: (o: { cfg: Config; stateDir: string }) => Promise<BlockView[] | null>;
}

export interface StatusOpts {
  config?: string;
  json?: boolean;
  ip?: string;
  minDl?: number;
  top?: number;
  socket?: string;
  stateDir?: string;
  fleet?: boolean;
}

/** Fleet-level sources listed by --fleet without --top. */
const FLEET_TOP = 25;

/** The running daemon's status over its socket, else the one rebuilt from its saved state. */
export async function fetchStatus(cfg: Config, o: StatusOpts, deps: StatusCommandDeps): Promise<StatusPayload> {
  const socket = o.socket ?? cfg.CONTROL_SOCKET;
  const args = { ip: o.ip, minDl: o.minDl };
  try {
    return (await call(socket, 'status', args, trustOf(cfg))) as unknown as StatusPayload;
  } catch (err) {
    if (!(err instanceof DaemonNotRunning)) throw err;
  }
  const stateDir = o.stateDir ?? cfg.STATE_DIR;
  const offline = deps.offlineBlocks;
  const saved = await savedStatus({ cfg, stateDir, version: VERSION, ...args, blocks: offline ? () => offline({ cfg, stateDir }) : undefined });
  if (saved === null) throw new Error(`no tsad daemon answers on ${socket} and there is no saved state in ${stateDir}`);
  return saved;
}

/** The JSON report with `daemon` and `blocks` added (`status --json`, `report --json`), and `fleet` with --fleet. */
export function statusJson(st: StatusPayload, fleet?: FleetStatusReport): string {
  return `${JSON.stringify({ ...st.report, daemon: st.daemon, blocks: st.blocks, ...(fleet === undefined ? {} : { fleet }) }, null, 2)}\n`;
}

/** --fleet: the fleet's status from Redis (whether or not the local daemon runs). */
async function fetchFleet(cfg: Config, o: StatusOpts): Promise<FleetStatusReport | undefined> {
  if (o.fleet !== true) return undefined;
  if (cfg.FLEET_REDIS_URL === '') throw new UsageError('--fleet: fleet mode is off: set FLEET_REDIS_URL in the configuration');
  return fleetStatus(cfg, { top: o.top ?? FLEET_TOP });
}

/** The text status: psad's sections under the daemon header, with the blocked addresses. */
export function statusText(st: StatusPayload, cfg: Config, o: { top?: number; minDl?: number; ip?: string; color: boolean }): string {
  return renderText(st.report, {
    mode: 'status',
    top: topLimits(cfg, o.top),
    minDl: listedLevel(o, cfg.MIN_DANGER_LEVEL),
    statusHeader: statusHeader(st.daemon),
    blocksSection: blocksSection(st.blocks),
    blocking: { enabled: cfg.ENABLE_AUTO_IDS, level: cfg.AUTO_IDS_DANGER_LEVEL, dryRun: st.daemon.dryRun },
    color: o.color,
  });
}

export function registerStatus(program: Command, deps: StatusCommandDeps = {}): void {
  program
    .command('status')
    .description('show the running daemon\'s scan status (or its saved state when it is not running)')
    .option('-c, --config <file>', 'configuration file (default: built-in defaults)')
    .option('--json', 'print the JSON report (with "daemon" and "blocks" added)')
    .option('--ip <addr>', 'show only this source, a network (ADDR/LEN), or the prefix containing it')
    .addOption(new Option('--min-dl <n>', 'only sources at or above this danger level').argParser(parseIntOption(0, 5)))
    .addOption(new Option('--top <n>', 'entries in each top-N section').argParser(parseIntOption(1, 100000)))
    .option('--socket <path>', 'control socket (default: CONTROL_SOCKET)')
    .option('--state-dir <dir>', 'saved state used when the daemon is not running (default: STATE_DIR)')
    .option('--fleet', 'add fleet mode: sensors (last seen, lag), fleet-level sources and shared blocks, read from Redis')
    .action(async (opts: StatusOpts) => {
      if (opts.ip !== undefined && parseCidr(opts.ip) === null) throw new UsageError(`--ip: "${opts.ip}" is not an IPv4/IPv6 address or network`);
      const cfg = loadConfig(opts.config);
      const [st, fleet] = await Promise.all([fetchStatus(cfg, opts, deps), fetchFleet(cfg, opts)]);
      const out = process.stdout;
      if (opts.json) out.write(statusJson(st, fleet));
      else out.write(statusText(st, cfg, { ...opts, color: out.isTTY === true }) + (fleet === undefined ? '' : `\n${renderFleetStatus(fleet, opts.top ?? FLEET_TOP)}`));
    });
}
