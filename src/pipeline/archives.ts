/**
 * Reading archived log files into an analysis, one after another in the
 * order given (analyze orders a rotated set oldest first), each with its
 * own parse context: the same loop for the one thread of a plain analysis
 * and for every thread of a partitioned one (threads.ts).
 */
import { createParseContext } from '../parse/index.js';
import { openLog, readLineBytes } from '../sources/index.js';
import type { Analysis } from './analysis.js';

export interface ArchiveFile {
  path: string;
  /** Reference time for the year of RFC 3164 stamps: the file's modification time (ms). */
  refTime: number;
}

export interface ArchiveOptions {
  /** Forced year of RFC 3164 stamps. */
  year?: number | undefined;
  /** Boot time (ms) for uptime-stamped records; the same for every thread of an analysis. */
  bootTime: number;
  maxLineLength: number;
}

/**
 * Reads the files into the analysis; a file that cannot be read is passed to
 * onError and skipped. `wait`: backpressure from what the packets feed (the
 * CSV writer), see ByteLineSink.wait.
 */
export async function readArchives(analysis: Analysis, files: readonly ArchiveFile[], o: ArchiveOptions, onError: (path: string, err: NodeJS.ErrnoException) => void, wait?: () => Promise<void> | undefined): Promise<void> {
  for (const f of files) {
    const ctx = createParseContext({ year: o.year, refTime: f.refTime, bootTime: o.bootTime });
    const sink = analysis.byteSink(ctx);
    try {
      await readLineBytes(openLog(f.path), wait === undefined ? sink : { ...sink, wait }, o.maxLineLength);
    } catch (err) {
      onError(f.path, err as NodeJS.ErrnoException);
    }
    analysis.pipeline.end(ctx);
  }
}
