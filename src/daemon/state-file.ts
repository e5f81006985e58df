/**
 * STATE_DIR/state.json: one snapshot of everything the daemon must not lose,
 * begun between two lines and written atomically (temp file, fsync,
 * rename). Because the source positions are in the same file as the scan
 * state they produced, a restart after a crash or kill -9 resumes exactly
 * after the last line the saved state contains: the lines read since the
 * snapshot are read again, none lost and none counted twice.
 *
 * One JSON document, laid out so that a million tracked sources are written
 * a slice at a time as the scan snapshot hands them out, and read back one
 * line at a time (never one string of the whole, never a second copy):
 * everything else is on the first line, which ends where the scan state's
 * list of sources opens; then one source per line; the last line closes it.
 *
 *   {"version":1,...,"counters":{...},"scan":{"format":"tsad-scan-state",...,"sources":[
 *   [source],
 *   [source]
 *   ]}}
 *
 * A damaged source line costs that source; a file cut short keeps the
 * sources before the cut. A file in any other layout of the same JSON
 * (the one line earlier versions wrote, or a file rewritten by hand) is
 * read whole, as before.
 */
import { closeSync, openSync, readSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicPieces } from '../io/atomic-file.js';

export const STATE_FILE = 'state.json';
export const STATE_VERSION = 1;

export interface PipelineCounters {
  lines: number;
  firewallLines: number;
  packets: number;
  /** Service-log lines and scored service events; absent in states saved by older versions. */
  serviceLines?: number;
  serviceEvents?: number;
  skipped: Record<string, number>;
  /** Event time of the first and last scored packet (ms), null before any. */
  firstSeen: number | null;
  lastSeen: number | null;
  /** HourlyTimeline.exportState(); absent in states saved by older versions. */
  timeline?: unknown;
}

export interface DaemonState {
  version: number;
  savedAt: string;
  pid: number;
  /** Source name (as given to --source) -> its resume point. */
  positions: Record<string, unknown>;
  pipeline: PipelineCounters;
  /** The detect stage's tracker and counters (null when it could not be saved). */
  scan: unknown;
  counters: unknown;
  /** Extension name -> its opaque state (blocks, alert records). */
  extensions: Record<string, unknown>;
  /** Wall clock (ms) of the last firewall line, for the no-lines warning. */
  lastFirewallLineAt: number | null;
}

