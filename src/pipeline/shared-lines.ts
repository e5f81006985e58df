/**
 * One read for all threads of a light partition (threads.ts): the calling
 * thread reads the files (inflating gzip), splits the lines and scans each
 * once (scanLine: its source address and whether other threads may skip
 * it), and hands the threads batches of lines in SharedArrayBuffers: the
 * bytes once, for all of them, and per line its place and scan. A thread
 * then spends almost nothing on a line it skips, where reading the whole
 * input itself cost it the read, the split and the scan of every line.
 *
 * Each thread acknowledges a batch when it has taken it; a batch's buffers
 * are used again once every thread has, and reading pauses while IN_FLIGHT
 * batches (24 MiB) are unacknowledged: enough that a thread seldom waits for
 * the reader on a busy machine, and memory stays flat whatever the input's size.
 */
import type { Readable } from 'node:stream';
import { createParseContext, emptyScan, scanLine, type LineScan, type ParseContext } from '../parse/index.js';
import { openLog, readLineBytes, type ByteLineSink } from '../sources/index.js';
import type { Pipeline } from './pipeline.js';
import type { ArchiveFile, ArchiveOptions } from './archives.js';

/** Int32 fields per line: start, end, flags, src, lo, inFrom, inTo, dstFrom, dstTo. */
const REC = 9;
const ASCII = 1;
const SCANNED = 2;
const PLAIN = 4;
const TOO_LONG = 8;
const V6 = 16;

/** Bytes and lines per batch: large enough that messages are rare, small enough to share out evenly. */
const BATCH_BYTES = 1 << 20;
const BATCH_LINES = 8192;
/** Batches handed out and not yet taken by every thread before reading pauses. */
const IN_FLIGHT = 24;

/** What the calling thread sends the threads while it reads. */
export type FeedMessage =
  | { type: 'file'; path: string; refTime: number }
  | { type: 'lines'; data: SharedArrayBuffer; recs: SharedArrayBuffer; lines: number }
  | { type: 'file-end' }
  | { type: 'input-end' };

class Batch {
  readonly data: Buffer;
  readonly recs: Int32Array;
  bytes = 0;
  lines = 0;

  constructor(size: number) {
    this.data = Buffer.from(new SharedArrayBuffer(size));
    this.recs = new Int32Array(new SharedArrayBuffer(BATCH_LINES * REC * 4));
  }

  fits(len: number): boolean {
    return this.lines < BATCH_LINES && this.bytes + len <= this.data.length;
  }
}

/** Stops the read when the threads need no more (one starts over, or failed). */
class Aborted extends Error {}

/** A file that could not be read (or not to its end). */
export interface FeedError {
  path: string;
  err: NodeJS.ErrnoException;
}

/** The calling thread's side: reads the files and hands the threads their lines. */
export class LineFeeder {
  readonly #scan = emptyScan();
  readonly #pool: Batch[] = [];
  /** Batches handed out, oldest first, and how many of them each thread has taken. */
  readonly #out: Batch[] = [];
  #outFrom = 0;
  readonly #taken: number[];
  #batch: Batch | null = null;
  /** The read chunk whose bytes from `#srcEnd - n` to `#srcEnd` are in the current batch, `#delta` further on. */
  #src: Buffer | null = null;
  #srcEnd = 0;
  #delta = 0;
  #aborted = false;
  #resume: (() => void) | null = null;

  constructor(count: number, private readonly post: (m: FeedMessage) => void) {
    this.#taken = new Array<number>(count).fill(0);
  }

