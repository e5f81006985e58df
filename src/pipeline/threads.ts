/**
 * Both cores for archived logs: a partitioned analysis. Every thread reads
 * and parses the whole input (the page cache makes the second read cheap;
 * gzip is inflated in each) and scores only the sources whose key hashes to
 * it, in event order, as one thread would (pipeline.ts says how shared
 * state stays exact). The calling thread is part 0 and does the reporting:
 * the workers' parts are absorbed into its analysis at the end.
 *
 * The merged answer equals a single thread's (a test compares them), with
 * one documented limit: MAX_TRACKED_SOURCES is shared out (threadShare in
 * analysis.ts), so when sources must be evicted, threads choose among their
 * own (by the same rule) rather than among all.
 */
import { Worker } from 'node:worker_threads';
import { BUNDLED, packageFile } from '../io/package-files.js';
import type { CounterPart, TrackerPart } from '../detect/index.js';
import type { Analysis, AnalysisOptions } from './analysis.js';
import type { ArchiveFile, ArchiveOptions } from './archives.js';
import type { PipelinePart } from './pipeline.js';

/** What a worker needs to build and run its part (plain data). */
export interface WorkerJob {
  configPath: string | undefined;
  analysis: Pick<AnalysisOptions, 'autoDlFile' | 'signaturesPath' | 'signatures' | 'feeds' | 'since' | 'until'>;
  files: ArchiveFile[];
  read: ArchiveOptions;
  index: number;
  count: number;
  /** Sources at or above this level are sent whole; the others only counted. */
  minDl: number;
}

/** What a worker sends back. */
export interface WorkerResult {
  pipeline: PipelinePart;
  counters: CounterPart;
  tracker: TrackerPart;
  /** Files it could not read. */
  failed: string[];
}

/**
 * Whether analysis threads can run: not in the Debian package's single-file
 * bundle, which has no worker module beside it (analyze then uses one).
 */
export const THREADS_AVAILABLE = !BUNDLED;

function runWorker(job: WorkerJob): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    // The built worker (from the package root, like tsad's other files: the tests run src/ but spawn dist/).
    const w = new Worker(packageFile('dist/pipeline/analysis-worker.js'), { workerData: job });
    let result: WorkerResult | null = null;
    w.once('message', (m: WorkerResult) => (result = m));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (result !== null) resolve(result);
      else reject(new Error(`analysis thread ${job.index} exited with status ${code} before it finished`));
    });
  });
}

/**
 * Runs workers 1..count-1 on `job` while `own` (this thread's part 0, whose
 * analysis was built with the same partition) runs here, then absorbs their
 * parts into `analysis`. Returns the files this thread could not read;
 * throws when a worker failed or could not read a file this thread read.
 */
export async function analyzeInThreads(analysis: Analysis, job: Omit<WorkerJob, 'index'>, own: () => Promise<string[]>): Promise<string[]> {
  const workers: Array<Promise<WorkerResult>> = [];
  for (let index = 1; index < job.count; index++) workers.push(runWorker({ ...job, index }));
  // Settle every worker before throwing, so none is left running.
  const [failed, ...results] = await Promise.allSettled([own(), ...workers]);
  if (failed?.status === 'rejected') throw failed.reason;
  const mine = failed?.status === 'fulfilled' ? failed.value : [];
  for (const r of results) {
    if (r.status === 'rejected') throw r.reason instanceof Error ? r.reason : new Error(String(r.reason));
    const part = r.value;
    const odd = part.failed.filter((f) => !mine.includes(f));
    if (odd.length > 0) throw new Error(`${odd.join(', ')}: changed while it was read (an analysis thread could not read it)`);
    analysis.pipeline.absorb(part.pipeline);
    analysis.counters.absorb(part.counters);
    analysis.tracker.absorbPart(part.tracker);
  }
  return mine;
}
