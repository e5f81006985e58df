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
 *   name or a rotated one, and read on from there; with no saved position
 *   the follower starts at the end of the file, as psad did.
 */
import { statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { basename, dirname } from 'node:path';
import { FollowedFile, lastLineStart, type FilePosition } from './followed-file.js';
import { findByInode, findCopy } from './rotated-files.js';
import type { LiveSink, LiveSource, SourceLog } from './live-source.js';

export interface FileFollowerPosition {
  path: string;
  /** Oldest first: rotated files still being drained, then the file at `path`. */
  files: FilePosition[];
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
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private stopped = false;
  private fail: ((err: Error) => void) | null = null;
  private done: (() => void) | null = null;
  private counts = { rotations: 0, truncations: 0, recoveredBytes: 0 };
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
      try {
        this.resume();
        this.opened = true;
        this.watcher = watch(dirname(this.o.path), { persistent: true }, (_ev, name) => {
          if (name === null || String(name).startsWith(basename(this.o.path))) this.wake();
        });
        this.watcher.on('error', (err) => this.fail?.(new Error(`watching ${dirname(this.o.path)}: ${err.message}`)));
        this.timer = setInterval(() => this.wake(), this.o.pollMs);
        this.pump();
      } catch (err) {
        this.fail(err as Error);
      }
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
    const files = this.old.map((f) => f.position());
    if (this.cur) files.push(this.cur.position());
    return { path: this.o.path, files };
  }

  stats(): Record<string, number> {
    let behind = 0;
    try {
      for (const f of [...this.old, ...(this.cur ? [this.cur] : [])]) behind += Math.max(0, f.size() - f.offset);
    } catch {
      // a descriptor closed meanwhile
    }
    return { ...this.counts, bytesBehind: behind, draining: this.old.length };
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
    for (const f of this.old) f.close();
    this.cur?.close();
  }

  private read(f: FollowedFile): boolean {
    return f.readLines(this.o.sink, this.o.maxLineLength, BUDGET);
  }

  /** Reads everything available: rotated files first, then the current one. */
  private pump(): void {
    let more = false;
    for (const f of this.old) more = this.read(f) || more;
    this.checkRotation();
    if (this.cur) more = this.read(this.cur) || more;
    this.retireQuiet();
    if (more) this.wake();
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
      this.cur = FollowedFile.open(this.o.path, 0);
      this.counts.rotations++;
      this.o.log('info', `rotated (renamed); now reading the new ${this.o.path}`);
      return;
    }
    if (!cur.intact()) this.truncated(cur);
  }

  /** copytruncate: take the unread rest from the copy, then read the file from its start. */
  private truncated(cur: FollowedFile): void {
    this.counts.truncations++;
    const copy = findCopy(this.o.path, cur.offset, cur.tail);
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
      this.read(f);
      f.flushPartial(this.o.sink, this.o.maxLineLength);
      f.close();
      this.old.shift();
    }
  }

  /** Initial files: the saved ones found again, or the end of the file. */
  private resume(): void {
    const st = statOrNull(this.o.path);
    const saved = this.o.resume !== null && this.o.resume.path === this.o.path ? this.o.resume.files : null;
    if (saved === null) {
      if (st !== null) this.cur = FollowedFile.open(this.o.path, lastLineStart(this.o.path, st.size));
      return;
    }
    for (const pos of saved) this.locate(pos, st);
    if (this.cur === null && st !== null) {
      // The file at the path is newer than everything saved: all its lines are new.
      const f = FollowedFile.open(this.o.path, 0);
      if (this.old.some((o) => o.dev === f.dev && o.ino === f.ino)) f.close();
      else this.cur = f;
    }
  }

  private locate(pos: FilePosition, st: Stats | null): void {
    if (st !== null && st.dev === pos.dev && st.ino === pos.ino) {
      const f = FollowedFile.fromPosition(this.o.path, pos);
      if (f.intact()) {
        this.cur = f;
        return;
      }
      f.close();
      this.o.log('info', `${this.o.path} was truncated while tsad was stopped`);
    } else {
      const moved = findByInode(this.o.path, pos);
      if (moved) {
        this.o.log('info', `resuming rotated ${moved.path} at byte ${pos.offset}`);
        this.old.push(moved.file);
        return;
      }
    }
    const copy = findCopy(this.o.path, pos.offset, Buffer.from(pos.tail, 'base64'));
    if (copy) {
      this.o.log('info', `resuming from the copy ${copy.path} at byte ${pos.offset}`);
      this.old.push(copy.file);
      return;
    }
    this.o.log('warn', `cannot find the saved position (inode ${pos.ino}, byte ${pos.offset}) of ${this.o.path} any more (deleted or compressed); lines written after it and before the current file are not read`);
  }
}
