/**
 * Both cores for archived logs: a partitioned analysis. `count` worker
 * threads score only the sources whose key hashes to them, in event order,
 * as one thread would (pipeline.ts says how shared state stays exact). They
 * begin as light partitions: the calling thread reads the input once,
 * splits and scans every line, and hands all threads the same batches of
 * lines (shared-lines.ts), so that a thread skips most lines of other
 * threads' sources for almost nothing. When one meets what only a full
 * partition answers exactly (a packet without a time after a skipped line),
 * all start over as full partitions, which read the input each for itself.
 *
 * Then the calling thread adds up the threads' counts for the report's
 * head, and merges the sources each thread built (and, for `--json`,
 * serialised to UTF-8 bytes) in the report's order, asking for them a batch
 * at a time so that a million sources are never held at once.
 *
 * The merged answer equals a single thread's (a test compares them), with
 * one documented limit: MAX_TRACKED_SOURCES is shared out (threadShare in
 * analysis.ts), so when sources must be evicted, threads choose among their
 * own (by the same rule) rather than among all.
 */
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { BUNDLED, packageFile } from '../io/package-files.js';
import type { CounterPart, TrackerPart } from '../detect/index.js';
import type { ReportHead, SourceReport } from '../model/report.js';
import type { ReportStream } from '../report/index.js';
import type { Analysis, AnalysisOptions } from './analysis.js';
import type { ArchiveFile, ArchiveOptions } from './archives.js';
import type { PipelinePart } from './pipeline.js';
import { LineFeeder, type FeedMessage } from './shared-lines.js';

/** What the threads build of each source: its JSON text (`jsonSource(s, false)`) or its report object. */
export type SourceForm = 'json' | 'object';

/** What a worker needs to build and run its part (plain data). */
export interface WorkerJob {
  configPath: string | undefined;
  analysis: Pick<AnalysisOptions, 'autoDlFile' | 'signaturesPath' | 'signatures' | 'feeds' | 'since' | 'until' | 'geoip'>;
  files: ArchiveFile[];
  read: ArchiveOptions;
  index: number;
  count: number;
  /** A light partition (pipeline.ts), fed its lines by the calling thread (shared-lines.ts); a full one reads `files` itself. */
  light: boolean;
  /** Sources at or above this level are listed; the others only counted. */
  minDl: number;
  form: SourceForm;
  /** Post the bytes read (the progress line). */
  progress: boolean;
}

/** A file a worker could not read. */
export interface FailedFile {
  path: string;
  code: string | undefined;
  message: string;
}

/** What a worker sends when it has read everything. */
export interface WorkerDone {
  type: 'done';
  pipeline: PipelinePart;
  counters: CounterPart;
  tracker: TrackerPart;
  /** Listed sources per danger level (0-5). */
  listed: number[];
  failed: FailedFile[];
}

/** Sources a worker built, in the report's order, with their sort keys. */
export interface SourceBatch {
  type: 'sources';
  dl: number[];
  packets: number[];
  keys: string[];
  /** Form 'object': the sources. */
  items: SourceReport[];
  /** Form 'json': the sources' JSON text as UTF-8, one after another, each ending at its `ends` (moved, not copied, to the calling thread). */
  bytes: ArrayBuffer | null;
  ends: number[];
  /** No more after these. */
  last: boolean;
}

export type WorkerMessage = WorkerDone | SourceBatch | { type: 'restart'; reason: string } | { type: 'progress'; file?: string; bytes: number } | { type: 'ack' };

/** What the calling thread asks of a worker after 'done': `credits` more batches (from the first again with `rewind`), or to end. */
export type WorkerRequest = { type: 'more'; rewind: boolean; credits: number } | { type: 'end' };

/** Batches a worker may build ahead of the merge. */
const AHEAD = 4;

/**
 * Whether analysis threads can run: not in the Debian package's single-file
 * bundle, which has no worker module beside it (analyze then uses one).
 */
export const THREADS_AVAILABLE = !BUNDLED;

/** One worker thread, its messages handed out in order. */
class PartWorker {
  readonly #w: Worker;
  readonly #queue: WorkerMessage[] = [];
  readonly #waiting: Array<{ resolve: (m: WorkerMessage) => void; reject: (e: Error) => void }> = [];
  #failure: Error | null = null;

