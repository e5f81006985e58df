/**
 * Reading archived log files into an analysis, one after another in the
 * order given (analyze orders a rotated set oldest first), each with its
 * own parse context: the same loop for the one thread of a plain analysis
 * and for every thread of a partitioned one (threads.ts).
 */
import { createParseContext } from '../parse/index.js';
import type { Readable } from 'node:stream';
import { openLog, readLineBytes, type ByteLineSink } from '../sources/index.js';
import type { Analysis } from './analysis.js';
import { PartitionRestart } from './pipeline.js';

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

/** What analyze follows while files are read: backpressure from what the packets feed (the CSV writer, see ByteLineSink.wait) and progress. */
export interface ArchiveHooks {
  wait?: () => Promise<void> | undefined;
  /** A file is opened: its input stream (for the bytes read). */
  file?: (path: string, input: Readable) => void;
  /** A line was read (any line; called only when given). */
  line?: () => void;
}

/** Reads the files into the analysis; a file that cannot be read is passed to onError and skipped. */
export async function readArchives(analysis: Analysis, files: readonly ArchiveFile[], o: ArchiveOptions, onError: (path: string, err: NodeJS.ErrnoException) => void, hooks: ArchiveHooks = {}): Promise<void> {
  for (const f of files) {
    const ctx = createParseContext({ year: o.year, refTime: f.refTime, bootTime: o.bootTime });
    const sink = sinkWith(analysis.byteSink(ctx), hooks);
    try {
      const input = openLog(f.path);
      hooks.file?.(f.path, input);
      await readLineBytes(input, sink, o.maxLineLength);
    } catch (err) {
      if (err instanceof PartitionRestart) throw err;
      onError(f.path, err as NodeJS.ErrnoException);
    }
    analysis.pipeline.end(ctx);
  }
}

function sinkWith(s: ByteLineSink, hooks: ArchiveHooks): ByteLineSink {
  const { line, wait } = hooks;
  const out: ByteLineSink = line === undefined ? s : { ...s, bytes: (b, start, end, ascii) => { line(); s.bytes(b, start, end, ascii); } };
  return wait === undefined ? out : { ...out, wait };
}
