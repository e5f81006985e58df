/**
 * One process owns a queue directory and sends its mails; any other process
 * (a `tsad report --email` next to the running daemon) only drops files in,
 * which the owner picks up. Without this, both would send the same files.
 * The lock is a `.lock` file holding the owner's pid; a dead pid is stale.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Queue directories this process holds (a second Mailer in the same process must not own the same one). */
const heldHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(path: string): number | null {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, 'wx', 0o600);
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Takes the lock of `dir` when it is free or stale; false when another live owner holds it. */
export function acquireQueueLock(dir: string): boolean {
  if (heldHere.has(dir)) return false;
  const path = join(dir, '.lock');
  if (!tryCreate(path)) {
    const pid = readPid(path);
    if (pid !== null && pid !== process.pid && alive(pid)) return false;
    // Stale: its owner is gone (or it is ours from an earlier, crashed Mailer in this process).
    try {
      unlinkSync(path);
    } catch {
      // Someone else removed it first; the create below decides.
    }
    if (!tryCreate(path)) return false;
  }
  heldHere.add(dir);
  return true;
}

export function releaseQueueLock(dir: string): void {
  if (!heldHere.delete(dir)) return;
  const path = join(dir, '.lock');
  if (readPid(path) === process.pid) {
    try {
      unlinkSync(path);
    } catch {
      // Already gone.
    }
  }
}
