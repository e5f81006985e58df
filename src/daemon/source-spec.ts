/**
 * `--source` values and the auto-detection of what this host has:
 * journald when journalctl runs and systemd-journald is up (its socket
 * exists: no `ps` fork, psad forked one per line), else /dev/kmsg when
 * readable, else the IPT_SYSLOG_FILE file.
 */
import { accessSync, closeSync, constants, existsSync, openSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { sourceSpecProblem } from '../config/keys/daemon.js';

/** A bad --source value or combination (the CLI reports it as a usage error). */
export class SourceSpecError extends Error {
  override name = 'SourceSpecError';
}

export type SourceSpec =
  | { kind: 'journald'; name: string; file?: string; directory?: boolean }
  | { kind: 'kmsg'; name: string }
  | { kind: 'file'; name: string; path: string }
  | { kind: 'ulogd'; name: string; path: string }
  | { kind: 'stdin'; name: string };

export function parseSourceSpec(spec: string): SourceSpec {
  const problem = sourceSpecProblem(spec);
  if (problem !== null || spec === 'auto') throw new SourceSpecError(problem ?? '"auto" cannot be combined with other sources');
  if (spec === 'journald' || spec === 'kmsg' || spec === 'stdin') return { kind: spec, name: spec };
  const colon = spec.indexOf(':');
  const kind = spec.slice(0, colon);
  const path = spec.slice(colon + 1);
  if (kind === 'journald') {
    let directory = false;
    try {
      directory = statSync(path).isDirectory();
    } catch {
      // not there yet: taken as a file; journalctl reports it
    }
    return { kind: 'journald', name: spec, file: path, directory };
  }
  return kind === 'file' ? { kind: 'file', name: spec, path } : { kind: 'ulogd', name: spec, path };
}

/** journalctl runs and systemd-journald is up. */
export function journaldAvailable(): boolean {
  if (!existsSync('/run/systemd/journal/socket')) return false;
  try {
    execFileSync('journalctl', ['--version'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

export function kmsgReadable(path = '/dev/kmsg'): boolean {
  try {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    closeSync(fd);
    return true;
  } catch {
    return false;
  }
}

/** The source `auto` stands for on this host, and why. */
export function autoDetect(syslogFile: string): { spec: SourceSpec; why: string } {
  if (journaldAvailable()) return { spec: { kind: 'journald', name: 'journald' }, why: 'systemd-journald is running' };
  if (kmsgReadable()) return { spec: { kind: 'kmsg', name: 'kmsg' }, why: 'no journald; /dev/kmsg is readable' };
  try {
    accessSync(syslogFile, constants.R_OK);
  } catch {
    // followed once it appears
  }
  return { spec: { kind: 'file', name: `file:${syslogFile}`, path: syslogFile }, why: 'no journald and no readable /dev/kmsg' };
}

/**
 * The sources to run: the --source values, else DAEMON_SOURCES; `auto`
 * resolved. Sources carrying the same kernel lines twice are refused.
 */
export function resolveSources(given: readonly string[], configured: readonly string[], syslogFile: string): { specs: SourceSpec[]; notes: string[] } {
  const list = given.length > 0 ? given : configured;
  const notes: string[] = [];
  const specs: SourceSpec[] = [];
  for (const s of list.length > 0 ? list : ['auto']) {
    if (s === 'auto') {
      if (list.length > 1) throw new SourceSpecError('"auto" cannot be combined with other sources');
      const a = autoDetect(syslogFile);
      notes.push(`source ${a.spec.name} (auto: ${a.why})`);
      specs.push(a.spec);
    } else {
      specs.push(parseSourceSpec(s));
    }
  }
  const names = new Set<string>();
  for (const s of specs) {
    if (names.has(s.name)) throw new SourceSpecError(`source ${s.name} is given twice`);
    names.add(s.name);
  }
  if (names.has('journald') && names.has('kmsg')) throw new SourceSpecError('journald and kmsg carry the same kernel lines: each would be counted twice; use one of them');
  return { specs, notes };
}
