/**
 * Reads kernel records (and, when asked, services' records) from the journal with journalctl -o json (no shell;
 * arguments passed as an array). `--journal`: the system journal, as
 * `journalctl -k` (current boot). A journal file: `--file F` with a
 * _TRANSPORT=kernel match, because -k would also restrict to this host's
 * current boot and a copied file is from another.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface JournalQuery {
  file?: string;
  since?: string;
  until?: string;
  journalctl?: string;
  /** SYSLOG_IDENTIFIERs of services whose records are read besides the kernel's (service-log evidence). */
  identifiers?: readonly string[];
}

export function journalArgs(q: JournalQuery): string[] {
  const args = ['-o', 'json', '--no-pager', '-q'];
  const ids = q.identifiers ?? [];
  // -b and --file are ANDed with the matches; `+` ORs kernel records with each service's.
  const matches = ['_TRANSPORT=kernel', ...ids.flatMap((id) => ['+', `SYSLOG_IDENTIFIER=${id}`])];
  if (q.file !== undefined) args.push('--file', q.file, ...matches);
  else if (ids.length === 0) args.push('-k');
  else args.push('-b', ...matches);
  if (q.since !== undefined) args.push('--since', q.since);
  if (q.until !== undefined) args.push('--until', q.until);
  return args;
}

export interface JournalStream {
  stdout: Readable;
  /** Resolves when journalctl exits; rejects with its stderr when it fails. */
  done: Promise<void>;
}

export function openJournal(q: JournalQuery): JournalStream {
  const child = spawn(q.journalctl ?? 'journalctl', journalArgs(q), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    if (stderr.length < 4096) stderr += d;
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (err) => reject(new Error(`cannot run journalctl: ${err.message}`)));
    child.once('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`journalctl exited with status ${code}: ${stderr.trim().split('\n')[0] ?? ''}`));
    });
  });
  return { stdout: child.stdout, done };
}
