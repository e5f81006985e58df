/**
 * Atomic file replacement shared by every stage that persists state (daemon
 * state, mail queue, feed cache, block records): write a temp file in the same
 * directory, fsync it, rename it over the target, fsync the directory. A crash
 * leaves either the old or the new file, never a torn one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, mkdir, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
}

export function writeFileAtomicSync(path: string, data: string | Uint8Array, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempName(path);
  const fd = openSync(tmp, 'w', mode);
  try {
    if (typeof data === 'string') writeSync(fd, data);
    else writeSync(fd, data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  syncDirSync(dirname(path));
}

export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  let done = false;
  return writeFileAtomicPieces(path, () => {
    if (done) return null;
    done = true;
    return data;
  }, mode);
}

/**
 * writeFileAtomic() of content made piece by piece: next() gives the next
 * piece, or null after the last. Each piece is written before the next is
 * asked for (the event loop runs in between), so the whole content is never
 * held at once. A next() that throws fails the write; the target is untouched.
 */
export async function writeFileAtomicPieces(path: string, next: () => string | Uint8Array | null, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path);
  const fh = await open(tmp, 'w', mode);
  try {
    // writeFile on a handle goes on from where the last piece ended, and writes all of it.
    for (let piece = next(); piece !== null; piece = next()) if (piece.length > 0) await fh.writeFile(piece);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  await syncDir(dirname(path));
}

/** Async variant: the daemon's event loop must not wait on a directory fsync. */
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  }
}

function syncDirSync(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  }
}