  /** `feed`: told of each batch of lines the thread took, and when it takes no more (it starts over or failed). */
  constructor(job: WorkerJob, onProgress: ((m: { file?: string; bytes: number }) => void) | undefined, feed?: { ack(): void; gone(): void }) {
    // The built worker (from the package root, like tsad's other files: the tests run src/ but spawn dist/).
    this.#w = new Worker(packageFile('dist/pipeline/analysis-worker.js'), { workerData: job });
    this.#w.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') return onProgress?.(m);
      if (m.type === 'ack') return feed?.ack();
      if (m.type === 'restart') feed?.gone();
      const waiter = this.#waiting.shift();
      if (waiter) waiter.resolve(m);
      else this.#queue.push(m);
    });
    const fail = (e: Error): void => {
      feed?.gone();
      this.#failure ??= e;
      for (const waiter of this.#waiting.splice(0)) waiter.reject(e);
    };
    this.#w.once('error', fail);
    this.#w.once('exit', (code) => fail(new Error(`analysis thread ${job.index} exited with status ${code} before it finished`)));
  }

  next(): Promise<WorkerMessage> {
    const m = this.#queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.#failure !== null) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  send(r: WorkerRequest | FeedMessage): void {
    this.#w.postMessage(r);
  }

  async stop(): Promise<void> {
    this.#failure ??= new Error('analysis thread stopped');
    await this.#w.terminate();
  }

  /** Whether the thread keeps the process alive. */
  hold(yes: boolean): void {
    if (yes) this.#w.ref();
    else this.#w.unref();
  }
}

/** What every thread of a partitioned analysis is given (and its index). */
export type ThreadsJob = Omit<WorkerJob, 'index' | 'light' | 'progress'>;

/** Light partitions (pipeline.ts) and the reader that hands them their lines. */
export interface LightThreads {
  count: number;
  workers: PartWorker[];
  feeder: LineFeeder;
}

function lightThreads(job: Omit<ThreadsJob, 'files'>): LightThreads {
  const workers: PartWorker[] = [];
  const feeder = new LineFeeder(job.count, (m) => workers.forEach((w) => w.send(m)));
  for (let index = 0; index < job.count; index++) {
    // A light partition reads no file itself: the files are the feeder's.
    workers.push(new PartWorker({ ...job, files: [], index, light: true, progress: false }, undefined, { ack: () => feeder.ack(index), gone: () => feeder.abort() }));
  }
  return { count: job.count, workers, feeder };
}

/**
 * Starts the threads of a partitioned analysis (light partitions waiting
 * for their lines) before the calling thread builds its own analysis, so
 * that their start-up overlaps it; give them to analyzeInThreads. Until
 * then they do not keep the process alive (an error on the way ends it).
 */
export function startThreads(job: Omit<ThreadsJob, 'files'>): LightThreads {
  debug('threads started early');
  const t = lightThreads(job);
  for (const w of t.workers) w.hold(false);
  return t;
}

/** A partitioned analysis that has read its input: the report's head, and its sources from the threads. */
export interface ThreadedReport {
  /** Files that could not be read. */
  failed: FailedFile[];
  head: ReportHead;
  /** The sources as JSON text (form 'json'), in the report's order. */
  jsonPieces(): AsyncIterable<Uint8Array[]>;
  /** The sources as report objects (form 'object'), reverse DNS names resolved; each call starts from the first. */
  stream(): ReportStream;
  /** Ends the threads (always call it). */
  close(): Promise<void>;
}

/** Runs the threads until every one has read the input: their 'done' messages, or null when one asks for full partitions. */
async function runParts(workers: PartWorker[]): Promise<WorkerDone[] | null> {
  const settled = await Promise.allSettled(workers.map((w) => w.next()));
  const done: WorkerDone[] = [];
  let restart = false;
  for (const s of settled) {
    if (s.status === 'rejected') throw s.reason instanceof Error ? s.reason : new Error(String(s.reason));
    if (s.value.type === 'restart') {
      restart = true;
      debug(`analysis threads start over: ${s.value.reason}`);
    }
    else if (s.value.type === 'done') done.push(s.value);
    else throw new Error(`analysis thread: unexpected ${s.value.type} message`);
  }
  return restart ? null : done;
}

/**
 * Runs `count` threads on the job's files and adds their counts into
 * `analysis` (which reads nothing itself). Throws when a thread failed or
 * the threads did not read the same files.
 */
