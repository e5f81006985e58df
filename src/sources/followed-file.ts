/**
 * One open log file read line by line from a byte offset. The offset always
 * points just after the last complete line handed to the sink (a line still
 * being written is read again later), and the up to 128 bytes before it are
 * kept as a fingerprint: when they change, the file was truncated or replaced
 * (copytruncate, or a reused inode), which the size alone cannot tell once
 * the file has grown again.
 */
import { isAscii } from 'node:buffer';
import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import type { LiveSink } from './live-source.js';

/** Where reading stopped in one file, as saved in the daemon state. */
export interface FilePosition {
  dev: number;
  ino: number;
  offset: number;
  /** base64 of the bytes just before offset (at most TAIL_BYTES). */
  tail: string;
  /** A gzip-compressed rotated copy (compressed-file.ts): skip `offset` uncompressed bytes, then `lines` records. */
  gz?: { lines: number };
}

const TAIL_BYTES = 128;
const CHUNK = 1 << 20;
// One read buffer for all files: reads are synchronous, so it is never shared across calls.
const BUF = Buffer.allocUnsafe(CHUNK);
const LF = 10;
const CR = 13;

export class FollowedFile {
  offset: number;
  tail: Buffer;
  /** Wall-clock ms of the last read that returned data (for retiring rotated files). */
  lastData = Date.now();
  /** Inside a line longer than the limit: scan is where reading goes on, offset stays at its start. */
  private skipping = false;
  private scan = 0;

  private constructor(readonly fd: number, readonly dev: number, readonly ino: number, offset: number, tail: Buffer) {
    this.offset = offset;
    this.tail = tail;
  }

  /** Opens `path` positioned at `offset` with the given fingerprint (none: taken from the file). */
  static open(path: string, offset: number, tail?: Buffer): FollowedFile {
    const fd = openSync(path, 'r');
    const st = fstatSync(fd);
    const f = new FollowedFile(fd, st.dev, st.ino, offset, tail ?? Buffer.alloc(0));
    if (tail === undefined) f.tail = f.readTail();
    return f;
  }

  static fromPosition(path: string, pos: FilePosition): FollowedFile {
    return FollowedFile.open(path, pos.offset, Buffer.from(pos.tail, 'base64'));
  }

  /** Same file as a stat result. */
  is(st: Pick<Stats, 'dev' | 'ino'>): boolean {
    return st.dev === this.dev && st.ino === this.ino;
  }

  size(): number {
    return fstatSync(this.fd).size;
  }

  /** False when the file is now shorter than the offset or the bytes before it changed. */
  intact(): boolean {
    if (this.size() < this.offset) return false;
    return this.tail.length === 0 || this.readTail().equals(this.tail);
  }

  /** Starts over at the beginning (the file was truncated). */
  reset(): void {
    this.offset = 0;
    this.tail = Buffer.alloc(0);
    this.skipping = false;
  }

  position(): FilePosition {
    return { dev: this.dev, ino: this.ino, offset: this.offset, tail: this.tail.toString('base64') };
  }

  /**
   * Hands complete lines to the sink, reading at most about `budget` bytes.
   * Returns true when the budget ran out before the end of the file.
   */
  readLines(sink: LiveSink, maxLen: number, budget: number): boolean {
    let total = 0;
    while (total < budget) {
      const base = this.skipping ? this.scan : this.offset;
      const n = readSync(this.fd, BUF, 0, CHUNK, base);
      if (n <= 0) break;
      total += n;
      this.chunk(BUF.subarray(0, n), base, sink, maxLen);
      if (n < CHUNK) break;
    }
    if (total > 0) {
      this.lastData = Date.now();
      this.tail = this.readTail();
    }
    return total >= budget;
  }

  /** The lines in one chunk read at file offset `base`. */
  private chunk(c: Buffer, base: number, sink: LiveSink, maxLen: number): void {
    let start = 0;
    let nl = c.indexOf(LF, 0);
    if (this.skipping) {
      if (nl < 0) {
        this.scan = base + c.length;
        return;
      }
      this.skipping = false;
      this.offset = base + nl + 1;
      start = nl + 1;
      nl = c.indexOf(LF, start);
    }
    // A sink that takes bytes gets no string per line (checked for bytes above 127 once per chunk, natively).
    const ascii = sink.bytes !== undefined && isAscii(c);
    while (nl >= 0) {
      if (nl - start > maxLen) sink.tooLong();
      else {
        const end = nl > start && c[nl - 1] === CR ? nl - 1 : nl;
        if (sink.bytes !== undefined) sink.bytes(c, start, end, ascii || isAscii(c.subarray(start, end)));
        else sink.line(c.toString('utf8', start, end));
      }
      // Advanced right after the line is handed over: position and scan state stay in step.
      this.offset = base + nl + 1;
      start = nl + 1;
      nl = c.indexOf(LF, start);
    }
    if (c.length - start > maxLen) {
      sink.tooLong();
      this.skipping = true;
      this.scan = base + c.length;
    }
  }

  /** An unterminated last line, handed over when the file is retired (nothing will complete it). */
  flushPartial(sink: LiveSink, maxLen: number): void {
    if (this.skipping) return;
    const size = this.size();
    const len = size - this.offset;
    if (len <= 0) return;
    if (len > maxLen) {
      sink.tooLong();
    } else {
      const b = Buffer.allocUnsafe(len);
      const n = readSync(this.fd, b, 0, len, this.offset);
      sink.line(b.toString('utf8', 0, n));
    }
    this.offset = size;
  }

  private readTail(): Buffer {
    const len = Math.min(TAIL_BYTES, this.offset);
    if (len === 0) return Buffer.alloc(0);
    const b = Buffer.alloc(len);
    const n = readSync(this.fd, b, 0, len, this.offset - len);
    return n === len ? b : b.subarray(0, n);
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }
}

/** Offset just after the last newline at or before `size` (where a follower starting "at the end" begins). */
export function lastLineStart(path: string, size: number): number {
  const fd = openSync(path, 'r');
  try {
    let end = size;
    const b = Buffer.allocUnsafe(65536);
    while (end > 0) {
      const from = Math.max(0, end - b.length);
      const n = readSync(fd, b, 0, end - from, from);
      const nl = b.subarray(0, n).lastIndexOf(LF);
      if (nl >= 0) return from + nl + 1;
      end = from;
    }
    return 0;
  } finally {
    closeSync(fd);
  }
}