  /** Thread `i` took its next batch. */
  ack(i: number): void {
    this.#taken[i]!++;
    const min = Math.min(...this.#taken);
    while (this.#outFrom < min) {
      this.#pool.push(this.#out.shift() as Batch);
      this.#outFrom++;
    }
    if (this.#out.length < IN_FLIGHT) this.#wake();
  }

  /** The threads need no more lines (one starts over or failed): reading stops at the next batch. */
  abort(): void {
    this.#aborted = true;
    this.#wake();
  }

  #wake(): void {
    const r = this.#resume;
    this.#resume = null;
    r?.();
  }

  /** Reads the files in order, each one's lines after a 'file' and before a 'file-end'; files that could not be read are returned. */
  async run(files: readonly ArchiveFile[], maxLineLength: number, onFile?: (path: string, input: Readable) => void): Promise<FeedError[]> {
    const failed: FeedError[] = [];
    const sink: ByteLineSink = {
      bytes: (b, start, end, ascii) => this.#line(b, start, end, ascii),
      tooLong: () => this.#tooLong(),
      wait: () => this.#wait(),
    };
    try {
      for (const f of files) {
        if (this.#aborted) break;
        this.post({ type: 'file', path: f.path, refTime: f.refTime });
        try {
          const input = openLog(f.path);
          onFile?.(f.path, input);
          await readLineBytes(input, sink, maxLineLength);
        } catch (err) {
          if (err instanceof Aborted) break;
          failed.push({ path: f.path, err: err as NodeJS.ErrnoException });
        }
        this.#flush();
        this.post({ type: 'file-end' });
      }
    } finally {
      this.#flush();
      this.post({ type: 'input-end' });
    }
    return failed;
  }

  /** The batch a line of `len` bytes goes into. */
  #room(len: number): Batch {
    if (this.#aborted) throw new Aborted();
    let b = this.#batch;
    if (b !== null && b.fits(len)) return b;
    this.#flush();
    b = this.#pool.pop() ?? null;
    if (b === null || b.data.length < len) b = new Batch(Math.max(BATCH_BYTES, len));
    b.bytes = b.lines = 0;
    this.#batch = b;
    return b;
  }

  /**
   * Where `src`'s bytes [start, end) are in the current batch (start + the
   * result), copying `src` from `start` to its end (as much as fits) when
   * they are not there yet: one copy per read chunk, not one per line (a
   * copy per line cost the calling thread more than scanning the lines).
   */
  #place(src: Buffer, start: number, end: number): number {
    const b = this.#batch;
    if (b !== null && src === this.#src && end <= this.#srcEnd && b.lines < BATCH_LINES) return this.#delta;
    const into = this.#room(end - start);
    const n = Math.min(src.length - start, into.data.length - into.bytes);
    src.copy(into.data, into.bytes, start, start + n);
    this.#src = src;
    this.#srcEnd = start + n;
    this.#delta = into.bytes - start;
    into.bytes += n;
    return this.#delta;
  }

  #line(src: Buffer, start: number, end: number, ascii: boolean): void {
    const delta = this.#place(src, start, end);
    const b = this.#batch as Batch;
    const at = start + delta;
    const len = end - start;
    const r = b.lines++ * REC;
    const recs = b.recs;
    recs[r] = at;
    recs[r + 1] = at + len;
    const sc = this.#scan;
    if (ascii && scanLine(b.data, at, at + len, sc)) {
      recs[r + 2] = ASCII | SCANNED | (sc.family === 6 ? V6 : 0) | (sc.plainInbound ? PLAIN : 0);
      recs[r + 3] = sc.src;
      recs[r + 4] = sc.lo;
      if (sc.plainInbound) {
        recs[r + 5] = sc.inFrom;
        recs[r + 6] = sc.inTo;
        recs[r + 7] = sc.dstFrom;
        recs[r + 8] = sc.dstTo;
      }
    } else recs[r + 2] = ascii ? ASCII : 0;
  }

  #tooLong(): void {
    const b = this.#room(0);
    b.recs[b.lines++ * REC + 2] = TOO_LONG;
  }

  #flush(): void {
    const b = this.#batch;
    this.#batch = null;
    this.#src = null;
    if (b === null) return;
    if (b.lines === 0) {
      this.#pool.push(b);
      return;
    }
    this.#out.push(b);
    this.post({ type: 'lines', data: b.data.buffer as SharedArrayBuffer, recs: b.recs.buffer as SharedArrayBuffer, lines: b.lines });
  }

  /** After each chunk read: a promise while too many batches are out (reading pauses). */
  #wait(): Promise<void> | undefined {
    // The chunk is done with: its buffer may be read into again.
    this.#src = null;
    if (this.#out.length < IN_FLIGHT || this.#aborted) return undefined;
    return new Promise((resolve) => {
      this.#resume = resolve;
    });
  }
}

/** A thread's side: the lines the calling thread hands out, into its pipeline, as readArchives would. */
export class LineTaker {
  #ctx: ParseContext | null = null;
  readonly #scan: LineScan = emptyScan();

  constructor(private readonly pipeline: Pipeline, private readonly o: ArchiveOptions) {}

  /** Takes one message; true after the last. */
  take(m: FeedMessage): boolean {
    switch (m.type) {
      case 'file':
        this.#ctx = createParseContext({ year: this.o.year, refTime: m.refTime, bootTime: this.o.bootTime });
        return false;
      case 'lines':
        this.#lines(Buffer.from(m.data), new Int32Array(m.recs), m.lines);
        return false;
      case 'file-end':
        this.pipeline.end(this.#context());
        return false;
      case 'input-end':
        return true;
    }
  }

  #context(): ParseContext {
    if (this.#ctx === null) throw new Error('analysis thread: lines before their file');
    return this.#ctx;
  }

  #lines(data: Buffer, recs: Int32Array, lines: number): void {
    const ctx = this.#context();
    const pipeline = this.pipeline;
    const sc = this.#scan;
    for (let r = 0; r < lines * REC; r += REC) {
      const flags = recs[r + 2] as number;
      if ((flags & TOO_LONG) !== 0) {
        pipeline.tooLong();
        continue;
      }
      if ((flags & SCANNED) !== 0) {
        sc.family = (flags & V6) !== 0 ? 6 : 4;
        sc.src = (recs[r + 3] as number) >>> 0;
        sc.lo = (recs[r + 4] as number) >>> 0;
        sc.plainInbound = (flags & PLAIN) !== 0;
        sc.inFrom = recs[r + 5] as number;
        sc.inTo = recs[r + 6] as number;
        sc.dstFrom = recs[r + 7] as number;
        sc.dstTo = recs[r + 8] as number;
      }
      pipeline.scanned(data, recs[r] as number, recs[r + 1] as number, ctx, (flags & ASCII) !== 0, (flags & SCANNED) !== 0 ? sc : null);
    }
  }
}
