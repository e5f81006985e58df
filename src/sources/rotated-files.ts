/**
 * Finding where a followed file went, and what came after it: after a rename
 * (logrotate's default) the old inode lives on under a rotated name
 * (kern.log.1, kern.log-20261121); after copytruncate its bytes were copied
 * to such a name; a later rotation may have compressed it (kern.log.2.gz).
 * The rotated set is ordered as logrotate names it (numbered: higher is
 * older; dateext: older dates are older), so everything rotated after the
 * saved file can be read, once each and in order, when the daemon was down
 * across several rotations.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { rotationOf } from './archive-files.js';
import { gzTailMatches } from './compressed-file.js';
import { FollowedFile, type FilePosition } from './followed-file.js';

/** Compressions tsad cannot read back (gzip it can). */
const OTHER_COMPRESSION = /\.(bz2|xz|zst|lz4|lzma|Z)$/;
/** Compressed copies checked by content (each costs a decompression up to the offset). */
const MAX_GZ_CANDIDATES = 3;

export interface RotatedFile {
  path: string;
  gz: boolean;
  dev: number;
  ino: number;
  mtimeMs: number;
}

/** The rotated copies of `path` (kern.log.1, kern.log.2.gz, kern.log-20261201[.gz]), oldest first. */
export function rotationSet(path: string): RotatedFile[] {
  const base = basename(path);
  const dir = dirname(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: Array<RotatedFile & { age: number }> = [];
  for (const n of names) {
    if (n === base || !n.startsWith(base) || OTHER_COMPRESSION.test(n)) continue;
    const r = rotationOf(n);
    if (r.base !== base || r.age < 0) continue;
    const p = join(dir, n);
    try {
      const st = statSync(p);
      if (st.isFile()) found.push({ path: p, gz: n.endsWith('.gz'), dev: st.dev, ino: st.ino, mtimeMs: st.mtimeMs, age: r.age });
    } catch {
      // vanished meanwhile
    }
  }
  return found.sort((a, b) => b.age - a.age).map(({ age: _age, ...f }) => f);
}

export interface Found<T> {
  file: T;
  path: string;
  /** Index in the rotation set. */
  index: number;
}

/** The uncompressed rotated copy that is the same inode as a saved position, opened there (null: gone). */
export function findByInode(set: readonly RotatedFile[], pos: FilePosition): Found<FollowedFile> | null {
  for (let i = set.length - 1; i >= 0; i--) {
    const r = set[i] as RotatedFile;
    if (r.gz || r.dev !== pos.dev || r.ino !== pos.ino) continue;
    try {
      const f = FollowedFile.fromPosition(r.path, pos);
      if (f.intact()) return { file: f, path: r.path, index: i };
      f.close();
    } catch {
      // unreadable candidate
    }
  }
  return null;
}

/**
 * An uncompressed copy (copytruncate) holding the bytes of a file up to at
 * least `offset`, recognised by the fingerprint before the offset, opened
 * there; the newest such copy wins.
 */
export function findCopy(set: readonly RotatedFile[], offset: number, tail: Buffer): Found<FollowedFile> | null {
  if (tail.length === 0) return null;
  for (let i = set.length - 1; i >= 0; i--) {
    const r = set[i] as RotatedFile;
    if (r.gz) continue;
    try {
      const f = FollowedFile.open(r.path, offset, tail);
      if (f.intact()) return { file: f, path: r.path, index: i };
      f.close();
    } catch {
      // unreadable candidate
    }
  }
  return null;
}

/**
 * The compressed copy a saved position is in: by inode when the position
 * was saved while reading that copy, else by the fingerprint before the
 * offset (the file was compressed after the position was saved). Returns
 * the index in the set, or -1.
 */
export async function findCompressed(set: readonly RotatedFile[], pos: FilePosition): Promise<number> {
  if (pos.gz !== undefined) return set.findIndex((r) => r.gz && r.dev === pos.dev && r.ino === pos.ino);
  const tail = Buffer.from(pos.tail, 'base64');
  let tried = 0;
  for (let i = set.length - 1; i >= 0 && tried < MAX_GZ_CANDIDATES; i--) {
    const r = set[i] as RotatedFile;
    if (!r.gz) continue;
    tried++;
    if (await gzTailMatches(r.path, pos.offset, tail)) return i;
  }
  return -1;
}
