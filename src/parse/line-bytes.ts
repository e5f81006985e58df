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

/**
 * Horspool shift tables of the texts findText() looks for (a few constants),
 * found by a scan of their texts: the callers pass string literals, which
 * compare by identity, sooner than a Map hashes.
 */
const shiftTexts: string[] = [];
const shiftTables: Uint8Array[] = [];

function shiftsOf(t: string): Uint8Array {
  for (let k = 0; k < shiftTexts.length; k++) if (shiftTexts[k] === t) return shiftTables[k] as Uint8Array;
  const table = new Uint8Array(256).fill(t.length);
  for (let k = 0; k < t.length - 1; k++) table[t.charCodeAt(k)] = t.length - 1 - k;
  shiftTexts.push(t);
  shiftTables.push(table);
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

/** The buffer wordsOf() last made a view of, and the view. */
let viewed: Uint8Array | null = null;
let view: DataView = new DataView(new ArrayBuffer(0));

/**
 * A DataView of b (made once per buffer: a chunk holds thousands of lines),
 * for comparing and hashing bytes four at a time: Int32 reads of a DataView
 * are inlined by V8's optimizing compiler, some three times as fast as the
 * bytes one by one.
 */
export function wordsOf(b: Uint8Array): DataView {
  if (b !== viewed) {
    view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    viewed = b;
  }
  return view;
}

/** True when x[xi, xi + len) and y[yi, yi + len) (xv, yv: views of x, y) hold the same bytes. */
export function sameBytes(xv: DataView, x: Uint8Array, xi: number, yv: DataView, y: Uint8Array, yi: number, len: number): boolean {
  let k = 0;
  for (; k + 4 <= len; k += 4) if (xv.getInt32(xi + k, true) !== yv.getInt32(yi + k, true)) return false;
  for (; k < len; k++) if (x[xi + k] !== y[yi + k]) return false;
  return true;
}

/** FNV-1a over b[from, to) four bytes at a time (v: b's view), mixed so that its low bits spread. */
export function hashBytes(v: DataView, b: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5 | 0;
  let k = from;
  for (; k + 4 <= to; k += 4) h = Math.imul(h ^ v.getInt32(k, true), 0x01000193);
  for (; k < to; k++) h = Math.imul(h ^ (b[k] as number), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

/** Where the token RecentTokens.token() found ends. */
export let tokenEnd = 0;

/**
 * The two values kept last for a kind of token, by their bytes (at most
 * LAST_BYTES each), tried before anything else: consecutive lines nearly
 * always repeat one (two, because IPv4 and IPv6 lines interleave and differ
 * in MAC header and addresses). A match is found without scanning for the
 * token's end first.
 */
export class RecentTokens {
  readonly #values: string[] = ['', ''];
  readonly #bytes = new Uint8Array(2 * LAST_BYTES);
  readonly #view = new DataView(this.#bytes.buffer);
  /** Lengths; -1: nothing kept. */
  readonly #lengths = new Int32Array([-1, -1]);
  /** Which of the two was found or kept last (tried first). */
  #mru = 0;

  /** The value kept for exactly the bytes b[from, to), or null. */
  exact(b: Uint8Array, from: number, to: number): string | null {
    const len = to - from;
    const v = wordsOf(b);
    const m = this.#mru;
    if (len === this.#lengths[m] && sameBytes(this.#view, this.#bytes, m * LAST_BYTES, v, b, from, len)) return this.#values[m] as string;
    const o = m ^ 1;
    if (len === this.#lengths[o] && sameBytes(this.#view, this.#bytes, o * LAST_BYTES, v, b, from, len)) {
      this.#mru = o;
      return this.#values[o] as string;
    }
    return null;
  }

  /** The value kept for the token at `from` (which ends at a space or at `end`: tokenEnd is set there), or null. */
  token(b: Uint8Array, from: number, end: number): string | null {
    const v = wordsOf(b);
    const m = this.#mru;
    let len = this.#lengths[m] as number;
    if (len >= 0 && (from + len === end || (from + len < end && b[from + len] === 32)) && sameBytes(this.#view, this.#bytes, m * LAST_BYTES, v, b, from, len)) {
      tokenEnd = from + len;
      return this.#values[m] as string;
    }
    const o = m ^ 1;
    len = this.#lengths[o] as number;
    if (len >= 0 && (from + len === end || (from + len < end && b[from + len] === 32)) && sameBytes(this.#view, this.#bytes, o * LAST_BYTES, v, b, from, len)) {
      tokenEnd = from + len;
      this.#mru = o;
      return this.#values[o] as string;
    }
    return null;
  }

  /** Keeps `value` for the bytes b[from, to) in place of the one used less recently (not when longer than LAST_BYTES). */
  keep(b: Uint8Array, from: number, to: number, value: string): void {
    const len = to - from;
    if (len > LAST_BYTES) return;
    const o = this.#mru ^ 1;
    this.#values[o] = value;
    this.#lengths[o] = len;
    for (let k = 0; k < len; k++) this.#bytes[o * LAST_BYTES + k] = b[from + k] as number;
    this.#mru = o;
  }
}

/**
 * Strings for short, repeated values (log prefixes, host and interface
 * names, MAC headers) made once: the recent values are tried first
 * (RecentTokens), then the bytes are hashed and compared to the string kept
 * in their slot, which is returned when equal. A cache, not a full table: a
 * slot holds the latest value that hashed to it.
 */
export class Interner {
  readonly #hashes = new Int32Array(4096);
  readonly #strings: string[] = new Array<string>(4096).fill('');
  readonly #recent = new RecentTokens();

  get(b: Buffer, from: number, to: number): string {
    if (from >= to) return '';
    if (!asciiLine()) return str(b, from, to);
    return this.#recent.exact(b, from, to) ?? this.#lookUp(b, from, to);
  }

  /** The token at `from`, up to the next space or `end` (tokenEnd is set to its end): get() of it, found without a scan when recent. */
  token(b: Buffer, from: number, end: number): string {
    const r = this.recent(b, from, end);
    if (r !== null) return r;
    let to = from;
    while (to < end && b[to] !== 32) to++;
    const s = this.get(b, from, to);
    tokenEnd = to;
    return s;
  }

  /** get() of the token at `from` (up to a space or `end`; tokenEnd is set there) when it is one of the two kept last, else null. */
  recent(b: Buffer, from: number, end: number): string | null {
    return asciiLine() && from < end ? this.#recent.token(b, from, end) : null;
  }

  #lookUp(b: Buffer, from: number, to: number): string {
    const h = hashBytes(wordsOf(b), b, from, to);
    const slot = h & 4095;
    let s = this.#strings[slot] as string;
    if (this.#hashes[slot] !== h || !sameText(s, b, from, to)) {
      s = b.latin1Slice(from, to);
      this.#hashes[slot] = h;
      this.#strings[slot] = s;
    }
    this.#recent.keep(b, from, to, s);
    return s;
  }
}

/** Values up to this long (a MAC header is 41 characters, a full IPv6 address 39) are compared to the recent ones by their bytes. */
const LAST_BYTES = 64;

/** True when the string s is the ASCII bytes b[from, to). */
export function sameText(s: string, b: Uint8Array, from: number, to: number): boolean {
  if (s.length !== to - from) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== b[from + i]) return false;
  return true;
}
