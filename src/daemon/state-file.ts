/**
 * STATE_DIR/state.json: one snapshot of everything the daemon must not lose,
 * taken synchronously between two lines and written atomically (temp file,
 * fsync, rename). Because the source positions are in the same file as the
 * scan state they produced, a restart after a crash or kill -9 resumes
 * exactly after the last line the saved state contains: the lines read
 * since the snapshot are read again, none lost and none counted twice.
 */
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-file.js';

export const STATE_FILE = 'state.json';
export const STATE_VERSION = 1;

export interface PipelineCounters {
  lines: number;
  firewallLines: number;
  packets: number;
  /** Service-log lines and scored service events; absent in states saved by older versions. */
  serviceLines?: number;
  serviceEvents?: number;
  skipped: Record<string, number>;
  /** Event time of the first and last scored packet (ms), null before any. */
  firstSeen: number | null;
  lastSeen: number | null;
  /** HourlyTimeline.exportState(); absent in states saved by older versions. */
  timeline?: unknown;
}

export interface DaemonState {
  version: number;
  savedAt: string;
  pid: number;
  /** Source name (as given to --source) -> its resume point. */
  positions: Record<string, unknown>;
  pipeline: PipelineCounters;
  /** The detect stage's tracker and counters (null when it could not be saved). */
  scan: unknown;
  counters: unknown;
  /** Extension name -> its opaque state (blocks, alert records). */
  extensions: Record<string, unknown>;
  /** Wall clock (ms) of the last firewall line, for the no-lines warning. */
  lastFirewallLineAt: number | null;
}

export function statePath(dir: string): string {
  return join(dir, STATE_FILE);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Checks the parts the daemon relies on; returns what is wrong, or null. */
function problemOf(v: unknown): string | null {
  if (!isRecord(v)) return 'not a JSON object';
  if (v.version !== STATE_VERSION) return `unknown version ${JSON.stringify(v.version)} (this tsad writes ${STATE_VERSION})`;
  if (!isRecord(v.positions) || !isRecord(v.extensions)) return 'positions or extensions missing';
  const p = v.pipeline;
  if (!isRecord(p) || typeof p.lines !== 'number' || typeof p.firewallLines !== 'number' || typeof p.packets !== 'number' || !isRecord(p.skipped)) return 'pipeline counters missing';
  return null;
}

export type StateRead = { state: DaemonState; problem: null } | { state: null; problem: string | null };

/** The saved state; problem null and state null when there is none yet. */
export function readState(dir: string): StateRead {
  const path = statePath(dir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { state: null, problem: null } : { state: null, problem: `${path}: ${(err as Error).message}` };
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { state: null, problem: `${path}: not valid JSON (${(err as Error).message})` };
  }
  const problem = problemOf(v);
  return problem === null ? { state: v as DaemonState, problem: null } : { state: null, problem: `${path}: ${problem}` };
}

/** Moves an unusable file aside (kept for inspection, as FILE.bad-TIME); returns the new name. */
export function setAside(path: string): string {
  const aside = `${path}.bad-${new Date().toISOString().replace(/[:.]/g, '')}`;
  renameSync(path, aside);
  return aside;
}

/** Moves an unusable state file aside so the daemon can start fresh. */
export function setAsideState(dir: string): string {
  return setAside(statePath(dir));
}

export function writeState(dir: string, s: DaemonState): Promise<void> {
  return writeFileAtomic(statePath(dir), JSON.stringify(s), 0o600);
}
