/**
 * A gzip-compressed rotated copy of a followed file (kern.log.2.gz), read
 * once when the daemon catches up after being down across rotations. Its
 * bytes cannot be addressed, so where reading stands is "skip `offset`
 * uncompressed bytes, then `lines` records" (a record is a line handed to the
 * sink or one dropped as too long; the split is the same on every read, so
 * the count finds the same place again after a restart).
 */
import { createReadStream } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { readLinesFast } from './chunk-lines.js';
import type { FilePosition } from './followed-file.js';
import type { LiveSink } from './live-source.js';

/** Drops the first `n` bytes of a stream. */
class SkipBytes extends Transform {
  constructor(private left: number) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.left >= chunk.length) {
      this.left -= chunk.length;
      done();
      return;
    }
    const rest = chunk.subarray(this.left);
    this.left = 0;
    done(null, rest);
  }
}

function gunzip(path: string): { out: Readable; destroy: () => void } {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  const z = createGunzip({ chunkSize: 1 << 20 });
  raw.once('error', (err) => z.destroy(err));
  return { out: raw.pipe(z), destroy: () => { raw.destroy(); z.destroy(); } };
}

/** True when the uncompressed bytes just before `offset` are `tail` (the fingerprint of a saved position). */
export function gzTailMatches(path: string, offset: number, tail: Buffer): Promise<boolean> {
  if (tail.length === 0 || offset < tail.length) return Promise.resolve(false);
  const from = offset - tail.length;
  return new Promise((resolve) => {
    const { out, destroy } = gunzip(path);
    const got = Buffer.alloc(tail.length);
    let base = 0;
    let filled = 0;
    const finish = (ok: boolean): void => {
      destroy();
      resolve(ok);
    };
    out.on('data', (c: Buffer) => {
      const end = base + c.length;
      if (end > from) {
        const s = Math.max(0, from - base);
        const e = Math.min(c.length, offset - base);
        if (e > s) filled += c.copy(got, filled, s, e);
      }
      base = end;
      if (base >= offset) finish(filled === tail.length && got.equals(tail));
    });
    out.once('end', () => finish(false));
    out.once('error', () => finish(false));
  });
}

export class CompressedFile {
  #destroy: (() => void) | null = null;

  constructor(readonly path: string, readonly dev: number, readonly ino: number, readonly offset: number, public lines: number) {}

  position(): FilePosition {
    return { dev: this.dev, ino: this.ino, offset: this.offset, tail: '', gz: { lines: this.lines } };
  }

  /** Hands every record after the position to the sink, advancing `lines` with each; resolves at the end of the file. */
  read(sink: LiveSink, maxLen: number): Promise<void> {
    const { out, destroy } = gunzip(this.path);
    this.#destroy = destroy;
    let skip = this.lines;
    const counted: LiveSink = {
      line: (text) => {
        if (skip > 0) skip--;
        else {
          sink.line(text);
          this.lines++;
        }
      },
      tooLong: () => {
        if (skip > 0) skip--;
        else {
          sink.tooLong();
          this.lines++;
        }
      },
    };
    if (this.offset === 0) return readLinesFast(out, counted, maxLen);
    const skipped = new SkipBytes(this.offset);
    out.once('error', (err) => skipped.destroy(err)); // pipe() does not pass errors on
    return readLinesFast(out.pipe(skipped), counted, maxLen);
  }

  close(): void {
    this.#destroy?.();
    this.#destroy = null;
  }
}