export async function analyzeInThreads(analysis: Analysis, job: ThreadsJob, onProgress?: (m: { file?: string; bytes: number }) => void, started?: LightThreads): Promise<ThreadedReport> {
  debug('threads start');
  if (started !== undefined && started.count !== job.count) throw new Error('analysis threads: started for another job');
  let workers: PartWorker[] = [];
  let done: WorkerDone[] | null = null;
  /** Files the calling thread could not read (light partitions), else null. */
  let fed: FailedFile[] | null = null;
  try {
    for (const light of [true, false]) {
      workers = [];
      fed = null;
      let feeder: LineFeeder | null = null;
      if (light) {
        const t = started ?? lightThreads(job);
        workers = t.workers;
        feeder = t.feeder;
        for (const w of workers) w.hold(true);
      } else {
        for (let index = 0; index < job.count; index++) workers.push(new PartWorker({ ...job, index, light, progress: index === 0 && onProgress !== undefined }, onProgress));
      }
      const reading = feeder?.run(job.files, job.read.maxLineLength, onProgress === undefined ? undefined : (file, input) => {
        onProgress({ file, bytes: 0 });
        input.on('data', (c: Buffer | string) => onProgress({ bytes: c.length }));
      });
      // Awaited after the threads: a read that fails outright must not go unhandled meanwhile.
      reading?.catch(() => undefined);
      done = await runParts(workers);
      if (reading !== undefined) fed = (await reading).map(({ path, err }) => ({ path, code: err.code, message: err.message }));
      debug(done === null ? 'threads start over' : 'threads done');
      if (done !== null) break;
      await Promise.all(workers.map((w) => w.stop()));
    }
  } catch (err) {
    await Promise.all(workers.map((w) => w.stop()));
    throw err;
  }
  if (done === null) throw new Error('analysis threads: a full partition asked to start over');
  const failed = fed ?? done[0]?.failed ?? [];
  const listed = [0, 0, 0, 0, 0, 0];
  for (const part of done) {
    const odd = part.failed.filter((f) => !failed.some((g) => g.path === f.path));
    if (fed === null && (odd.length > 0 || part.failed.length !== failed.length)) {
      await Promise.all(workers.map((w) => w.stop()));
      throw new Error(`${[...odd, ...failed].map((f) => f.path).join(', ')}: changed while it was read (the analysis threads could not all read it)`);
    }
    analysis.pipeline.absorb(part.pipeline);
    analysis.counters.absorb(part.counters);
    analysis.tracker.absorbPart(part.tracker);
    part.listed.forEach((n, dl) => (listed[dl]! += n));
  }
  debug('counts added');
  const head = analysis.head(levelsOf(listed));
  debug('counts absorbed');
  return {
    failed,
    head,
    jsonPieces: () => merged(workers, true, new JsonTaker()),
    stream() {
      async function* batches(): AsyncGenerator<SourceReport[]> {
        for await (const sources of merged(workers, true, new ObjectTaker())) {
          await analysis.resolveNames(sources);
          yield sources;
        }
      }
      return { head, batches: batches() };
    },
    async close() {
      debug('report written');
      for (const w of workers) w.send({ type: 'end' });
      await Promise.all(workers.map((w) => w.stop()));
      debug('threads ended');
      if (process.env.TSAD_DEBUG_THREADS !== undefined) process.once('exit', () => debug('exit'));
    },
  };
}

/** TSAD_DEBUG_THREADS: how the threads' time went, on standard error (seconds since the process started, in every thread). */
export function debug(what: string): void {
  if (process.env.TSAD_DEBUG_THREADS !== undefined) process.stderr.write(`tsad: ${process.uptime().toFixed(2)} s: ${what} (${threadCpu()})\n`);
}

const mib = (n: number): string => (n / 1048576).toFixed(0);

/** The calling thread's CPU time so far (Linux: /proc/thread-self, else the process's) and its heap, for TSAD_DEBUG_THREADS. */
export function threadCpu(): string {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const heap = getHeapStatistics();
    return `${((Number(f[11]) + Number(f[12])) / 100).toFixed(2)} s CPU in this thread, heap ${mib(heap.used_heap_size)} of ${mib(heap.total_heap_size)} MiB, process RSS ${mib(process.memoryUsage.rss())} MiB`;
  } catch {
    const cpu = process.cpuUsage();
    return `${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU in the process`;
  }
}

/** The listed sources' levels, one per source (what reportHead counts). */
function* levelsOf(listed: readonly number[]): Generator<number> {
  for (let dl = 0; dl < listed.length; dl++) for (let i = 0; i < (listed[dl] as number); i++) yield dl;
}

/** One thread's sources as they arrive, the next batch asked for while this one is merged. */
class Feed {
  #batch: SourceBatch | null = null;
  /** The batch's JSON bytes (form 'json'). */
  #bytes: Buffer | null = null;
  #at = 0;

  #ended = false;

  constructor(private readonly w: PartWorker, rewind: boolean) {
    w.send({ type: 'more', rewind, credits: AHEAD });
  }

  /** A source is at hand. */
  get has(): boolean {
    return this.#batch !== null && this.#at < this.#batch.dl.length;
  }