export function statePath(dir: string): string {
  return join(dir, STATE_FILE);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Checks the parts the daemon relies on; returns what is wrong, or null. */
function problemOf(v: unknown): string | null {
  if (!isRecord(v)) return 'not a JSON object';
  if (v.version !== STATE_VERSION) return `unknown version ${JSON.stringify(v.version)} (this tsad writes ${STATE_VERSION})`;
  if (!isRecord(v.positions) || !isRecord(v.extensions)) return 'positions or extensions missing';
  const p = v.pipeline;
  if (!isRecord(p) || typeof p.lines !== 'number' || typeof p.firewallLines !== 'number' || typeof p.packets !== 'number' || !isRecord(p.skipped)) return 'pipeline counters missing';
  return null;
}

/** Saved sources as JSON text, a slice at a time (the tracker's ScanSnapshot). */
export interface SourceLines {
  /** Up to `max` more sources, fewer once their text reaches `maxChars`; null after the last. */
  next(max: number, maxChars?: number): string[] | null;
}

/** Where the sources of a streamed file go as they are read (the detect stage's ScanStateReader). */
export interface SourceSink {
  add(source: unknown): void;
  /** A line that is not JSON: that source is lost, counted in its place. */
  unreadable(problem: string): void;
  /** A problem with the list as a whole. */
  problem(text: string): void;
}

/** Reads the saved sources of a streamed file into `sink`, one line at a time. */
export type SourceReader = (sink: SourceSink) => void;

export type StateRead = { state: DaemonState; problem: null } | { state: null; problem: string | null };

export type StateOpen =
  | { state: DaemonState; problem: null; sources: SourceReader | null }
  | { state: null; problem: string | null; sources: null };

/** How the first line of the streamed layout ends, and the line that closes the list. */
const SOURCES_OPEN = '"sources":[';
const SOURCES_CLOSE = ']}}';
/** Sources per piece written (one piece is the extra memory a save holds, and the longest the event loop waits). */
export const SAVE_SLICE = 1024;
/** ...and at most about this much text: a slice of busy sources (thousands of ports each) must not hold the loop for tens of ms. */
export const SAVE_SLICE_CHARS = 128 * 1024;
const CHUNK = 1 << 20;

/**
 * The saved state without its sources when they are streamed: `sources`
 * reads them, once, or is null when the file keeps them in state.scan (the
 * layout before streaming). problem null and state null when there is none yet.
 */
export function openState(dir: string): StateOpen {
  const path = statePath(dir);
  let first: { text: string; end: number; line: boolean };
  try {
    first = firstLine(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { state: null, problem: code === 'ENOENT' ? null : `${path}: ${(err as Error).message}`, sources: null };
  }
  const streamed = first.line && first.text.endsWith(SOURCES_OPEN);
  let v: unknown;
  try {
    v = JSON.parse(streamed ? `${first.text}${SOURCES_CLOSE}` : first.line ? `${first.text}\n${restOf(path, first.end)}` : first.text);
  } catch (err) {
    return { state: null, problem: `${path}: not valid JSON (${(err as Error).message})`, sources: null };
  }
  const problem = problemOf(v);
  if (problem !== null) return { state: null, problem: `${path}: ${problem}`, sources: null };
  return { state: v as DaemonState, problem: null, sources: streamed ? sourceReader(path, first.end) : null };
}

/** The file's first line (line: a newline ended it) and the offset after it; the whole file when it has no newline. */
function firstLine(path: string): { text: string; end: number; line: boolean } {
  const fd = openSync(path, 'r');
  try {
    const parts: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const b = Buffer.allocUnsafe(CHUNK);
      const n = readSync(fd, b, 0, CHUNK, pos);
      const nl = b.subarray(0, n).indexOf(10);
      parts.push(b.subarray(0, nl >= 0 ? nl : n));
      if (nl >= 0) return { text: Buffer.concat(parts).toString('utf8'), end: pos + nl + 1, line: true };
      if (n === 0) return { text: Buffer.concat(parts).toString('utf8'), end: pos, line: false };
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** The file from `offset` on, as text. */
function restOf(path: string, offset: number): string {
  const parts: string[] = [];
  eachLine(path, offset, (line) => {
    parts.push(line);
    return true;
  });
  return parts.join('\n');
}

/** Calls `line` with each line from `offset` (the last one even without a newline) while it returns true. */
function eachLine(path: string, offset: number, line: (text: string) => boolean): void {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.allocUnsafe(CHUNK);
    let pos = offset;
    let tail: Buffer | null = null;
    for (;;) {
      const n = readSync(fd, b, 0, CHUNK, pos);
      if (n === 0) break;
      pos += n;
      let chunk = b.subarray(0, n);
      if (tail !== null) {
        chunk = Buffer.concat([tail, chunk]);
        tail = null;
      }
      let from = 0;
      for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, from)) {
        if (!line(chunk.toString('utf8', from, nl))) return;
        from = nl + 1;
      }
      if (from < chunk.length) tail = Buffer.from(chunk.subarray(from));
    }
    if (tail !== null) line(tail.toString('utf8'));
  } finally {
    closeSync(fd);
  }
}

/** Reads the source lines after the first line, up to the line that closes the list. */
function sourceReader(path: string, offset: number): SourceReader {
  return (sink) => {
    let closed = false;
    eachLine(path, offset, (text) => {
      const t = text.trim();
      if (t === SOURCES_CLOSE) {
        closed = true;
        return false;
      }
      if (t === '') return true;
      let v: unknown;
      try {
        v = JSON.parse(t.endsWith(',') ? t.slice(0, -1) : t);
      } catch {
        sink.unreadable('not JSON (a damaged line)');
        return true;
      }
      sink.add(v);
      return true;
    });
    if (!closed) sink.problem('sources: the file ends before its list of sources does (cut short: the sources after the cut are lost)');
  };
}

/** The saved state with its sources in state.scan, read whole (small states, tests, the upgrade path); the daemon streams them. */
export function readState(dir: string): StateRead {
  const o = openState(dir);
  if (o.state === null) return { state: null, problem: o.problem };
  if (o.sources !== null) {
    const list: unknown[] = [];
    // A damaged line stands in as a value no source decodes from, so restoring it reports the line.
    o.sources({ add: (v) => list.push(v), unreadable: () => list.push(null), problem: () => undefined });
    (o.state.scan as { sources: unknown[] }).sources = list;
  }
  return { state: o.state, problem: null };
}
/** Moves an unusable file aside (kept for inspection, as FILE.bad-TIME); returns the new name. */
export function setAside(path: string): string {
  const aside = `${path}.bad-${new Date().toISOString().replace(/[:.]/g, '')}`;
  renameSync(path, aside);
  return aside;
}

/** Moves an unusable state file aside so the daemon can start fresh. */
export function setAsideState(dir: string): string {
  return setAside(statePath(dir));
}

/**
 * Writes the state in the layout above, a piece at a time. The sources come
 * from `sources` when given (state.scan then holds the rest of the scan
 * state), else from state.scan.sources.
 */
export function writeState(dir: string, s: DaemonState, sources?: SourceLines): Promise<void> {
  const path = statePath(dir);
  const scan = s.scan;
  if (scan === null || typeof scan !== 'object') return writeFileAtomicPieces(path, pieces([`${JSON.stringify(s)}\n`]), 0o600);
  const { sources: listed, ...head } = scan as { sources?: unknown[] };
  const from = sources ?? listedLines(listed ?? []);
  const { scan: _scan, ...rest } = s;
  // `{...,"scan":{...}}`: the scan state is last; its list of sources opens where it closes.
  const top = headPieces({ ...rest, scan: head }, 'counters');
  const scanHead = JSON.stringify(head);
  top.push(`${scanHead.slice(0, -1)}${Object.keys(head).length > 0 ? ',' : ''}${SOURCES_OPEN}`);
  let wrote = false;
  let closed = false;
  return writeFileAtomicPieces(path, () => {
    const piece = top.shift();
    if (piece !== undefined) return typeof piece === 'string' ? piece : piece();
    if (closed) return null;
    const lines = from.next(SAVE_SLICE, SAVE_SLICE_CHARS);
    if (lines === null) {
      closed = true;
      return `\n${SOURCES_CLOSE}\n`;
    }
    if (lines.length === 0) return '';
    const out = `${wrote ? ',\n' : '\n'}${lines.join(',\n')}`;
    wrote = true;
    return out;
  }, 0o600);
}

/**
 * JSON.stringify(o) of the saved state as pieces, byte for byte, without
 * the closing `}` of its last value (the scan state's head, whose list of
 * sources follows) and that value itself: the caller ends the line. The
 * value of `apart` (the detect counters: some 700 KB of text once a TCP
 * port table is dense) is serialised in a piece of its own, when the writer
 * comes to it: taking a snapshot then does not also hold the loop for it
 * (it is a fresh export, nothing changes it meanwhile). The other values
 * are serialised now, as they are at the snapshot.
 */
function headPieces(o: Record<string, unknown>, apart: string): Array<string | (() => string)> {
  const keys = Object.keys(o);
  const last = keys.pop();
  const out: Array<string | (() => string)> = [];
  let text = '{';
  let first = true;
  for (const k of keys) {
    const v = o[k];
    const lazy = k === apart && v !== null && typeof v === 'object';
    const json = lazy ? '' : (JSON.stringify(v) as string | undefined);
    // Skipped by JSON.stringify: undefined, functions, symbols.
    if (json === undefined) continue;
    text += `${first ? '' : ','}${JSON.stringify(k)}:`;
    first = false;
    if (!lazy) {
      text += json;
      continue;
    }
    out.push(text);
    out.push(() => JSON.stringify(v));
    text = '';
  }
  out.push(`${text}${first ? '' : ','}${JSON.stringify(last)}:`);
  return out;
}

function pieces(list: string[]): () => string | null {
  let i = 0;
  return () => list[i++] ?? null;
}

/** Sources already in memory (state.scan.sources), as SourceLines. */
function listedLines(list: readonly unknown[]): SourceLines {
  let i = 0;
  return {
    next(max) {
      if (i >= list.length) return null;
      const out = list.slice(i, i + max).map((v) => JSON.stringify(v));
      i += out.length;
      return out;
    },
  };
}
