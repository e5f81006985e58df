/**
 * `tsad block ADDR[/LEN] [--timeout S] [--force]`, `tsad unblock ADDR`,
 * `tsad blocks [--json]`, `tsad flush`.
 *
 * Each command is a function of its arguments and a BlockTransport: the
 * running daemon's control socket when it owns the blocks (automatic
 * blocking on), else direct (firewall + STATE_DIR/blocks.json), with the
 * same output and exit codes either way.
 */
import { Option, type Command } from 'commander';
import type { Config } from '../../config/keys/index.js';
import { loadConfig } from '../../config/load.js';
import { canonicalCidr } from '../../actions/block/cidr.js';
import type { BlockTransport, BlockView } from '../../actions/block/control.js';
import { openDirect } from '../../actions/block/direct.js';
import { DaemonNotRunning, socketBlockTransport } from '../../daemon/control-client.js';
import { trustOf } from '../../daemon/socket-trust.js';
import { UsageError } from '../usage-error.js';

export interface BlockCliOptions {
  config?: string;
  /** Default: STATE_DIR. */
  stateDir?: string;
  /** Default: CONTROL_SOCKET. */
  socket?: string;
  dryRun?: boolean;
}

export type TransportFactory = (opts: BlockCliOptions) => Promise<BlockTransport>;
type Out = (text: string) => void;

const stdout: Out = (t) => void process.stdout.write(t);

function openDirectWith(config: Config, opts: BlockCliOptions): Promise<BlockTransport> {
  return openDirect({
    config,
    stateDir: opts.stateDir ?? config.STATE_DIR,
    dryRun: opts.dryRun,
    log: (level, msg) => void process.stderr.write(`tsad: ${level === 'warn' ? 'warning: ' : ''}${msg}\n`),
  });
}

/** Direct mode: the firewall and blocks.json, with warnings on stderr. */
export const directTransport: TransportFactory = (opts) => openDirectWith(loadConfig(opts.config), opts);

/** The daemon's error when it runs without automatic blocking (control-handlers.ts). */
const NOT_ENABLED = 'blocking is not enabled';

/**
 * Through the daemon when one answers on the socket and owns the blocks;
 * directly when none runs, or it runs without automatic blocking. --dry-run
 * is always direct: the daemon has no dry-run of single commands.
 */
export const daemonOrDirect: TransportFactory = async (opts) => {
  const config = loadConfig(opts.config);
  if (opts.dryRun === true) return openDirectWith(config, opts);
  const daemon = socketBlockTransport(opts.socket ?? config.CONTROL_SOCKET, trustOf(config));
  const either = async <T>(op: (t: BlockTransport) => Promise<T>): Promise<T> => {
    try {
      return await op(daemon);
    } catch (err) {
      if (!(err instanceof DaemonNotRunning) && (err as Error).message !== NOT_ENABLED) throw err;
    }
    return op(await openDirectWith(config, opts));
  };
  return {
    block: (req) => either((t) => t.block(req)),
    unblock: (cidr) => either((t) => t.unblock(cidr)),
    list: () => either((t) => t.list()),
    flush: () => either((t) => t.flush()),
  };
};

function target(arg: string): string {
  const c = canonicalCidr(arg);
  if (c === null) throw new UsageError(`"${arg}" is not an IPv4/IPv6 address or CIDR (ADDR or ADDR/LEN)`);
  return c.text;
}

function seconds(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,10}$/.test(v)) throw new UsageError(`--timeout expects whole seconds (0 = until removed), got "${v}"`);
  return Number(v);
}

export async function blockCommand(arg: string, o: { timeout?: string; force?: boolean }, t: BlockTransport, out: Out = stdout): Promise<void> {
  const r = await t.block({ target: target(arg), timeoutSec: seconds(o.timeout), force: o.force === true, reason: 'manual' });
  if (!r.ok) {
    const hint = r.code === 'protected' && !o.force ? ' (--force overrides the whitelist, gateway, resolver and SSH protections, never loopback, multicast or own addresses)' : '';
    throw new Error(`not blocking ${r.cidr}: ${r.reason}${hint}`);
  }
  const until = r.expiresAt === null ? 'until removed' : `until ${new Date(r.expiresAt).toISOString()}`;
  out(`blocked ${r.cidr} ${until}${r.coveredBy ? ` (already inside blocked ${r.coveredBy})` : ''}\n`);
}

