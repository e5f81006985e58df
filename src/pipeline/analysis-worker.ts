/**
 * One worker thread of a partitioned analysis (threads.ts): builds the same
 * analysis as the calling thread, with its share of the sources, reads the
 * whole input and posts its counts; then builds its listed sources in the
 * report's order, a batch per request. Warnings (rule and auto_dl problems)
 * are the calling thread's to print: it loads the same files.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { Readable } from 'node:stream';
import { loadConfig } from '../config/load.js';
import { jsonSources } from '../report/index.js';
import { buildAnalysis } from './analysis.js';
import { readArchives } from './archives.js';
import { PartitionRestart } from './pipeline.js';
import { LineTaker, type FeedMessage } from './shared-lines.js';
import { debug, type FailedFile, type SourceBatch, type WorkerDone, type WorkerJob, type WorkerMessage, type WorkerRequest } from './threads.js';

/** Sources built per batch: enough to keep the merge busy, few enough to keep memory flat. */
const BATCH = 1024;
/** Bytes read between progress messages. */
const PROGRESS_BYTES = 4 << 20;

const job = workerData as WorkerJob;
if (parentPort === null) throw new Error('analysis-worker runs as a worker thread');
const port: MessagePort = parentPort;
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

const cfg = loadConfig(job.configPath);
const analysis = await buildAnalysis({ cfg, ...job.analysis, geoCache: false, dns: false, partition: { index: job.index, count: job.count, light: job.light }, warn: () => undefined });
const failed: FailedFile[] = [];
let unposted = 0;
const hooks = job.progress ? {
  file(path: string, input: Readable) {
    post({ type: 'progress', file: path, bytes: 0 });
    input.on('data', (c: Buffer | string) => {
      unposted += c.length;
      if (unposted < PROGRESS_BYTES) return;
      post({ type: 'progress', bytes: unposted });
      unposted = 0;
    });
  },
} : {};
/** Reads the input; false when this light partition must start over as a full one (the calling thread stops it). */
async function read(): Promise<boolean> {
  if (job.light) return takeLines();
  try {
    await readArchives(analysis, job.files, job.read, (path, err) => failed.push({ path, code: err.code, message: err.message }), hooks);
    return true;
  } catch (err) {
    if (!(err instanceof PartitionRestart)) throw err;
    post({ type: 'restart', reason: err.message });
    return false;
  }
}

/** A light partition: takes the lines the calling thread reads for all (shared-lines.ts), acknowledging each batch. */
function takeLines(): Promise<boolean> {
  const taker = new LineTaker(analysis.pipeline, job.read);
  return new Promise((resolve, reject) => {
    const onMessage = (m: FeedMessage): void => {
      try {
        const last = taker.take(m);
        if (m.type === 'lines') post({ type: 'ack' });
        if (!last) return;
        port.off('message', onMessage);
        resolve(true);
      } catch (err) {
        port.off('message', onMessage);
        if (!(err instanceof PartitionRestart)) {
          reject(err as Error);
          return;
        }
        post({ type: 'restart', reason: err.message });
        resolve(false);
      }
    };
    port.on('message', onMessage);
  });
}

/** Where each source of `jsonSources` text starts: the only line indented four spaces that opens an object (deeper lines are indented further, strings hold no newline). */
const SOURCE_START = Buffer.from(',\n    {');

/**
 * The sources' JSON (`jsonSources`: several sources to a string, cheaper
 * than one each) as UTF-8 in a buffer of their own, to be moved to the
 * calling thread; the end of each of the `count` sources in `ends`.
 */
function utf8Sources(texts: readonly string[], count: number, ends: number[]): ArrayBuffer {
  let size = 0;
  for (const t of texts) size += Buffer.byteLength(t);
  const buf = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const t of texts) at += buf.write(t, at);
  // The first source starts at 0; each next one ends the one before.
  let start = count > 0 && buf.indexOf(SOURCE_START) === 0 ? 0 : -1;
  for (let i = 1; i < count && start >= 0; i++) {
    start = buf.indexOf(SOURCE_START, start + 1);
    ends.push(start);
  }
  if (count > 0 && (start < 0 || buf.indexOf(SOURCE_START, start + 1) >= 0)) throw new Error('analysis thread: the sources\' JSON is not as expected');
  if (count > 0) ends.push(size);
  return buf.buffer as ArrayBuffer;
}

/** Posts the counts, then builds the listed sources a batch per request. */
async function serve(): Promise<void> {
  if (unposted > 0) post({ type: 'progress', bytes: unposted });
  const { listed, build } = await analysis.listedSources(job.minDl);
  debug(`thread ${job.index}: ${listed.length} sources listed`);
  const levels = [0, 0, 0, 0, 0, 0];
  for (const st of listed) levels[st.peakDl]!++;
  const counters = analysis.counters.part();
  // exportPart above every level: counts only, the sources are built here.
  const done: WorkerDone = { type: 'done', pipeline: analysis.pipeline.part(), counters, tracker: analysis.tracker.exportPart(6), listed: levels, failed };
  post(done, counters.ports.map(([, a]) => a.buffer as ArrayBuffer));
  debug(`thread ${job.index}: counts posted`);

  let next = 0;
  /** Batches the calling thread has room for: built ahead of its asking, so the threads do not wait on each other batch by batch. */
  let credits = 0;
  let pumping = false;
  const pump = (): void => {
    if (credits <= 0 || next >= listed.length) {
      pumping = false;
      return;
    }
    pumping = true;
    credits--;
    const to = Math.min(listed.length, next + BATCH);
    const batch: SourceBatch = { type: 'sources', dl: [], packets: [], keys: [], items: [], bytes: null, ends: [], last: to >= listed.length };
    const sources = build(next, to);
    for (const s of sources) {
      batch.dl.push(s.dl);
      batch.packets.push(s.packets);
      batch.keys.push(s.src);
    }
    next = to;
    if (job.form === 'json') batch.bytes = utf8Sources(jsonSources(sources), sources.length, batch.ends);
    else batch.items = sources;
    if (batch.last) debug(`thread ${job.index}: last sources built`);
    post(batch, batch.bytes === null ? [] : [batch.bytes]);
    // Between batches: let a request (or the end) in.
    setImmediate(pump);
  };
  port.on('message', (r: WorkerRequest) => {
    if (r.type === 'end') {
      debug(`thread ${job.index}: ended`);
      port.close();
      return;
    }
    if (r.rewind) {
      next = 0;
      credits = 0;
      // An empty list still answers, once.
      if (listed.length === 0) post({ type: 'sources', dl: [], packets: [], keys: [], items: [], bytes: null, ends: [], last: true });
    }
    credits += r.credits;
    if (!pumping) pump();
  });
}

debug(`thread ${job.index}: ready to read`);
if (await read()) {
  debug(`thread ${job.index}: ${job.light ? 'light' : 'full'} partition read (${analysis.pipeline.skippedLines} lines skipped unparsed)`);
  await serve();
}
