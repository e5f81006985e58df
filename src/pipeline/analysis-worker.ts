/**
 * One worker thread of a partitioned analysis (threads.ts): builds the same
 * analysis as the calling thread, with its share of the sources, reads the
 * whole input, and posts its part. Warnings (rule and auto_dl problems) are
 * the calling thread's to print: it loads the same files.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from '../config/load.js';
import { buildAnalysis } from './analysis.js';
import { readArchives } from './archives.js';
import type { WorkerJob, WorkerResult } from './threads.js';

const job = workerData as WorkerJob;
const cfg = loadConfig(job.configPath);
const analysis = await buildAnalysis({ cfg, ...job.analysis, geoip: false, dns: false, partition: { index: job.index, count: job.count }, warn: () => undefined });
const failed: string[] = [];
await readArchives(analysis, job.files, job.read, (path) => failed.push(path));
const counters = analysis.counters.part();
const result: WorkerResult = { pipeline: analysis.pipeline.part(), counters, tracker: analysis.tracker.exportPart(job.minDl), failed };
parentPort?.postMessage(result, counters.ports.map(([, a]) => a.buffer as ArrayBuffer));
