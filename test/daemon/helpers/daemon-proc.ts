/**
 * Runs the built CLI's daemon as a separate process, the way systemd does,
 * and talks to it over its control socket. Until the lead registers the
 * daemon commands in dist/cli/main.js, the commands are run through
 * helpers/harness.mjs (same modules from dist/, same exit codes).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, ROOT, runCli, type CliResult } from '../../helpers/run-cli.js';
import { controlRequest } from '../../../src/daemon/control-client.js';
import type { ControlResponse } from '../../../src/daemon/control-protocol.js';

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

async function waitFor(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
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
  const request: DaemonProc['request'] = (c, a = {}) => controlRequest(socket, c, a, 20_000);
  await waitFor(async () => {
    if (gone) throw new Error(`daemon exited during start: ${log}`);
    // The socket answers while extensions are still being set up; "started" comes after them.
    if (!/ tsad: started: /.test(log)) return false;
    try {
      return (await request('status')).ok;
    } catch {
      return false;
    }
  }, 20_000, `the daemon socket (${log})`);
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

/** Polls the daemon's status until `cond` holds on its report. */
export async function waitStatus(d: DaemonProc, cond: (r: Record<string, unknown>) => boolean, ms = 20_000): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> = {};
  let error = '';
  try {
    await waitFor(async () => {
      const r = await d.request('status');
      if (!r.ok) {
        error = r.error;
        return false;
      }
      last = r;
      return cond(r);
    }, ms, 'a status condition');
  } catch (err) {
    const summary = (last.report as { summary?: unknown } | undefined)?.summary ?? null;
    throw new Error(`${(err as Error).message}; last summary ${JSON.stringify(summary)}${error ? `; last error: ${error}` : ''}; daemon log:\n${d.log().slice(-2000)}`);
  }
  return last;
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
