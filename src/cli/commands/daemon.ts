/**
 * `tsad daemon`: runs in the foreground (for systemd) until SIGTERM, which
 * saves the state and exits 0. Blocking and alerting plug in as extensions
 * (see src/daemon/hooks.ts); registerDaemon takes their factories.
 */
import type { Command } from 'commander';
import { Daemon } from '../../daemon/daemon.js';
import type { ExtensionFactory } from '../../daemon/hooks.js';
import { SourceSpecError } from '../../daemon/source-spec.js';
import { UsageError } from '../usage-error.js';
import { VERSION } from '../version.js';

export interface DaemonCommandDeps {
  /** Blocking, mail and other consumers of level changes, created at start. */
  extensions?: readonly ExtensionFactory[];
}

interface DaemonOpts {
  source?: string[];
  config?: string;
  stateDir?: string;
  socket?: string;
  dryRun?: boolean;
}

export function registerDaemon(program: Command, deps: DaemonCommandDeps = {}): void {
  program
    .command('daemon')
    .description('follow firewall logs live in the foreground: score each line as it arrives, keep state across restarts, serve the control socket')
    .option('--source <spec>', 'journald, journald:FILE|DIR, kmsg, file:PATH, ulogd:PATH or stdin; repeat for several (default: DAEMON_SOURCES, "auto")', (v: string, prev: string[] | undefined) => [...(prev ?? []), v])
    .option('-c, --config <file>', 'configuration file (default: built-in defaults)')
    .option('--state-dir <dir>', 'state directory (default: STATE_DIR, /var/lib/tsad)')
    .option('--socket <path>', 'control socket (default: CONTROL_SOCKET, /run/tsad/tsad.sock)')
    .option('--dry-run', 'decide blocks but run no firewall command')
    .action(async (opts: DaemonOpts) => {
      let d: Daemon;
      try {
        d = await Daemon.start({
          configPath: opts.config,
          sources: opts.source ?? [],
          stateDir: opts.stateDir,
          socket: opts.socket,
          dryRun: opts.dryRun === true,
          extensions: deps.extensions,
          version: VERSION,
        });
      } catch (err) {
        if (err instanceof SourceSpecError) throw new UsageError(err.message);
        throw err;
      }
      await d.finished;
      // The reason is in the daemon's log (stopped; state NOT saved ...).
      if (d.exitCode !== 0) throw new Error('the daemon stopped without saving its state');
    });
}
