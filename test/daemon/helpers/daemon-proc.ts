/**
 * Runs the built CLI's daemon as a separate process, the way systemd does,
 * and talks to it over its control socket. Until the lead registers the
 * daemon commands in dist/cli/main.js, the commands are run through
 * helpers/harness.mjs (same modules from dist/, same exit codes).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { CLI, ROOT, runCli, type CliResult } from '../../helpers/run-cli.js';
import { controlRequest } from '../../../src/daemon/control-client.js';
import type { ControlResponse } from '../../../src/daemon/control-protocol.js';
import { waitFor } from '../../helpers/wait.js';

/** The built CLI (dist/cli/main.js): the tests always run the real program. */
export function cliScript(): string {
  return CLI;
}

export function runTsad(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return runCli(args, opts);
}

export interface DaemonProc {
  proc: ChildProcess;
  socket: string;
  /** Everything the daemon logged so far. */
  log(): string;
  exited: Promise<number | null>;
  request(cmd: Parameters<typeof controlRequest>[1], args?: Record<string, unknown>): Promise<ControlResponse>;
  /** SIGTERM and wait; returns the exit code. */
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

export interface StartOptions {
  stdin?: 'pipe' | 'ignore';
  env?: NodeJS.ProcessEnv;
  ns?: string;
  /** The program and its leading arguments instead of the built CLI (an installed tsad, perhaps behind env -i); runs in `cwd`. */
  command?: string[];
  cwd?: string;
}

/**
 * Starts `tsad daemon ARGS --socket SOCKET` (inside network namespace `ns` when given) and waits
 * until it has started: its socket answers and it logged "started" (after its extensions).
 */
export async function startDaemon(args: string[], socket: string, opts: StartOptions = {}): Promise<DaemonProc> {
  const argv = [...(opts.command ?? [process.execPath, cliScript()]), 'daemon', ...args, '--socket', socket];
  const [cmd, ...cmdArgs] = opts.ns === undefined ? argv : ['ip', 'netns', 'exec', opts.ns, ...argv];
  const proc = spawn(cmd as string, cmdArgs, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: [opts.stdin ?? 'ignore', 'ignore', 'pipe'] });
  // Writing to a daemon that exited fails with EPIPE; the test sees its exit code instead.
  proc.stdin?.on('error', () => undefined);
  let log = '';
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  // Idle timeout 0: no clock limit of the test's own on an answer (a daemon that exits closes the socket).
  const request: DaemonProc['request'] = (c, a = {}) => controlRequest(socket, c, a, 0);
  // The socket answers while extensions are still being set up; "started" comes after them.
  await waitFor('the daemon to start (its "started" line and a status answer)', async () => / tsad: started: /.test(log) && (await request('status').catch(() => null))?.ok === true, { every: 50, watch: { exited, log: () => log } });
  return {
    proc,
    socket,
    log: () => log,
    exited,
    request,
    stop: async () => {
      if (!gone) proc.kill('SIGTERM');
      return exited;
    },
    kill9: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** Kills a daemon that a failed test left running. */
export async function killDaemon(d: DaemonProc | null): Promise<void> {
  if (d === null || d.proc.exitCode !== null || d.proc.signalCode !== null) return;
  d.proc.kill('SIGKILL');
  await d.exited;
}

/**
 * Polls the daemon's status until `cond` holds on its report (no clock limit:
 * vitest's test timeout ends a hang; a daemon that exits fails it at once).
 */
export async function waitStatus(d: DaemonProc, cond: (r: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  let error = '';
  const what = (): string => `a status condition; last summary ${JSON.stringify((last.report as { summary?: unknown } | undefined)?.summary ?? null)}${error ? `; last error: ${error}` : ''}`;
  return waitFor(what, async () => {
    const r = await d.request('status');
    if (!r.ok) {
      error = r.error;
      return null;
    }
    last = r;
    return cond(r) ? r : null;
  }, { every: 50, watch: d });
}

/**
 * Waits until the daemon's journald source follows: it took the newest
 * record's cursor and runs `journalctl -f --after-cursor`, so every record
 * appended from now on is read (one appended before could fall behind that cursor).
 */
export function journalFollowed(d: DaemonProc): Promise<true> {
  return waitFor('the daemon\'s journalctl -f --after-cursor', () => spawnSync('pgrep', ['-P', String(d.proc.pid), '-f', 'journalctl .*--after-cursor']).status === 0, { every: 50, watch: d });
}

export interface Summary {
  lines: number;
  firewallLines: number;
  skipped: Record<string, number>;
  sources: number;
}

export function summaryOf(r: Record<string, unknown>): Summary {
  return (r.report as { summary: Summary }).summary;
}
