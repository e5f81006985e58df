/**
 * Writes reports to a stream as their sources are generated: a report with
 * a million sources is never one string, and a slow reader (a pipe into
 * `less`) holds the writer back instead of filling memory. Pieces are
 * encoded (text) or copied (bytes) straight into blocks of 64 KiB, so the pipe sees few large
 * writes and the text is never joined, flattened or copied into a fresh
 * Buffer per write (for a 130 MB report those copies were most of what the
 * report allocated, and the garbage that raised the peak memory).
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ReportHead, SourceReport } from '../model/report.js';
import { jsonFrame, jsonSources, jsonSourcesEnd } from './json-report.js';
import { isAttacker, textHead, textSourceDetail, textTail, type TextOptions } from './text-report.js';

/** A block is written once it holds this much. */
const BLOCK = 64 * 1024;

/** Room in a block: a piece that does not fit in what is left starts the next one. */
const ROOM = 2 * BLOCK;

/** UTF-8 bytes per UTF-16 code unit, at most (a surrogate pair is 4 bytes for 2 units). */
const MAX_UTF8_PER_UNIT = 3;

/** Sources kept for the next-steps hint: nextSteps names the first five at DL >= 1, and listed sources come sorted by DL. */
const NEXT_STEPS_SOURCES = 5;

/** Text gathered into blocks and written with backpressure. */
export class BlockWriter {
  #block = Buffer.allocUnsafeSlow(ROOM);
  #used = 0;

  /**
   * `reuse`: the stream is done with a block once it has nothing buffered
   * (true of process.stdout: files, terminals and pipes copy each write
   * into the kernel), so a written block can be filled again. Other streams
   * may keep a chunk after taking it (a Transform passes it on): every
   * block is then a new Buffer.
   */
  constructor(
    private readonly out: Writable,
    private readonly reuse = out === process.stdout,
  ) {}

  /**
   * Adds text; writes a block when enough has gathered. Text is encoded as
   * Buffer.from(text) encodes it (a lone surrogate becomes U+FFFD). Bytes are
   * copied before push returns, so the caller may reuse or drop them (the
   * threads' merge hands views of batches it replaces next).
   */
  push(text: string | Uint8Array): void {
    if (typeof text !== 'string') {
      this.#copy(text);
      return;
    }
    // The exact size is counted only when the bound (3 bytes a unit) does not fit.
    if (this.#used + text.length * MAX_UTF8_PER_UNIT > ROOM) {
      const bytes = Buffer.byteLength(text);
      if (this.#used + bytes > ROOM) {
        this.#flush();
        if (bytes > ROOM) {
          this.out.write(text);
          return;
        }
      }
    }
    this.#used += this.#block.write(text, this.#used);
    if (this.#used >= BLOCK) this.#flush();
  }

  /** Resolves when the stream can take more: await it between pieces of work. */
  async ready(): Promise<void> {
    if (this.out.writableNeedDrain) await once(this.out, 'drain');
  }

  /** True while the stream's buffer is over its limit (callers that cannot await pause their input). */
  get blocked(): boolean {
    return this.out.writableNeedDrain;
  }

  /** Writes what is left and waits until the stream has taken it. */
  async end(): Promise<void> {
    this.#flush();
    await this.ready();
  }

  #copy(bytes: Uint8Array): void {
    for (let from = 0; from < bytes.length; ) {
      // After a flush at BLOCK, at least ROOM - BLOCK bytes are free.
      const n = Math.min(bytes.length - from, ROOM - this.#used);
      this.#block.set(from === 0 && n === bytes.length ? bytes : bytes.subarray(from, from + n), this.#used);
      this.#used += n;
      from += n;
      if (this.#used >= BLOCK) this.#flush();
    }
  }

  #flush(): void {
    if (this.#used === 0) return;
    this.out.write(this.#block.subarray(0, this.#used));
    this.#used = 0;
    // A block the stream still holds (a write not yet done) is left to it.
    if (!this.reuse || this.out.writableLength !== 0) this.#block = Buffer.allocUnsafeSlow(ROOM);
  }
}

/** A report whose sources are produced on demand, in the contract's order. */
export interface ReportStream {
  head: ReportHead;
  /** Sources in small batches (built, enriched and resolved together). */
  batches: AsyncIterable<readonly SourceReport[]>;
}

/** `--json`: the same bytes as `JSON.stringify(report, null, 2)` and a newline. */
export async function writeJsonReport(out: Writable, report: ReportStream): Promise<void> {
  async function* pieces(): AsyncGenerator<string[]> {
    for await (const batch of report.batches) yield jsonSources(batch);
  }
  await writeJsonPieces(out, report.head, pieces());
}

/**
 * `--json` from sources already stringified as `jsonSource(s, false)`, in
 * the report's order; a piece may hold several sources (jsonSources, and a
 * partitioned analysis's threads, which send them as UTF-8 bytes).
 */
export async function writeJsonPieces(out: Writable, head: ReportHead, batches: AsyncIterable<ReadonlyArray<string | Uint8Array>>): Promise<void> {
  const w = new BlockWriter(out);
  const frame = jsonFrame(head);
  w.push(frame.head);
  let count = 0;
  for await (const batch of batches) {
    // The first source opens the array: no comma before it.
    for (const piece of batch) w.push(count++ > 0 ? piece : typeof piece === 'string' ? piece.slice(1) : piece.subarray(1));
    await w.ready();
  }
  w.push(`${jsonSourcesEnd(count)}${frame.tail}\n`);
  await w.end();
}

/**
 * The text report: the sections before `IP Status Detail` need only the top
 * attackers, so only those sources are held until the head is written;
 * every other source is written and dropped.
 */
export async function writeTextReport(out: Writable, report: ReportStream, opt: TextOptions): Promise<void> {
  const w = new BlockWriter(out);
  const it = report.batches[Symbol.asyncIterator]();
  const held: SourceReport[] = [];
  let attackers = 0;
  let done = false;
  // Sources come sorted by DL, so the attackers are the first sources at DL >= 1.
  while (attackers < opt.top.ips && (held.length === 0 || isAttacker(held[held.length - 1] as SourceReport))) {
    const next = await it.next();
    if (next.done === true) {
      done = true;
      break;
    }
    for (const s of next.value) {
      if (s.dl < opt.minDl) continue;
      held.push(s);
      if (isAttacker(s)) attackers++;
    }
  }
  w.push(textHead(report.head, held, opt));
  let count = 0;
  let destinations = 0;
  // The first listed sources, for the next-steps hint (it names at most five).
  const first: SourceReport[] = [];
  const detail = async (batch: readonly SourceReport[]): Promise<void> => {
    for (const s of batch) {
      if (s.dl < opt.minDl) continue;
      w.push(textSourceDetail(s, opt.color));
      count++;
      destinations += s.destinations;
      if (first.length < NEXT_STEPS_SOURCES) first.push(s);
    }
    await w.ready();
  };
  await detail(held);
  held.length = 0;
  while (!done) {
    const next = await it.next();
    if (next.done === true) break;
    await detail(next.value);
  }
  w.push(textTail(count, destinations, first, opt));
  await w.end();
}
