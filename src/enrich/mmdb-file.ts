/**
 * One MaxMind DB file, re-read when it changes on disk (geoipupdate and
 * package upgrades replace the file in place or by rename). The change check
 * is a stat() compared with the last one, so it costs next to nothing; a file
 * caught half-written fails to parse or changes under the read, and the old
 * data stays in use until a later check succeeds.
 *
 * This is the only module that imports maxmind.
 */
import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Reader, type Response } from 'maxmind';

interface Stamp {
  mtimeMs: number;
  size: number;
  ino: number;
}

function sameStamp(a: Stamp, b: Stamp): boolean {
  return a.mtimeMs === b.mtimeMs && a.size === b.size && a.ino === b.ino;
}

async function stampOf(path: string): Promise<Stamp> {
  const s = await stat(path);
  return { mtimeMs: s.mtimeMs, size: s.size, ino: s.ino };
}

/** Decoded records kept per file: far fewer records than networks, so most lookups find theirs here. */
const RECORD_CACHE = 20_000;

/**
 * Decoded records by their offset in the data section (mmdb-lib's decoder
 * cache). Many networks share a record, and decoding one builds its objects
 * and strings anew each time: with the cache a report of a million sources
 * decodes each record once. Bounded by emptying it when full (no per-hit
 * bookkeeping); the records are shared, so callers must not modify them.
 */
class RecordCache {
  readonly #map = new Map<number, unknown>();

  get(offset: number): unknown {
    return this.#map.get(offset);
  }

  set(offset: number, record: unknown): void {
    if (this.#map.size >= RECORD_CACHE) this.#map.clear();
    this.#map.set(offset, record);
  }
}

function stampOfSync(path: string): Stamp {
  const s = statSync(path);
  return { mtimeMs: s.mtimeMs, size: s.size, ino: s.ino };
}

/** Reads and parses the file; throws with the path in the message. */
interface Loaded {
  reader: Reader<Response>;
  /** The file's bytes, which the reader reads. */
  buf: Buffer;
  stamp: Stamp;
}

async function readDb(path: string): Promise<Loaded> {
  const before = await stampOf(path);
  const buf = await readFile(path);
  return parseDb(path, buf, before, await stampOf(path));
}

/** readDb without waiting: for a file let go of (release()) and asked again. */
function readDbSync(path: string): Loaded {
  const before = stampOfSync(path);
  const buf = readFileSync(path);
  return parseDb(path, buf, before, stampOfSync(path));
}

function parseDb(path: string, buf: Buffer, before: Stamp, after: Stamp): Loaded {
  if (!sameStamp(before, after) || buf.length !== after.size) throw new Error(`${path}: changed while being read`);
  try {
    return { reader: new Reader<Response>(buf, { cache: new RecordCache() }), buf, stamp: after };
  } catch (err) {
    throw new Error(`${path}: not a MaxMind DB file (${err instanceof Error ? err.message : String(err)})`);
  }
}

export class MmdbFile {
  /** Null once released: the next get() reads the file again. */
  #reader: Reader<Response> | null;
  #buf: Buffer | null;
  #metadata: Reader<Response>['metadata'];
  #stamp: Stamp;
  #lastError: string | null = null;

  private constructor(
    readonly path: string,
    loaded: Loaded,
  ) {
    this.#reader = loaded.reader;
    this.#buf = loaded.buf;
    this.#metadata = loaded.reader.metadata;
    this.#stamp = loaded.stamp;
  }

  /** Opens the file; throws an Error naming the path when it cannot be read or parsed. */
  static async open(path: string): Promise<MmdbFile> {
    let loaded;
    try {
      loaded = await readDb(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw code ? new Error(`${path}: cannot read (${code})`) : err;
    }
    return new MmdbFile(path, loaded);
  }

  /** "country ipvAll", "GeoLite2-ASN", ... from the file's metadata. */
  get databaseType(): string {
    return this.#metadata.databaseType;
  }

  get buildTime(): Date {
    return this.#metadata.buildEpoch;
  }

  /** The last failed reload, or null when the current data is the file on disk. */
  get lastError(): string | null {
    return this.#lastError;
  }

  /**
   * The record for an address (valid text), or null. Records are shared
   * between lookups (decoded once): read them, never modify them. An IPv4-only database
   * cannot answer for IPv6: its tree would walk the first 32 bits of the
   * IPv6 address and return some unrelated IPv4 record.
   */
  get(addr: string): unknown {
    if (this.#metadata.ipVersion === 4 && addr.includes(':')) return null;
    return this.#loaded()?.get(addr) ?? null;
  }

  /**
   * Lets go of the file's contents (a whole database is held in memory),
   * for a lookup that has answered all it will be asked. A later get()
   * reads the file again; when that fails it answers null and lastError says why.
   *
   * The bytes are freed now, not at V8's next full collection (which in a
   * long analysis may come only after the report): their ArrayBuffer is
   * transferred away (it is the file's alone: fs allocates it unpooled) to
   * a clone that nothing keeps, and the next minor collection frees that.
   * Decoded records hold copies, never views of the bytes (GeoInfo is
   * strings and numbers).
   */
  release(): void {
    const buf = this.#buf;
    this.#reader = null;
    this.#buf = null;
    if (buf === null) return;
    const bytes = buf.buffer;
    if (!(bytes instanceof ArrayBuffer) || buf.byteOffset !== 0 || bytes.byteLength !== buf.length) return;
    try {
      structuredClone(bytes, { transfer: [bytes] });
    } catch {
      // Not transferable after all: the collector frees it in its time.
    }
  }

  #loaded(): Reader<Response> | null {
    if (this.#reader === null) {
      try {
        this.#use(readDbSync(this.path));
      } catch (err) {
        this.#failed(err);
      }
    }
    return this.#reader;
  }

  #use(loaded: Loaded): void {
    this.#reader = loaded.reader;
    this.#buf = loaded.buf;
    this.#metadata = loaded.reader.metadata;
    this.#stamp = loaded.stamp;
    this.#lastError = null;
  }

  #failed(err: unknown): void {
    const code = (err as NodeJS.ErrnoException).code;
    this.#lastError = code ? `${this.path}: cannot read (${code})` : err instanceof Error ? err.message : String(err);
  }

  /** Re-reads the file when its mtime, size or inode changed; true when new data is in use. */
  async reloadIfChanged(): Promise<boolean> {
    try {
      const now = await stampOf(this.path);
      if (sameStamp(now, this.#stamp)) return false;
      this.#use(await readDb(this.path));
      return true;
    } catch (err) {
      this.#failed(err);
      return false;
    }
  }
}
