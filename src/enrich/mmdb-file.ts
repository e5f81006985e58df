/**
 * One MaxMind DB file, re-read when it changes on disk (geoipupdate and
 * package upgrades replace the file in place or by rename). The change check
 * is a stat() compared with the last one, so it costs next to nothing; a file
 * caught half-written fails to parse or changes under the read, and the old
 * data stays in use until a later check succeeds.
 *
 * This is the only module that imports maxmind.
 */
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

/** Reads and parses the file; throws with the path in the message. */
async function readDb(path: string): Promise<{ reader: Reader<Response>; stamp: Stamp }> {
  const before = await stampOf(path);
  const buf = await readFile(path);
  const after = await stampOf(path);
  if (!sameStamp(before, after) || buf.length !== after.size) throw new Error(`${path}: changed while being read`);
  try {
    return { reader: new Reader<Response>(buf, { cache: new RecordCache() }), stamp: after };
  } catch (err) {
    throw new Error(`${path}: not a MaxMind DB file (${err instanceof Error ? err.message : String(err)})`);
  }
}

export class MmdbFile {
  #reader: Reader<Response>;
  #stamp: Stamp;
  #lastError: string | null = null;

  private constructor(
    readonly path: string,
    reader: Reader<Response>,
    stamp: Stamp,
  ) {
    this.#reader = reader;
    this.#stamp = stamp;
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
    return new MmdbFile(path, loaded.reader, loaded.stamp);
  }

  /** "country ipvAll", "GeoLite2-ASN", ... from the file's metadata. */
  get databaseType(): string {
    return this.#reader.metadata.databaseType;
  }

  get buildTime(): Date {
    return this.#reader.metadata.buildEpoch;
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
    if (this.#reader.metadata.ipVersion === 4 && addr.includes(':')) return null;
    return this.#reader.get(addr);
  }

  /** Re-reads the file when its mtime, size or inode changed; true when new data is in use. */
  async reloadIfChanged(): Promise<boolean> {
    try {
      const now = await stampOf(this.path);
      if (sameStamp(now, this.#stamp)) return false;
      const loaded = await readDb(this.path);
      this.#reader = loaded.reader;
      this.#stamp = loaded.stamp;
      this.#lastError = null;
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      this.#lastError = code ? `${this.path}: cannot read (${code})` : err instanceof Error ? err.message : String(err);
      return false;
    }
  }
}
