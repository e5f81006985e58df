/**
 * The built CLI (dist/cli/main.js) as a user runs it: `tsad daemon` as a
 * separate process, optionally inside a network namespace, and one-shot
 * commands. Prerequisites: root and the tools; under CI=true a missing one
 * fails instead of skipping.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, runCli, type CliResult } from '../../helpers/run-cli.js';
import { writeTestConfig } from '../../daemon/helpers/config.js';
import { controlRequest } from '../../../src/daemon/control-client.js';
import type { ControlResponse } from '../../../src/daemon/control-protocol.js';

export const IS_CI = process.env.CI === 'true';

/** True when `what` can run here; false (skip) locally, an error under CI=true. */
export function need(what: string, check: () => boolean): boolean {
  let ok = false;
  try {
    ok = check();
  } catch {
    ok = false;
  }
  if (!ok && IS_CI) throw new Error(`CI=true: the end-to-end tests need ${what}`);
  return ok;
}

export function tool(cmd: string, args: string[] = ['--version']): () => boolean {
  return () => {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  };
}

export const isRoot = (): boolean => process.getuid?.() === 0;

const NF_LOG_ALL_NETNS = '/proc/sys/net/netfilter/nf_log_all_netns';

/** Lets LOG rules inside namespaces write to the kernel log; returns the restore function. */
export function enableNamespaceLogging(): () => void {
  const before = readFileSync(NF_LOG_ALL_NETNS, 'utf8').trim();
  writeFileSync(NF_LOG_ALL_NETNS, '1');
  return () => writeFileSync(NF_LOG_ALL_NETNS, before);
}

/** A tsad.conf with quick saves and no start-up checks or lookups that cost time, plus `extra`. */
export function writeConfig(dir: string, extra: Record<string, string>): string {
  return writeTestConfig(dir, extra);
}

function argv(ns: string | null, args: string[]): [string, string[]] {
  return ns === null ? [process.execPath, [CLI, ...args]] : ['ip', ['netns', 'exec', ns, process.execPath, CLI, ...args]];
}

/** Runs `tsad ARGS` (inside namespace `ns` when given) and collects its output and exit code. */
export function tsad(args: string[], ns: string | null = null): Promise<CliResult> {
  return runCli(args, ns === null ? {} : { ns });
}

export interface DaemonProc {
  proc: ChildProcess;
  socket: string;
  log(): string;
  exited: Promise<number | null>;
  request(cmd: Parameters<typeof controlRequest>[1], args?: Record<string, unknown>): Promise<ControlResponse>;
  stop(): Promise<number | null>;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, ms = 20_000, every = 25): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Starts `tsad daemon ARGS --socket SOCKET` (in `ns` when given) and waits until its socket answers. */
export async function startDaemon(args: string[], socket: string, ns: string | null = null): Promise<DaemonProc> {
  const [cmd, a] = argv(ns, ['daemon', ...args, '--socket', socket]);
  const proc = spawn(cmd, a, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  const request: DaemonProc['request'] = (c, x = {}) => controlRequest(socket, c, x, 20_000);
  await waitFor(`the daemon's socket ${socket}`, async () => {
    if (gone) throw new Error(`daemon exited during start:\n${log}`);
    // The socket answers while extensions are still being set up; "started" comes after them.
    return / tsad: started: /.test(log) && request('status').then((r) => r.ok, () => false);
  });
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
  };
}

/** Kills a daemon that a failed test left running. */
export async function killDaemon(d: DaemonProc | null): Promise<void> {
  if (d === null || d.proc.exitCode !== null || d.proc.signalCode !== null) return;
  d.proc.kill('SIGKILL');
  await d.exited;
}
