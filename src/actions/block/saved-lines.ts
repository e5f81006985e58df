/**
 * blocks.json, version 2: one JSON document laid out one block per line, so
 * a million blocks are written a slice at a time and read back from the
 * file's bytes one line at a time (never one string of the whole, never an
 * object per block beyond its record). Times are epoch milliseconds.
 *
 *   {"format":"tsad-blocks","version":2,"savedAt":"...","columns":[...],"blocks":[
 *   ["198.51.100.7",1767225600000,1767229200000,5,false,"danger level 5"],
 *   ...
 *   ],"offenders":[
 *   ["198.51.100.7",1,1767225600000]
 *   ]}
 *
 * Blocks are written by family, outer prefixes first, so a restore can
 * install each as it comes, and by address within a prefix length (nft
 * loads a set given in order faster). A file in another order still reads. A damaged line costs that block only (counted);
 * a file cut short keeps the blocks before the cut. Version 1 (one
 * document of objects with ISO times) and a version 2 file in any other
 * layout are read whole by state.ts.
 */
import { byAddress } from './cidr.js';
import type { BlockRecord } from './records.js';
import { RowReader } from './saved-row.js';
import { readBlockRow, readOffenderRow, type BlockStateJson, type Offender, type ReadRecord } from './state.js';

export const BLOCKS_FORMAT = 'tsad-blocks';
export const BLOCKS_VERSION = 2;
export const BLOCK_COLUMNS = ['cidr', 'createdAt', 'expiresAt', 'dl', 'manual', 'reason'] as const;
const BLOCKS_OPEN = '"blocks":[';
const OFFENDERS_OPEN = '],"offenders":[';
const CLOSE = ']}';
/** Lines per piece handed to the writer. */
const SLICE = 4096;

function prefixLen(cidr: string): number {
  const slash = cidr.indexOf('/');
  return slash < 0 ? (cidr.includes(':') ? 128 : 32) : Number(cidr.slice(slash + 1));
}

/**
 * The records by family, then prefix length (counting buckets), each bucket
 * in address order: a restart streams the blocks to nft in file order, and
 * nft loads an interval set given in order for a third of the CPU.
 */
function outerFirst(records: Iterable<BlockRecord>): BlockRecord[][] {
  const buckets: BlockRecord[][] = Array.from({ length: 33 + 129 }, () => []);
  for (const r of records) (buckets[(r.family === 4 ? 0 : 33) + prefixLen(r.cidr)] as BlockRecord[]).push(r);
  return buckets.filter((b) => b.length > 0).map((b) => byAddress(b, (r) => r.cidr));
}

/**
 * The file's text as pieces (for writeFileAtomicPieces or a join): a
 * consistent snapshot is taken at the call; the pieces are made on demand.
 */
export function blockLinePieces(records: Iterable<BlockRecord>, offenders: Iterable<Offender>, now: number): () => string | null {
  const buckets = outerFirst(records);
  const offs = [...offenders].map((o) => `[${JSON.stringify(o.cidr)},${o.count},${o.last}]`);
  const reasons = new Map<string, string>();
  const quoted = (s: string): string => {
    let q = reasons.get(s);
    if (q === undefined) {
      q = JSON.stringify(s);
      if (reasons.size < 10_000) reasons.set(s, q);
    }
    return q;
  };
  const line = (r: BlockRecord): string => `[${JSON.stringify(r.cidr)},${r.createdAt},${r.expiresAt ?? 'null'},${r.dl ?? 'null'},${r.manual},${quoted(r.reason)}]`;
  const head = `${JSON.stringify({ format: BLOCKS_FORMAT, version: BLOCKS_VERSION, savedAt: new Date(now).toISOString(), columns: BLOCK_COLUMNS }).slice(0, -1)},${BLOCKS_OPEN}`;
  let b = 0;
  let i = 0;
  let first = true;
  let stage: 'head' | 'blocks' | 'offenders' | 'done' = 'head';
  return () => {
    if (stage === 'head') {
      stage = 'blocks';
      return head;
    }
    if (stage === 'blocks') {
      const out: string[] = [];
      while (b < buckets.length && out.length < SLICE) {
        const bucket = buckets[b] as BlockRecord[];
        out.push(line(bucket[i] as BlockRecord));
        if (++i >= bucket.length) {
          b++;
          i = 0;
        }
      }
      if (out.length > 0) {
        const text = `${first ? '\n' : ',\n'}${out.join(',\n')}`;
        first = false;
        return text;
      }
      stage = 'offenders';
      return `\n${OFFENDERS_OPEN}${offs.length > 0 ? `\n${offs.join(',\n')}` : ''}\n${CLOSE}\n`;
    }
    stage = 'done';
    return null;
  };
}

/** The whole file as one string (small files, direct mode). */
export function blockLinesText(records: Iterable<BlockRecord>, offenders: Iterable<Offender>, now: number): string {
  const next = blockLinePieces(records, offenders, now);
  const parts: string[] = [];
  for (let p = next(); p !== null; p = next()) parts.push(p);
  return parts.join('');
}

