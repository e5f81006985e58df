/**
 * Longest-prefix match from CIDRs to values, for IPv4 and IPv6 together.
 * One hash map per prefix length present: a lookup costs one map probe per
 * distinct length (a handful in practice: /32, /24, /64, /128), whatever the
 * number of entries, so a million-entry blocklist answers in microseconds.
 */
import { addressBytes, type Cidr, formatCidr, parseCidr } from './address.js';

interface Level<T> {
  len: number;
  map: Map<string | number, T>;
}

function keyOf(bytes: Uint8Array, len: number): string | number {
  if (bytes.length === 4) {
    const n = (((bytes[0] as number) << 24) >>> 0) + ((bytes[1] as number) << 16) + ((bytes[2] as number) << 8) + (bytes[3] as number);
    return len === 0 ? 0 : (n & (0xffffffff << (32 - len))) >>> 0;
  }
  // IPv6: hex of the whole bytes masked to len.
  let s = '';
  let bits = len;
  for (let i = 0; i < 16 && bits > 0; i++, bits -= 8) {
    const m = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    const v = (bytes[i] as number) & m;
    s += (v < 16 ? '0' : '') + v.toString(16);
  }
  return s;
}

export class PrefixMap<T> {
  #v4: Level<T>[] = [];
  #v6: Level<T>[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds or replaces the value for a CIDR (text or parsed); false when the text is invalid. */
  set(cidr: string | Cidr, value: T): boolean {
    const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
    if (c === null) return false;
    const levels = c.family === 4 ? this.#v4 : this.#v6;
    let level = levels.find((l) => l.len === c.len);
    if (level === undefined) {
      level = { len: c.len, map: new Map() };
      levels.push(level);
      levels.sort((a, b) => b.len - a.len); // longest first
    }
    const k = keyOf(c.bytes, c.len);
    if (!level.map.has(k)) this.#size++;
    level.map.set(k, value);
    return true;
  }

  /** Value of the longest prefix containing the address, or undefined. */
  get(addr: string | Uint8Array): T | undefined {
    const b = typeof addr === 'string' ? addressBytes(addr) : addr;
    if (b === null) return undefined;
    const levels = b.length === 4 ? this.#v4 : this.#v6;
    for (const level of levels) {
      const v = level.map.get(keyOf(b, level.len));
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** Like get(), also returning the matching prefix as text. */
  match(addr: string): { prefix: string; value: T } | undefined {
    const b = addressBytes(addr);
    if (b === null) return undefined;
    const levels = b.length === 4 ? this.#v4 : this.#v6;
    for (const level of levels) {
      const v = level.map.get(keyOf(b, level.len));
      if (v !== undefined) {
        const c = parseCidr(`${addr}/${level.len}`) as Cidr;
        return { prefix: formatCidr(c), value: v };
      }
    }
    return undefined;
  }

  has(addr: string): boolean {
    return this.get(addr) !== undefined;
  }
}
