/**
 * The line being parsed, as bytes. Archived files are parsed straight from
 * the chunks they are read in (no string per line); a line that arrives as
 * a string (live sources, journal messages) is turned into bytes first, so
 * there is one parser for every source.
 *
 * Positions are those of the line's text: for pure ASCII (nearly every log
 * line) a byte is a character. A line with other characters is decoded and
 * parsed from its UTF-16 code units, each non-ASCII unit standing as the
 * byte NON_ASCII, which matches nothing the parser looks for (as such a
 * character never did), and string values are cut from the decoded text.
 *
 * Reads past the line's end go through at(), which answers OUTSIDE: like a
 * string's charCodeAt past its end it equals, and is a digit or a space, for
 * nothing the parser asks. The bytes after a line in a chunk are the next
 * line's; they must never be taken for this one's.
 *
 * Strings made here are flat copies (latin1Slice), never slices of a larger
 * string: a tracked source's key must not keep a megabyte of input alive.
 */
import { Buffer } from 'node:buffer';

declare global {
  interface Buffer {
    /** Node's own latin1 decoder (toString('latin1', ...) without the argument checks); in Node since 0.x, missing from @types/node. */
    latin1Slice(start: number, end: number): string;
  }
}

/** What at() returns past the end: no comparison the parser makes is true for it. */
const OUTSIDE = 256;
/** The stand-in for a UTF-16 code unit above 127. */
const NON_ASCII = 0x80;

/** The current line's decoded text when it is not ASCII (null: cut strings from the bytes), and where it starts in them. */
let decoded: string | null = null;
let origin = 0;

/** The byte at i, or OUTSIDE at or past end. */
export function at(b: Uint8Array, i: number, end: number): number {
  return i < end ? (b[i] as number) : OUTSIDE;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Parse the bytes of [start, end) from here on, cutting strings from them. */
export function bytesLine(): void {
  decoded = null;
}

/** Parse a line given as text: returns its stand-in bytes (start 0, end text.length). */
export function textLine(text: string): Buffer {
  if (Buffer.byteLength(text, 'utf8') === text.length) {
    decoded = null;
    return Buffer.from(text, 'latin1');
  }
  const b = Buffer.allocUnsafe(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    b[i] = c < 128 ? c : NON_ASCII;
  }
  decoded = text;
  origin = 0;
  return b;
}

/**
 * A line of bytes that may hold UTF-8 beyond ASCII: decoded (as a string
 * decoder would have) and parsed as text; the returned bytes stand in for it.
 */
export function decodedLine(b: Uint8Array, start: number, end: number): Buffer {
  return textLine(Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('utf8'));
}

/** The current line's text in [from, to). */
export function str(b: Buffer, from: number, to: number): string {
  return decoded === null ? b.latin1Slice(from, to) : decoded.slice(from - origin, to - origin);
}

/** The whole current line as text (for the rare checks that need it: binary garbage). */
export function lineText(b: Buffer, start: number, end: number): string {
  return decoded === null ? b.latin1Slice(start, end) : decoded;
}

/** True while the current line is ASCII (its strings can be interned by their bytes). */
export function asciiLine(): boolean {
  return decoded === null;
}

/** Index of byte c in [from, to), or -1 (a JS loop: for the short distances of a token). */
export function indexIn(b: Uint8Array, c: number, from: number, to: number): number {
  for (let i = from; i < to; i++) if (b[i] === c) return i;
  return -1;
}

/** True when the bytes at i are the ASCII text t (and within end). */
export function bytesAre(b: Uint8Array, i: number, end: number, t: string): boolean {
  if (i + t.length > end) return false;
  for (let k = 0; k < t.length; k++) if (b[i + k] !== t.charCodeAt(k)) return false;
  return true;
}

/**
 * A native search for a fixed text that remembers its last answer, so that
 * lines searched one after another in one chunk cost one pass over the
 * chunk in all: Buffer.indexOf cannot stop at a line's end, and a log where
 * the text is rare would otherwise be scanned to the next occurrence for
 * every line. Answers past the line's end mean "not in this line".
 */
export class Finder {
  readonly #needle: Buffer;
  #b: Uint8Array | null = null;
  #from = 0;
  #hit = -1;

  constructor(text: string) {
    this.#needle = Buffer.from(text, 'latin1');
  }

  /** The first occurrence at or after from in the buffer (not bounded by a line), or -1. */
  find(b: Buffer, from: number): number {
    if (b === this.#b && from >= this.#from && (this.#hit < 0 || from <= this.#hit)) return this.#hit;
    this.#b = b;
    this.#from = from;
    this.#hit = b.indexOf(this.#needle, from);
    return this.#hit;
  }

  /** The first occurrence in [from, end) whose text ends by end, or -1. */
  findIn(b: Buffer, from: number, end: number): number {
    const i = this.find(b, from);
    return i >= 0 && i + this.#needle.length <= end ? i : -1;
  }

  /** Forgets the remembered answer (the buffer's bytes were rewritten). */
  reset(): void {
    this.#b = null;
  }
}

/**
 * Strings for short, repeated values (log prefixes, host and interface
 * names, MAC headers) made once: a line's bytes are hashed and compared to
 * the string kept in their slot, which is returned when equal. A cache, not
 * a full table: a slot holds the latest value that hashed to it.
 */
export class Interner {
  readonly #hashes = new Int32Array(4096);
  readonly #strings: string[] = new Array<string>(4096).fill('');

  get(b: Buffer, from: number, to: number): string {
    if (from >= to) return '';
    if (!asciiLine()) return str(b, from, to);
    let h = 0x811c9dc5 | 0;
    for (let i = from; i < to; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193);
    const slot = (h ^ (h >>> 15)) & 4095;
    const s = this.#strings[slot] as string;
    if (this.#hashes[slot] === h && s.length === to - from) {
      let same = true;
      for (let i = 0; i < s.length; i++) {
        if (s.charCodeAt(i) !== b[from + i]) {
          same = false;
          break;
        }
      }
      if (same) return s;
    }
    const fresh = b.latin1Slice(from, to);
    this.#hashes[slot] = h;
    this.#strings[slot] = fresh;
    return fresh;
  }
}
