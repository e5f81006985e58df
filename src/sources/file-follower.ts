/**
 * Follows a log file the way a daemon must: every line exactly once across
 * rotation and restarts.
 *
 * - Wakes on inotify (fs.watch on the directory: writes, renames, creations),
 *   with a slow stat poll as a safety net; no busy polling.
 * - Rename rotation: the old descriptor is read to its end before the new
 *   file is opened, and kept (read again on every wake) until it has been
 *   quiet for a few seconds, since a syslog daemon may still write to it
 *   until it reopens its files.
 * - copytruncate: a shrunken file, or changed bytes before the offset, means
 *   a truncation; the unread rest is taken from the rotated copy (found by
 *   the fingerprint before the offset), then the file is read from 0.
 * - Restart: the saved inode and offset are found again, under the same
 *   name, a rotated one, in a copy, or in a gzip-compressed copy, and read on
 *   from there; then every file rotated after it (kern.log.2.gz, kern.log.1,
 *   dateext names), once each and oldest first, then the current file. So
 *   several rotations while the daemon was down lose nothing. With no saved
 *   position the follower starts at the end of the file, as psad did.
 * - Two rotations between two reads are caught the same way.
 */
import { statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import { CompressedFile } from './compressed-file.js';
import { FollowedFile, lastLineStart, type FilePosition } from './followed-file.js';
import { findByInode, findCompressed, findCopy, rotationSet, type RotatedFile } from './rotated-files.js';
import type { LiveSink, LiveSource, SourceLog } from './live-source.js';

export interface FileFollowerPosition {
  path: string;
  /** Oldest first: compressed and rotated files still to be read or drained, then the file at `path`. */
  files: FilePosition[];
  /** Wall clock (ms) when the position was taken: if the saved file is gone, rotated files changed after it are still read. */
  at?: number;
}

export interface FileFollowerOptions {
  name: string;
  path: string;
  sink: LiveSink;
  maxLineLength: number;
  /** Safety-net stat poll, ms. */
  pollMs: number;
  resume: FileFollowerPosition | null;
  log: SourceLog;
  /** A rotated file quiet this long (ms) is closed. */
  drainMs?: number;
}

/** Bytes read per wake before yielding to the event loop (socket, timers). */
const BUDGET = 8 << 20;
const MAX_DRAINING = 4;

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

export class FileFollower implements LiveSource {
  readonly name: string;
  private cur: FollowedFile | null = null;
  private old: FollowedFile[] = [];
  /** Compressed rotated files still to be read (after a restart), oldest first; read before `old` and `cur`. */
  private gz: CompressedFile[] = [];
  private gzReading = false;
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private stopped = false;
  private fail: ((err: Error) => void) | null = null;
  private done: (() => void) | null = null;
  private counts = { rotations: 0, truncations: 0, recoveredBytes: 0, catchUpFiles: 0 };
  private opened = false;

  constructor(private readonly o: FileFollowerOptions) {
    this.name = o.name;
  }

  run(): Promise<void> {
    this.stopped = false;
    return new Promise<void>((resolve, reject) => {
      this.fail = (err) => {
        this.stopped = true;
        this.close();
        reject(err);
      };
      this.done = resolve;
      this.resume().then(
        () => {
          if (this.stopped) return;
          this.opened = true;
          this.watcher = watch(dirname(this.o.path), { persistent: true }, (_ev, name) => {
            if (name === null || String(name).startsWith(basename(this.o.path))) this.wake();
          });
          this.watcher.on('error', (err) => this.fail?.(new Error(`watching ${dirname(this.o.path)}: ${err.message}`)));
          this.timer = setInterval(() => this.wake(), this.o.pollMs);
          this.pump();
        },
        (err: unknown) => this.fail?.(err as Error),
      ).catch((err: unknown) => this.fail?.(err as Error));
    });
  }

  stop(): void {
    this.stopped = true;
    this.close();
    this.done?.();
  }

  /**
   * Where reading stands. Before the files were opened this is the position
   * it was given; an empty list means the file did not exist yet, so it is
   * read from its start once it appears (all of it is new).
   */
  position(): FileFollowerPosition | null {
    if (!this.opened) return this.o.resume;
    const files = [...this.gz.map((f) => f.position()), ...this.old.map((f) => f.position())];
    if (this.cur) files.push(this.cur.position());
    return { path: this.o.path, files, at: Date.now() };
  }

  stats(): Record<string, number> {
    let behind = 0;
    try {
      for (const f of [...this.old, ...(this.cur ? [this.cur] : [])]) behind += Math.max(0, f.size() - f.offset);
    } catch {
      // a descriptor closed meanwhile
    }
    return { ...this.counts, bytesBehind: behind, draining: this.old.length, compressedBehind: this.gz.length };
  }

  /** Coalesces wake-ups (inotify sends one per write) into one pump per event-loop turn. */
  private wake(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.stopped) return;
      try {
        this.pump();
      } catch (err) {
        this.fail?.(err as Error);
      }
    });
  }

  /** Closes descriptors and watchers; the file objects stay, so position() still tells where reading stopped. */
  private close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const f of this.gz) f.close();
    for (const f of this.old) f.close();
    this.cur?.close();
  }

  private read(f: FollowedFile): boolean {
    return f.readLines(this.o.sink, this.o.maxLineLength, BUDGET);
  }

  /**
   * Reads everything available, strictly in order: compressed files of a
   * catch-up first, then rotated files, then the current one. A file whose
   * read budget ran out is continued at the next wake before anything newer.
   */
  private pump(): void {
    if (this.gz.length > 0) {
      this.pumpCompressed();
      return;
    }
    for (const f of this.old) {
      if (this.read(f)) {
        this.wake();
        return;
      }
    }
    this.checkRotation();
    const more = this.cur !== null && this.read(this.cur);
    this.retireQuiet();
    if (more) this.wake();
  }

  /** Reads the oldest compressed file of the catch-up (asynchronously: zlib streams), then wakes for the next. */
  private pumpCompressed(): void {
    if (this.gzReading) return;
    const f = this.gz[0] as CompressedFile;
    this.gzReading = true;
    const next = (err?: unknown): void => {
      this.gzReading = false;
      if (this.stopped) return;
      f.close();
      this.gz.shift();
      if (err === undefined) this.o.log('info', `read the compressed ${f.path} (${f.lines} lines)`);
      else this.o.log('warn', `cannot read the compressed ${f.path} (${err instanceof Error ? err.message : String(err)}); its lines are not read`);
      this.wake();
    };
    f.read(this.o.sink, this.o.maxLineLength).then(() => next(), next);
  }

  private checkRotation(): void {
    const st = statOrNull(this.o.path);
    if (st === null) return; // renamed away, new file not created yet: keep reading the old descriptor
    const cur = this.cur;
    if (cur === null) {
      this.cur = FollowedFile.open(this.o.path, 0);
      return;
    }
    if (!cur.is(st)) {
      // Rename rotation: finish the old descriptor before anything of the new file.
      while (this.read(cur));
      this.old.push(cur);
      // More than one rotation since the last read: the files rotated after this one come first.
      const set = rotationSet(this.o.path);
      const at = set.findIndex((r) => cur.is(r));
      const missed = at < 0 ? 0 : this.follow(set.slice(at + 1), st);
      this.cur = FollowedFile.open(this.o.path, 0);
      this.counts.rotations += 1 + missed;
      this.o.log('info', `rotated (renamed${missed > 0 ? `, ${missed + 1} times` : ''}); now reading the new ${this.o.path}`);
      return;
    }
    if (!cur.intact()) this.truncated(cur);
  }

  /** copytruncate: take the unread rest from the copy, then read the file from its start. */
  private truncated(cur: FollowedFile): void {
    this.counts.truncations++;
    const copy = findCopy(rotationSet(this.o.path), cur.offset, cur.tail);
    if (copy) {
      const before = copy.file.offset;
      while (this.read(copy.file));
      copy.file.flushPartial(this.o.sink, this.o.maxLineLength);
      this.counts.recoveredBytes += copy.file.offset - before;
      this.o.log('info', `truncated (copytruncate); read the ${copy.file.offset - before} unread bytes from ${copy.path}`);
      copy.file.close();
    } else {
      this.o.log('info', 'truncated (copytruncate); no rotated copy with unread lines found');
    }
    cur.reset();
  }

  /** Closes rotated files nobody writes to any more (and the oldest when too many pile up). */
  private retireQuiet(): void {
    const drainMs = this.o.drainMs ?? 5000;
    const now = Date.now();
    while (this.old.length > 0) {
      const f = this.old[0] as FollowedFile;
      if (this.old.length <= MAX_DRAINING && (this.cur === null || now - f.lastData < drainMs)) break;
      while (this.read(f));
      f.flushPartial(this.o.sink, this.o.maxLineLength);
      f.close();
      this.old.shift();
    }
  }

  /**
   * Queues the rotated files of `files` (oldest first) to be read from their
   * start, except one already open (the file at the path, `live`). Returns
   * how many were queued.
   */
  private follow(files: readonly RotatedFile[], live: Stats | null): number {
    let n = 0;
    for (const r of files) {
      const open = (live !== null && live.dev === r.dev && live.ino === r.ino) || this.old.some((f) => f.is(r)) || this.gz.some((f) => f.dev === r.dev && f.ino === r.ino);
      if (open) continue;
      try {
        if (r.gz) this.gz.push(new CompressedFile(r.path, r.dev, r.ino, 0, 0));
        else this.old.push(FollowedFile.open(r.path, 0));
        n++;
      } catch (err) {
        this.o.log('warn', `cannot open the rotated ${r.path} (${(err as Error).message}); its lines are not read`);
      }
    }
    this.counts.catchUpFiles += n;
    return n;
  }

  /**
   * Initial files: the saved ones found again, everything rotated after the
   * newest of them, then the file at the path; or the end of the file.
   */
  private async resume(): Promise<void> {
    const st = statOrNull(this.o.path);
    const saved = this.o.resume !== null && this.o.resume.path === this.o.path ? this.o.resume.files : null;
    if (saved === null) {
      if (st !== null) this.cur = FollowedFile.open(this.o.path, lastLineStart(this.o.path, st.size));
      return;
    }
    const set = rotationSet(this.o.path);
    let newest = -1;
    for (const pos of saved) newest = Math.max(newest, await this.locate(pos, st, set));
    // After the newest saved file: everything rotated since. Saved files all gone: the rotated files changed since the save.
    const at = this.o.resume?.at;
    const after = newest >= 0 ? set.slice(newest + 1) : saved.length > 0 && typeof at === 'number' ? set.filter((r) => r.mtimeMs > at) : [];
    const chained = this.follow(after, st);
    if (chained > 0) this.o.log('info', `${chained} file(s) were rotated while tsad was stopped: reading ${after.map((r) => basename(r.path)).join(', ')} before ${basename(this.o.path)}`);
    if (this.cur === null && st !== null) {
      // The file at the path is newer than everything saved: all its lines are new.
      const f = FollowedFile.open(this.o.path, 0);
      if (this.old.some((o) => o.dev === f.dev && o.ino === f.ino)) f.close();
      else this.cur = f;
    }
  }

  /** Opens a saved position where it is now; returns its index in the rotation set (set.length: the file at the path), -1 when gone. */
  private async locate(pos: FilePosition, st: Stats | null, set: readonly RotatedFile[]): Promise<number> {
    if (pos.gz === undefined && st !== null && st.dev === pos.dev && st.ino === pos.ino) {
      const f = FollowedFile.fromPosition(this.o.path, pos);
      if (f.intact()) {
        this.cur = f;
        return set.length;
      }
      f.close();
      this.o.log('info', `${this.o.path} was truncated while tsad was stopped`);
    } else if (pos.gz === undefined) {
      const moved = findByInode(set, pos);
      if (moved) {
        this.o.log('info', `resuming rotated ${moved.path} at byte ${pos.offset}`);
        this.old.push(moved.file);
        return moved.index;
      }
    }
    const copy = pos.gz === undefined ? findCopy(set, pos.offset, Buffer.from(pos.tail, 'base64')) : null;
    if (copy) {
      this.o.log('info', `resuming from the copy ${copy.path} at byte ${pos.offset}`);
      this.old.push(copy.file);
      return copy.index;
    }
    const gz = await findCompressed(set, pos);
    if (gz >= 0) {
      const r = set[gz] as RotatedFile;
      const lines = Number.isSafeInteger(pos.gz?.lines) && (pos.gz?.lines ?? 0) > 0 ? (pos.gz?.lines as number) : 0;
      this.o.log('info', `resuming in the compressed ${r.path} after byte ${pos.offset}${lines > 0 ? ` and ${lines} lines` : ''}`);
      this.gz.push(new CompressedFile(r.path, r.dev, r.ino, pos.offset, lines));
      return gz;
    }
    this.o.log('warn', `cannot find the saved position (inode ${pos.ino}, byte ${pos.offset}) of ${this.o.path} any more (deleted, or compressed with other than gzip); lines written after it and before the current file are not read`);
    return -1;
  }
}
