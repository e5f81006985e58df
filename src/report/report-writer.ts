/**
 * Writes reports to a stream as their sources are generated: a report with
 * a million sources is never one string, and a slow reader (a pipe into
 * `less`) holds the writer back instead of filling memory. Pieces are
 * gathered into blocks of about 64 KiB so the pipe sees few large writes,
 * and no string grows past V8's young generation limit (128 KiB).
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ReportHead, SourceReport } from '../model/report.js';
import { jsonFrame, jsonSources, jsonSourcesEnd } from './json-report.js';
import { isAttacker, textHead, textSourceDetail, textTail, type TextOptions } from './text-report.js';

const BLOCK = 64 * 1024;

/** Sources kept for the next-steps hint: nextSteps names the first five at DL >= 1, and listed sources come sorted by DL. */
const NEXT_STEPS_SOURCES = 5;

/** Text gathered into blocks and written with backpressure. */
export class BlockWriter {
  #buf = '';

  constructor(private readonly out: Writable) {}

  /** Adds text; writes a block when enough has gathered. Bytes (UTF-8) are written as they are, after the text before them. */
  push(text: string | Uint8Array): void {
    if (typeof text !== 'string') {
      this.#flush();
      this.out.write(text);
      return;
    }
    this.#buf += text;
    if (this.#buf.length >= BLOCK) this.#flush();
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

  #flush(): void {
    if (this.#buf === '') return;
    this.out.write(this.#buf);
    this.#buf = '';
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
