/**
 * Reads kernel records from the journal with journalctl -o json (no shell;
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
}

export function journalArgs(q: JournalQuery): string[] {
  const args = ['-o', 'json', '--no-pager', '-q'];
  if (q.file !== undefined) args.push('--file', q.file, '_TRANSPORT=kernel');
  else args.push('-k');
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
