/**
 * Checked reading of saved detect state (JSON parsed from disk, or the
 * plain object another instance exported) and the byte encodings it uses.
 * Every reader throws StateError naming the field; the callers prefix the
 * path (sources[12].dsts...) while the error travels up, so a good file
 * costs no path strings.
 */
import { Buffer } from 'node:buffer';

export class StateError extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(`${path}: ${problem}`);
  }

  /** The same problem, one level further out (`outer.` + path). */
  within(outer: string): StateError {
    const sep = this.path === '' || this.path.startsWith('[') ? '' : '.';
    return new StateError(`${outer}${sep}${this.path}`, this.problem);
  }
}

export type Fields = Record<string, unknown>;

/** Checks the header of a saved state (format and version), throwing a readable Error. */
export function checkHeader(v: unknown, format: string, version: number, what: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`saved ${what} rejected: not a JSON object`);
  const o = v as Record<string, unknown>;
  if (o.format !== format) throw new Error(`saved ${what} rejected: format ${short(o.format)} is not "${format}"`);
  if (o.version !== version) throw new Error(`saved ${what} rejected: version ${short(o.version)} (this tsad reads version ${version})`);
  return o;
}

/** Turns a StateError into the Error callers see. */
export function rejected(what: string, err: unknown): Error {
  return err instanceof StateError ? new Error(`saved ${what} rejected: ${err.message}`, { cause: err }) : (err as Error);
}

export function record(v: unknown, path: string): Fields {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new StateError(path, 'expected an object');
  return v as Fields;
}

export function list(v: unknown, path: string, maxLen = Number.MAX_SAFE_INTEGER): unknown[] {
  if (!Array.isArray(v)) throw new StateError(path, 'expected an array');
  if (v.length > maxLen) throw new StateError(path, `more than ${maxLen} items`);
  return v;
}

/** An integer in [min, max]. */
export function int(v: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new StateError(path, `expected an integer in ${min}..${max}, got ${short(v)}`);
  return v;
}

export function finite(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !(v >= min && v <= max)) throw new StateError(path, `expected a number in ${min}..${max}, got ${short(v)}`);
  return v;
}

export function text(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new StateError(path, `expected a string, got ${short(v)}`);
  return v;
}

export function optText(o: Fields, key: string): string | null {
  const v = o[key];
  return v === undefined || v === null ? null : text(v, key);
}

/** a[i] as an integer in [min, max]; the path `name[i]` is only built for an error. */
export function intAt(a: readonly unknown[], i: number, name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = a[i];
  if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
  throw new StateError(`${name}[${i}]`, `expected an integer in ${min}..${max}, got ${short(v)}`);
}

export function textAt(a: readonly unknown[], i: number, name: string): string {
  const v = a[i];
  if (typeof v === 'string') return v;
  throw new StateError(`${name}[${i}]`, `expected a string, got ${short(v)}`);
}

export function textList(v: unknown, path: string, maxLen?: number): string[] {
  const a = list(v, path, maxLen);
  for (let i = 0; i < a.length; i++) textAt(a, i, path);
  return (a as string[]).slice();
}

export function intList(v: unknown, path: string, min: number, max: number, len?: number): number[] {
  const a = list(v, path);
  if (len !== undefined && a.length !== len) throw new StateError(path, `expected ${len} items, got ${a.length}`);
  for (let i = 0; i < a.length; i++) intAt(a, i, path, min, max);
  return (a as number[]).slice();
}

/** Bytes as base64 text. */
export function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** Base64 text that must decode to exactly `len` bytes. */
export function fromBase64(v: unknown, path: string, len: number): Uint8Array {
  const s = text(v, path);
  if (s.length !== Math.ceil(len / 3) * 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new StateError(path, `expected ${len} bytes as base64`);
  const b = Buffer.from(s, 'base64');
  if (b.length !== len) throw new StateError(path, `expected ${len} bytes as base64, got ${b.length}`);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength).slice();
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Counts (whole doubles) as little-endian bytes in base64 (the same file on any machine). */
export function doublesToBase64(a: Float64Array): string {
  if (LITTLE_ENDIAN) return toBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const b = Buffer.alloc(a.length * 8);
  for (let i = 0; i < a.length; i++) b.writeDoubleLE(a[i]!, i * 8);
  return b.toString('base64');
}

/** `n` saved counts: each a whole number from 0 to 2^53 - 1, else the field is refused. */
export function doublesFromBase64(v: unknown, path: string, n: number): Float64Array {
  const b = Buffer.from(fromBase64(v, path, n * 8));
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = b.readDoubleLE(i * 8);
    if (!Number.isSafeInteger(x) || x < 0) throw new StateError(`${path}[${i}]`, `expected a count, got ${x}`);
    out[i] = x;
  }
  return out;
}

/** 32-bit words as little-endian bytes (the same file on any machine). */
export function wordsToBase64(w: Int32Array): string {
  // A save encodes a dense port bitmap (8 KiB) per busy source: the bytes as they are, not word by word (2 against 23 µs).
  if (LITTLE_ENDIAN) return toBase64(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  const b = Buffer.alloc(w.length * 4);
  for (let i = 0; i < w.length; i++) b.writeInt32LE(w[i]!, i * 4);
  return b.toString('base64');
}

export function wordsFromBase64(v: unknown, path: string, words: number): Int32Array {
  const bytes = fromBase64(v, path, words * 4);
  // A copy into an aligned buffer of its own (the decoded bytes may start anywhere in a shared one).
  if (LITTLE_ENDIAN) return new Int32Array(Uint8Array.from(bytes).buffer);
  const b = Buffer.from(bytes);
  const w = new Int32Array(words);
  for (let i = 0; i < words; i++) w[i] = b.readInt32LE(i * 4);
  return w;
}

function short(v: unknown): string {
  const s = v === undefined ? 'nothing' : JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/**
 * Reads a flat saved tuple front to back. Field names are passed as
 * constants and used only in errors; one cursor is reused for every source.
 */
export class Cursor {
  a: readonly unknown[] = [];
  i = 0;

  reset(a: readonly unknown[]): this {
    this.a = a;
    this.i = 0;
    return this;
  }

  get left(): number {
    return this.a.length - this.i;
  }

  /** The next value as is (for the fields with several forms). */
  next(name: string): unknown {
    if (this.i >= this.a.length) throw new StateError(name, 'missing (the record ends early)');
    return this.a[this.i++];
  }

  int(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.a[this.i++];
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    throw new StateError(name, `expected an integer in ${min}..${max}, got ${short(v)}`);
  }

  num(name: string, min: number, max: number): number {
    const v = this.a[this.i++];
    if (typeof v === 'number' && v >= min && v <= max) return v;
    throw new StateError(name, `expected a number in ${min}..${max}, got ${short(v)}`);
  }

  text(name: string): string {
    const v = this.a[this.i++];
    if (typeof v === 'string') return v;
    throw new StateError(name, `expected a string, got ${short(v)}`);
  }

  /** A count of `per`-value items that must fit in what is left. */
  count(name: string, per: number): number {
    const n = this.int(name);
    if (n * per > this.left) throw new StateError(name, `${n} items do not fit in the record`);
    return n;
  }
}
