/** Creates the live source for a --source value, resuming from its saved position. */
import type { Readable } from 'node:stream';
import type { Config } from '../config/keys/index.js';
import { FileFollower, type FileFollowerPosition } from '../sources/file-follower.js';
import { JournalFollower, type JournalPosition } from '../sources/journal-follower.js';
import { KmsgReader, type KmsgPosition } from '../sources/kmsg-reader.js';
import { StreamSource } from '../sources/stdin-source.js';
import type { LiveSink, LiveSource, SourceLog } from '../sources/live-source.js';
import type { SourceSpec } from './source-spec.js';
import { journalIdentifiers, type ParseContext } from '../parse/index.js';
import { parseUlogdJson } from '../parse/ulogd-json.js';
import type { Pipeline } from '../pipeline/pipeline.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Saved positions are checked for shape: a damaged one starts the source afresh rather than crashing it. */
function filePos(v: unknown): FileFollowerPosition | null {
  if (!isRecord(v) || typeof v.path !== 'string' || !Array.isArray(v.files)) return null;
  const ok = v.files.every((f) => isRecord(f) && typeof f.dev === 'number' && typeof f.ino === 'number' && typeof f.offset === 'number' && typeof f.tail === 'string');
  return ok ? (v as unknown as FileFollowerPosition) : null;
}

function kmsgPos(v: unknown): KmsgPosition | null {
  return isRecord(v) && typeof v.bootId === 'string' && typeof v.seq === 'number' ? { bootId: v.bootId, seq: v.seq } : null;
}

function journalPos(v: unknown): JournalPosition | null {
  return isRecord(v) && typeof v.target === 'string' && (typeof v.cursor === 'string' || v.cursor === null) ? { target: v.target, cursor: v.cursor } : null;
}

export interface LiveSourceContext {
  cfg: Config;
  sink: LiveSink;
  log: SourceLog;
  stdin: Readable;
}

export function createLiveSource(spec: SourceSpec, resume: unknown, c: LiveSourceContext): LiveSource {
  const max = c.cfg.MAX_LINE_LENGTH;
  switch (spec.kind) {
    case 'file':
    case 'ulogd':
      return new FileFollower({ name: spec.name, path: spec.path, sink: c.sink, maxLineLength: max, pollMs: c.cfg.FILE_POLL_INTERVAL * 1000, resume: filePos(resume), log: c.log });
    case 'kmsg':
      return new KmsgReader({ name: spec.name, sink: c.sink, resume: kmsgPos(resume), log: c.log });
    case 'journald':
      return new JournalFollower({ name: spec.name, sink: c.sink, file: spec.file, directory: spec.directory, resume: journalPos(resume), maxLineLength: max, log: c.log, identifiers: journalIdentifiers(c.cfg) });
    case 'stdin':
      return new StreamSource(spec.name, c.stdin, c.sink, max);
  }
}

export interface PipelineSinkOptions {
  /** The current pipeline (a reload replaces it). */
  pipeline: () => Pipeline;
  ctx: ParseContext;
  ulogd: boolean;
  /** Every line, before it is handled. */
  line: () => void;
  /** A line that was a firewall line. */
  firewallLine: () => void;
}

/** Hands a source's lines to the pipeline: ulogd2 JSON through its own parser, everything else through the line parser (from bytes where the source gives them). */
export function pipelineSink(o: PipelineSinkOptions): LiveSink {
  let before = 0;
  const begin = (): Pipeline => {
    o.line();
    const p = o.pipeline();
    before = p.firewallLines;
    return p;
  };
  const done = (p: Pipeline): void => {
    if (p.firewallLines !== before) o.firewallLine();
  };
  const line = (text: string): void => {
    const p = begin();
    if (o.ulogd) p.parsedLine(parseUlogdJson(text));
    else p.line(text, o.ctx);
    done(p);
  };
  return {
    line,
    bytes: (b, start, end, ascii) => {
      if (o.ulogd) return line(b.toString('utf8', start, end));
      const p = begin();
      p.bytes(b, start, end, o.ctx, ascii);
      done(p);
    },
    tooLong: () => o.pipeline().skip('too-long'),
  };
}
