/**
 * A blocks.json block line in the layout tsad writes, read from its bytes:
 *
 *   ["198.51.100.7",1767225600000,1767229200000,5,false,"danger level 5"]
 *
 * A million of them at a restart: no line string, no JSON.parse, no array,
 * and an IPv4 address checked and taken from the bytes without a parse of
 * its text. The reader takes a line only where it gives exactly what
 * JSON.parse and readBlockRow (state.ts) give; any other spelling (spaces,
 * escapes, other number forms) is left to them (undefined).
 */
import type { Cidr } from '../../net/address.js';
import { canonicalCidr } from './cidr.js';
import { MAX_TIME, type ReadRecord } from './state.js';

const QUOTE = 34;
const COMMA = 44;
const DOT = 46;
const SLASH = 47;
const COLON = 58;
const BACKSLASH = 92;

/** Bytes an address or prefix is written with (no escape can hide among them). */
function cidrByte(c: number): boolean {
  return (c >= 48 && c <= 57) || c === DOT || c === SLASH || c === COLON || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

export class RowReader {
  /** The prefix of the last IPv4 row read: shared, so a record must not keep `parsed` (RecordStore.put does not). */
  readonly #v4: Cidr = { family: 4, bytes: new Uint8Array(4), len: 32 };
  /** The last reason read: a million rows share a few. */
  #reason = '';
  #p = 0;

  /** The row in bytes [from, end) of `buf`: a record, 'expired', null when unreadable, undefined when not in this layout. */
  read(buf: Buffer, from: number, end: number, now: number): ReadRecord | 'expired' | null | undefined {
    if (end - from < 20 || buf[from] !== 91 || buf[from + 1] !== QUOTE || buf[end - 1] !== 93) return undefined;
    const cidrFrom = from + 2;
    let p = cidrFrom;
    while (p < end && cidrByte(buf[p] as number)) p++;
    if (buf[p] !== QUOTE || buf[p + 1] !== COMMA || p === cidrFrom) return undefined;
    const cidrEnd = p;
    this.#p = p + 2;
    const createdAt = this.#int(buf, end);
    if (createdAt < 0 || !this.#comma(buf)) return undefined;
    const expiresAt = this.#null(buf) ? null : this.#int(buf, end);
    if (expiresAt === -1 || !this.#comma(buf)) return undefined;
    let dl: number | null;
    if (this.#null(buf)) dl = null;
    else {
      const c = (buf[this.#p] as number) - 48;
      if (c < 0 || c > 5 || buf[this.#p + 1] !== COMMA) return undefined;
      dl = c;
      this.#p++;
    }
    if (!this.#comma(buf)) return undefined;
    let manual: boolean;
    if (this.#word(buf, 'true')) manual = true;
    else if (this.#word(buf, 'false')) manual = false;
    else return undefined;
    if (!this.#comma(buf) || buf[this.#p] !== QUOTE || this.#p >= end - 2 || buf[end - 2] !== QUOTE) return undefined;
    const reason = this.#text(buf, this.#p + 1, end - 2);
    if (reason === null) return undefined;
    // readBlockRow's order: an expired row is dropped before its address is looked at.
    if (expiresAt !== null && expiresAt <= now) return 'expired';
    const v4 = this.#ipv4(buf, cidrFrom, cidrEnd);
    let text: string;
    let parsed: Cidr;
    if (v4) {
      text = buf.toString('latin1', cidrFrom, cidrEnd);
      parsed = this.#v4;
    } else {
      const c = canonicalCidr(buf.toString('latin1', cidrFrom, cidrEnd));
      if (c === null) return null;
      text = c.text;
      parsed = c.cidr;
    }
    return { cidr: text, createdAt, expiresAt, reason, dl, manual, parsed };
  }

  /** A JSON integer within saved times (0 ..= MAX_TIME, no leading zero); -1 otherwise. */
  #int(buf: Buffer, end: number): number {
    const start = this.#p;
    let p = start;
    let n = 0;
    while (p < end) {
      const c = (buf[p] as number) - 48;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
      p++;
    }
    const digits = p - start;
    if (digits === 0 || digits > 16 || (digits > 1 && buf[start] === 48) || n > MAX_TIME) return -1;
    this.#p = p;
    return n;
  }

  #comma(buf: Buffer): boolean {
    if (buf[this.#p] !== COMMA) return false;
    this.#p++;
    return true;
  }

  #null(buf: Buffer): boolean {
    return this.#word(buf, 'null');
  }

  #word(buf: Buffer, w: string): boolean {
    for (let i = 0; i < w.length; i++) if (buf[this.#p + i] !== w.charCodeAt(i)) return false;
    this.#p += w.length;
    return true;
  }

  /** Printable ASCII with no quote or backslash (the same string to JSON.parse); null otherwise. */
  #text(buf: Buffer, from: number, end: number): string | null {
    const last = this.#reason;
    let same = end - from === last.length;
    for (let p = from; p < end; p++) {
      const c = buf[p] as number;
      if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) return null;
      if (same && c !== last.charCodeAt(p - from)) same = false;
    }
    if (same) return last;
    this.#reason = buf.toString('latin1', from, end);
    return this.#reason;
  }

  /**
   * An IPv4 address or prefix in its canonical spelling (no leading zeros, no
   * `/32`, no host bits), into the shared Cidr; false for anything else
   * (canonicalCidr decides).
   */
  #ipv4(buf: Buffer, from: number, end: number): boolean {
    let n = 0;
    let part = -1;
    let dots = 0;
    let p = from;
    for (; p < end; p++) {
      const c = buf[p] as number;
      if (c >= 48 && c <= 57) {
        if (part === 0) return false;
        part = part < 0 ? c - 48 : part * 10 + (c - 48);
        if (part > 255) return false;
      } else if (c === DOT && part >= 0 && dots < 3) {
        n = n * 256 + part;
        part = -1;
        dots++;
      } else break;
    }
    if (dots !== 3 || part < 0) return false;
    n = n * 256 + part;
    let len = 32;
    if (p < end) {
      if (buf[p] !== SLASH || end - p < 2 || end - p > 3 || (end - p === 3 && buf[p + 1] === 48)) return false;
      len = 0;
      for (let q = p + 1; q < end; q++) {
        const c = (buf[q] as number) - 48;
        if (c < 0 || c > 9) return false;
        len = len * 10 + c;
      }
      if (len > 31 || (len < 32 && (n & (len === 0 ? 0xffffffff : ~(-1 << (32 - len)))) !== 0)) return false;
    }
    const b = this.#v4.bytes;
    b[0] = n >>> 24;
    b[1] = (n >>> 16) & 255;
    b[2] = (n >>> 8) & 255;
    b[3] = n & 255;
    this.#v4.len = len;
    return true;
  }
}
