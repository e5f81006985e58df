/**
 * Finding where a followed file went: after a rename (logrotate's default)
 * the old inode lives on under a rotated name (kern.log.1, kern.log-20261121);
 * after copytruncate its bytes were copied to such a name. Compressed copies
 * are skipped: their offsets mean nothing.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FollowedFile, type FilePosition } from './followed-file.js';

const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|lzma|Z)$/;
const MAX_CANDIDATES = 8;

/** Rotated siblings of `path`, newest first. */
export function rotatedSiblings(path: string): string[] {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: Array<{ p: string; mtime: number }> = [];
  for (const n of names) {
    if (n === base || COMPRESSED.test(n)) continue;
    if (!n.startsWith(`${base}.`) && !n.startsWith(`${base}-`)) continue;
    const p = join(dir, n);
    try {
      const st = statSync(p);
      if (st.isFile()) found.push({ p, mtime: st.mtimeMs });
    } catch {
      // vanished meanwhile
    }
  }
  return found.sort((a, b) => b.mtime - a.mtime).slice(0, MAX_CANDIDATES).map((f) => f.p);
}

/** The rotated sibling that is the same inode as a saved position, opened there (null: gone). */
export function findByInode(path: string, pos: FilePosition): { file: FollowedFile; path: string } | null {
  for (const p of rotatedSiblings(path)) {
    try {
      const st = statSync(p);
      if (st.dev !== pos.dev || st.ino !== pos.ino) continue;
      const f = FollowedFile.fromPosition(p, pos);
      if (f.intact()) return { file: f, path: p };
      f.close();
    } catch {
      // unreadable candidate: try the next
    }
  }
  return null;
}

/**
 * A copy (copytruncate) holding the bytes of a file up to at least
 * `offset`, recognised by the fingerprint before the offset, opened there.
 */
export function findCopy(path: string, offset: number, tail: Buffer): { file: FollowedFile; path: string } | null {
  if (tail.length === 0) return null;
  for (const p of rotatedSiblings(path)) {
    try {
      const f = FollowedFile.open(p, offset, tail);
      if (f.intact()) return { file: f, path: p };
      f.close();
    } catch {
      // unreadable candidate: try the next
    }
  }
  return null;
}