/** What BlockLines.each() reports, line by line. */
export interface LineVisitor {
  /** A block row checked at the reader's time; its `parsed` may be shared with the next row (not to be kept). */
  block(r: ReadRecord | 'expired' | null): void;
  /** An offender row, parsed but unchecked (readOffenderRow). */
  offender(row: unknown): void;
  /** A damaged line (`line` true), or the file cut short. */
  bad(problem: string, line: boolean): void;
}

/** A version 2 file in the line layout, read lazily from its bytes. */
export class BlockLines {
  constructor(
    /** The header's savedAt (ISO), so the newer of two copies can be chosen. */
    readonly savedAt: string,
    readonly path: string,
    readonly bytes: Buffer,
    /** Offset of the first block line. */
    readonly start: number,
  ) {}

  /**
   * Calls the visitor with each block row (checked by readBlockRow at time
   * `now`), each offender row (parsed, unchecked), and what is wrong with a
   * line that is not one, or with the file as a whole (cut short).
   */
  each(now: number, v: LineVisitor): void {
    const next = this.#reader(now, v);
    while (next(Number.POSITIVE_INFINITY));
  }

  /** each(), with `pause()` awaited after every `every` lines (a restart feeding the firewall as it reads). */
  async eachAsync(now: number, v: LineVisitor, pause: () => Promise<void>, every = 4096): Promise<void> {
    const next = this.#reader(now, v);
    while (next(every)) await pause();
  }

  /** A reader of up to `max` lines per call; false once the file is read. */
  #reader(now: number, v: LineVisitor): (max: number) => boolean {
    const buf = this.bytes;
    const rows = new RowReader();
    let inOffenders = false;
    let closed = false;
    let from = this.start;
    return (max) => {
      for (let n = 0; n < max; n++) {
        if (closed || from >= buf.length) {
          if (!closed) v.bad(`${this.path}: the file ends before its list of blocks does (cut short: what followed the cut is lost)`, false);
          closed = true;
          return false;
        }
        let nl = buf.indexOf(10, from);
        if (nl < 0) nl = buf.length;
        let end = nl;
        while (end > from && (buf[end - 1] === 44 || buf[end - 1] === 13 || buf[end - 1] === 32)) end--; // trailing comma
        const lineFrom = from;
        from = nl + 1;
        if (!inOffenders) {
          const fast = rows.read(buf, lineFrom, end, now);
          if (fast !== undefined) {
            v.block(fast);
            continue;
          }
        }
        const text = buf.toString('utf8', lineFrom, end);
        if (text === '') continue;
        if (text === OFFENDERS_OPEN) {
          inOffenders = true;
          continue;
        }
        if (text === CLOSE || text === `]${CLOSE}`) {
          closed = true;
          return false;
        }
        let row: unknown;
        try {
          row = JSON.parse(text);
        } catch {
          v.bad('a damaged line (not JSON)', true);
          continue;
        }
        if (inOffenders) v.offender(row);
        else v.block(readBlockRow(row, now));
      }
      return true;
    };
  }

  /** The readable blocks as the state.json copy keeps them (version 1), for a daemon that keeps them without a manager. */
  toJSON(): BlockStateJson {
    const out: BlockStateJson = { version: 1, savedAt: this.savedAt, blocks: [], offenders: [] };
    this.each(Number.NEGATIVE_INFINITY, {
      block: (r) => {
        if (r !== null && r !== 'expired') out.blocks.push({ cidr: r.cidr, createdAt: new Date(r.createdAt).toISOString(), expiresAt: r.expiresAt === null ? null : new Date(r.expiresAt).toISOString(), reason: r.reason, dl: r.dl, manual: r.manual });
      },
      offender: (row) => {
        const o = readOffenderRow(row);
        if (o !== null) out.offenders.push({ cidr: o.cidr, count: o.count, last: new Date(o.last).toISOString() });
      },
      bad: () => undefined,
    });
    return out;
  }
}

/** Pieces of blockLinePieces() read back as a file would be (a SIGHUP rebuilds its manager from them: no objects of a million in between). */
export function linesFromPieces(next: () => string | null, path: string): BlockLines {
  const parts: Buffer[] = [];
  for (let p = next(); p !== null; p = next()) parts.push(Buffer.from(p));
  return openBlockLines(path, Buffer.concat(parts)) as BlockLines;
}

/** The file in the line layout, or null when it is in another layout (read it whole). */
export function openBlockLines(path: string, bytes: Buffer): BlockLines | null {
  const nl = bytes.indexOf(10);
  if (nl < 0) return null;
  const first = bytes.toString('utf8', 0, nl);
  if (!first.endsWith(BLOCKS_OPEN)) return null;
  let head: unknown;
  try {
    head = JSON.parse(`${first}]}`);
  } catch {
    return null;
  }
  const h = head as { format?: unknown; version?: unknown; savedAt?: unknown };
  if (h.format !== BLOCKS_FORMAT || h.version !== BLOCKS_VERSION || typeof h.savedAt !== 'string') return null;
  return new BlockLines(h.savedAt, path, bytes, nl + 1);
}