export async function unblockCommand(arg: string, t: BlockTransport, out: Out = stdout): Promise<void> {
  const r = await t.unblock(target(arg));
  out(r.removed ? `unblocked ${r.cidr}\n` : `${r.cidr} was not blocked by tsad\n`);
}

function left(s: number | null): string {
  if (s === null) return 'permanent';
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d}d${h}h` : h > 0 ? `${h}h${m}m` : m > 0 ? `${m}m${s % 60}s` : `${s}s`;
}

/** Plain aligned columns (no table library outside the report stage). */
export function formatBlocks(views: readonly BlockView[]): string {
  if (views.length === 0) return 'no blocks\n';
  const rows = [['BLOCK', 'LEFT', 'EXPIRES', 'DL', 'REASON']];
  for (const v of views) {
    const why = `${v.manual ? 'manual' : v.reason}${v.coveredBy ? ` (inside ${v.coveredBy})` : ''}${v.dryRun === true ? ' [dry run: not in the firewall]' : ''}`;
    rows.push([v.cidr, left(v.secondsLeft), v.expiresAt ?? '-', v.dl === null ? '-' : String(v.dl), why]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  return `${rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ')).join('\n')}\n`;
}

export async function blocksCommand(o: { json?: boolean }, t: BlockTransport, out: Out = stdout): Promise<void> {
  const views = await t.list();
  out(o.json ? `${JSON.stringify(views, null, 2)}\n` : formatBlocks(views));
}

export async function flushCommand(t: BlockTransport, out: Out = stdout): Promise<void> {
  const n = await t.flush();
  out(`removed ${n} block(s) and tsad's firewall objects\n`);
}

function common(cmd: Command, changes = true): Command {
  const dryRun = new Option('--dry-run', 'print the firewall commands instead of running them (nothing is saved; never through the daemon)');
  // A listing changes nothing: --dry-run is still accepted there (older scripts), but not offered.
  if (!changes) dryRun.hideHelp();
  return cmd
    .option('-c, --config <file>', 'configuration file (default: built-in defaults)')
    .option('--state-dir <dir>', 'where blocks.json is kept when no daemon runs (default: STATE_DIR)')
    .option('--socket <path>', 'control socket of the running daemon (default: CONTROL_SOCKET)')
    .addOption(dryRun);
}

export function registerBlock(program: Command, open: TransportFactory = daemonOrDirect): void {
  common(program.command('block <addr>'))
    .description('block an address or prefix (ADDR or ADDR/LEN) in the firewall')
    .option('--timeout <seconds>', 'seconds until the block ends; 0 = until removed (default: AUTO_BLOCK_DL5_TIMEOUT, until removed unless set)')
    .option('--force', 'override the whitelist and the gateway, resolver and SSH-peer protections')
    .action(async (addr: string, o: BlockCliOptions & { timeout?: string; force?: boolean }) => {
      target(addr);
      seconds(o.timeout);
      await blockCommand(addr, o, await open(o));
    });
  common(program.command('unblock <addr>'))
    .description('remove a block')
    .action(async (addr: string, o: BlockCliOptions) => {
      target(addr);
      await unblockCommand(addr, await open(o));
    });
  common(program.command('blocks'), false)
    .description('list the blocks in force with the time left (blocks a dry-run daemon decided are marked "dry run")')
    .option('--json', 'JSON output')
    .action(async (o: BlockCliOptions & { json?: boolean }) => blocksCommand(o, await open(o)));
  common(program.command('flush'))
    .description('remove every block and the firewall objects tsad created')
    .action(async (o: BlockCliOptions) => flushCommand(await open(o)));
}
