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

/** Pieces are gathered up to this many characters before a write: fewer trips to the thread pool. */
const GATHER = 1 << 20;

/**
 * writeFileAtomic() of content made piece by piece: next() gives the next
 * piece, or null after the last. The event loop runs between two pieces,
 * and the pieces are written once about 1 MB has gathered, so the whole
 * content is never held at once. A next() that throws fails the write; the
 * target is untouched.
 */
export async function writeFileAtomicPieces(path: string, next: () => string | Uint8Array | null, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempName(path);
  const fh = await open(tmp, 'w', mode);
  try {
    let gathered: Array<string | Uint8Array> = [];
    let size = 0;
    // writeFile on a handle goes on from where the last write ended, and writes all of it.
    const flush = async (): Promise<void> => {
      const out = gathered;
      gathered = [];
      size = 0;
      await fh.writeFile(out.length === 1 ? (out[0] as string | Uint8Array) : out.every((p) => typeof p === 'string') ? out.join('') : Buffer.concat(out.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))));
    };
    for (let piece = next(); piece !== null; piece = next()) {
      if (piece.length === 0) continue;
      gathered.push(piece);
      size += piece.length;
      if (size >= GATHER) await flush();
      else await new Promise<void>((r) => setImmediate(r));
    }
    if (size > 0) await flush();
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
