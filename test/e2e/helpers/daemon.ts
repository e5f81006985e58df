/**
 * The built CLI (dist/cli/main.js) as a user runs it: `tsad daemon` as a
 * separate process, optionally inside a network namespace, and one-shot
 * commands. Prerequisites: root and the tools; under CI=true a missing one
 * fails instead of skipping.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, type CliResult } from '../../helpers/run-cli.js';
import { writeTestConfig } from '../../daemon/helpers/config.js';
import { startDaemon as startDaemonProcess, type DaemonProc } from '../../daemon/helpers/daemon-proc.js';

export { killDaemon } from '../../daemon/helpers/daemon-proc.js';
export { waitFor } from '../../helpers/wait.js';

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


/** Runs `tsad ARGS` (inside namespace `ns` when given) and collects its output and exit code. */
export function tsad(args: string[], ns: string | null = null): Promise<CliResult> {
  return runCli(args, ns === null ? {} : { ns });
}

export type { DaemonProc };

/** One sensor of a fleet test: its directory, log file, socket, configuration and daemon. */
export interface FleetSensor {
  name: string;
  dir: string;
  log: string;
  socket: string;
  conf: string;
  d: DaemonProc | null;
}

/** Starts `tsad daemon ARGS --socket SOCKET` (in `ns` when given) and waits until it has started. */
export function startDaemon(args: string[], socket: string, ns: string | null = null): Promise<DaemonProc> {
  return startDaemonProcess(args, socket, ns === null ? {} : { ns });
}