  /** Waits for the next batch with a source in it; false at the end. */
  async fill(): Promise<boolean> {
    while (!this.has) {
      if (this.#ended) return false;
      const m = await this.w.next();
      if (m.type !== 'sources') throw new Error(`analysis thread: unexpected ${m.type} message`);
      this.#batch = m;
      this.#bytes = m.bytes === null ? null : Buffer.from(m.bytes);
      this.#at = 0;
      if (m.last) this.#ended = true;
      else this.w.send({ type: 'more', rewind: false, credits: 1 });
    }
    return true;
  }

  get dl(): number {
    return (this.#batch as SourceBatch).dl[this.#at] as number;
  }

  get packets(): number {
    return (this.#batch as SourceBatch).packets[this.#at] as number;
  }

  get key(): string {
    return (this.#batch as SourceBatch).keys[this.#at] as string;
  }

  /** Takes the source at hand: its report object (form 'object'). */
  take(): SourceReport {
    return (this.#batch as SourceBatch).items[this.#at++] as SourceReport;
  }

  /** Takes the source at hand (form 'json'): its bytes are `bytes` from `from` to the result. */
  takeJson(): number {
    return (this.#batch as SourceBatch).ends[this.#at++] as number;
  }

  /** Where the source at hand starts in `bytes` (form 'json'). */
  get from(): number {
    return this.#at === 0 ? 0 : ((this.#batch as SourceBatch).ends[this.#at - 1] as number);
  }

  get bytes(): Buffer {
    return this.#bytes as Buffer;
  }
}

/** What the merge does with each source it takes, and hands on between turns. */
interface Taker<T> {
  take(f: Feed): void;
  /** What was taken since the last call (`last`: all of it), or null for nothing yet; called before a feed's batch is replaced. */
  flush(last: boolean): T | null;
}

/** Sources per turn of the merge: between turns it awaits (the writer, the next batches). */
const MERGED_BATCH = 256;

/** The threads' sources merged in the report's order (compareSourceStates: level, packets, key; keys are never shared). */
async function* merged<T>(workers: PartWorker[], rewind: boolean, taker: Taker<T>): AsyncGenerator<T> {
  let feeds = workers.map((w) => new Feed(w, rewind));
  let n = 0;
  for (;;) {
    // Awaited only between batches: a million sources must not cost a million turns of the event loop.
    if (!feeds.every((f) => f.has)) {
      const out = taker.flush(false);
      if (out !== null) yield out;
      const live: Feed[] = [];
      for (const f of feeds) if (f.has || (await f.fill())) live.push(f);
      feeds = live;
      if (feeds.length === 0) break;
    }
    let best = feeds[0] as Feed;
    for (let i = 1; i < feeds.length; i++) {
      const f = feeds[i] as Feed;
      if (f.dl > best.dl || (f.dl === best.dl && (f.packets > best.packets || (f.packets === best.packets && f.key < best.key)))) best = f;
    }
    taker.take(best);
    if (++n >= MERGED_BATCH) {
      n = 0;
      const out = taker.flush(false);
      if (out !== null) yield out;
    }
  }
  const out = taker.flush(true);
  if (out !== null) yield out;
}

/** The merged sources as report objects. */
class ObjectTaker implements Taker<SourceReport[]> {
  #out: SourceReport[] = [];

  take(f: Feed): void {
    this.#out.push(f.take());
  }

  flush(last: boolean): SourceReport[] | null {
    const out = this.#out;
    if (out.length === 0 || (!last && out.length < MERGED_BATCH)) return null;
    this.#out = [];
    return out;
  }
}

/**
 * The merged sources' JSON as views of the threads' batches: sources that
 * follow each other in one batch (a run) are one view. The views are valid
 * until the merge goes on (a batch is replaced only after a flush), and the
 * writer copies them into its blocks before that (BlockWriter.push).
 */
class JsonTaker implements Taker<Uint8Array[]> {
  #runs: Uint8Array[] = [];
  /** The run not yet handed on: feed, from, to. */
  #feed: Feed | null = null;
  #from = 0;
  #to = 0;

  take(f: Feed): void {
    const from = f.from;
    const to = f.takeJson();
    if (f === this.#feed && from === this.#to) {
      this.#to = to;
      return;
    }
    this.#endRun();
    this.#feed = f;
    this.#from = from;
    this.#to = to;
  }

  #endRun(): void {
    const f = this.#feed;
    if (f === null) return;
    this.#feed = null;
    this.#runs.push(f.bytes.subarray(this.#from, this.#to));
  }

  flush(): Uint8Array[] | null {
    this.#endRun();
    const out = this.#runs;
    if (out.length === 0) return null;
    this.#runs = [];
    return out;
  }
}
