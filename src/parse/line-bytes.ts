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

const char = String.fromCharCode;

/**
 * The ASCII bytes b[from, to) as a flat string, for short tokens (7 to 15
 * bytes: a dotted quad) made often: String.fromCharCode of the bytes is
 * about twice as fast as a call to latin1Slice; other lengths use that.
 */
export function shortText(b: Buffer, from: number, to: number): string {
  const f = from;
  switch (to - from) {
    case 7: return char(b[f]!, b[f + 1]!, b[f + 2]!, b[f + 3]!, b[f + 4]!, b[f + 5]!, b[f + 6]!);
    case 8: return char(b[f]!, b[f + 1]!, b[f + 2]!, b[f + 3]!, b[f + 4]!, b[f + 5]!, b[f + 6]!, b[f + 7]!);
    case 9: return char(b[f]!, b[f + 1]!, b[f + 2]!, b[f + 3]!, b[f + 4]!, b[f + 5]!, b[f + 6]!, b[f + 7]!, b[f + 8]!);
    case 10: return char(b[f]!, b[f + 1]!, b[f + 2]!, b[f + 3]!, b[f + 4]!, b[f + 5]!, b[f + 6]!, b[f + 7]!, b[f + 8]!, b[f + 9]!);
    case 11: return char(b[f]!, b[f + 1]!, b[f + 2]!, b[f + 3]!, b[f + 4]!, b[f + 5]!, b[f + 6]!, b[f + 7]!, b[f + 8]!, b[f + 9]!, b[f + 10]!);
    case 12: return char(b[f]!, b[f + 1]!, b[f + 2]!, b[f + 3]!, b[f + 4]!, b[f + 5]!, b[f + 6]!, b[f + 7]!, b[f + 8]!, b[f + 9]!, b[f + 10]!, b[f + 11]!);
    case 13: return char(b[f]!, b[f + 1]!, b[f + 2]!, b[f + 3]!, b[f + 4]!, b[f + 5]!, b[f + 6]!, b[f + 7]!, b[f + 8]!, b[f + 9]!, b[f + 10]!, b[f + 11]!, b[f + 12]!);
    case 14: return char(b[f]!, b[f + 1]!, b[f + 2]!, b[f + 3]!, b[f + 4]!, b[f + 5]!, b[f + 6]!, b[f + 7]!, b[f + 8]!, b[f + 9]!, b[f + 10]!, b[f + 11]!, b[f + 12]!, b[f + 13]!);
    case 15: return char(b[f]!, b[f + 1]!, b[f + 2]!, b[f + 3]!, b[f + 4]!, b[f + 5]!, b[f + 6]!, b[f + 7]!, b[f + 8]!, b[f + 9]!, b[f + 10]!, b[f + 11]!, b[f + 12]!, b[f + 13]!, b[f + 14]!);
    default: return b.latin1Slice(from, to);
  }
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

/** Horspool shift tables of the texts findText() looks for (a few constants). */
const shiftTables = new Map<string, Uint8Array>();

function shiftsOf(t: string): Uint8Array {
  let table = shiftTables.get(t);
  if (table === undefined) {
    table = new Uint8Array(256).fill(t.length);
    for (let k = 0; k < t.length - 1; k++) table[t.charCodeAt(k)] = t.length - 1 - k;
    shiftTables.set(t, table);
  }
  return table;
}

/**
 * Index of the first ASCII text t (1 to 255 characters) in b[from, end)
 * (wholly inside), or -1. Horspool's search: the byte under the needle's
 * last character says how far it can move (its whole length for a byte not
 * in it), so an `IN=` a few dozen bytes into a line is found in a third of
 * the steps. A JS loop, nearer than the cost of a call to Buffer.indexOf,
 * which could not stop at the line's end.
 */
export function findText(b: Uint8Array, t: string, from: number, end: number): number {
  const n = t.length - 1;
  const tail = t.charCodeAt(n);
  const shifts = shiftsOf(t);
  const last = end - n;
  for (let i = from; i < last; ) {
    const c = b[i + n] as number;
    if (c === tail) {
      let k = 0;
      while (k < n && b[i + k] === t.charCodeAt(k)) k++;
      if (k === n) return i;
    }
    i += shifts[c] as number;
  }
  return -1;
}

/**
 * Strings for short, repeated values (log prefixes, host and interface
 * names, MAC headers) made once: the value returned last is tried first
 * (consecutive lines nearly always repeat it), then the bytes are hashed and
 * compared to the string kept in their slot, which is returned when equal.
 * A cache, not a full table: a slot holds the latest value that hashed to it.
 */
export class Interner {
  readonly #hashes = new Int32Array(4096);
  readonly #strings: string[] = new Array<string>(4096).fill('');
  #last = '';
  /** The bytes of #last when it is at most LAST_BYTES long (#lastLength, else -1): compared byte to byte, twice as fast as to its characters. */
  readonly #lastBytes = new Uint8Array(LAST_BYTES);
  #lastLength = -1;

  get(b: Buffer, from: number, to: number): string {
    if (from >= to) return '';
    if (!asciiLine()) return str(b, from, to);
    const len = to - from;
    if (len === this.#lastLength) {
      const last = this.#lastBytes;
      let k = 0;
      while (k < len && last[k] === b[from + k]) k++;
      if (k === len) return this.#last;
    }
    let h = 0x811c9dc5 | 0;
    for (let i = from; i < to; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193);
    const slot = (h ^ (h >>> 15)) & 4095;
    let s = this.#strings[slot] as string;
    if (this.#hashes[slot] !== h || !sameText(s, b, from, to)) {
      s = b.latin1Slice(from, to);
      this.#hashes[slot] = h;
      this.#strings[slot] = s;
    }
    this.#last = s;
    this.#lastLength = len <= LAST_BYTES ? len : -1;
    if (len <= LAST_BYTES) for (let k = 0; k < len; k++) this.#lastBytes[k] = b[from + k] as number;
    return s;
  }
}

/** Values up to this long (a MAC header is 41 characters) are compared to the last one by their bytes. */
const LAST_BYTES = 64;

/** True when the string s is the ASCII bytes b[from, to). */
export function sameText(s: string, b: Uint8Array, from: number, to: number): boolean {
  if (s.length !== to - from) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== b[from + i]) return false;
  return true;
}
