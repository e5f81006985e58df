/**
 * Index of the installed (firewall-visible) blocks, which never overlap:
 * answers "which installed prefix covers this cidr?" with one map probe per
 * prefix length present, "which installed blocks lie inside this prefix?"
 * without parsing any cidr text, and supports deletion (src/net's PrefixMap
 * does not). The index keeps no Cidr: callers may pass a reused scratch one.
 */
import type { Cidr } from '../../net/address.js';

type Key = number | string;

/** IPv4: the network as a signed int32 (a small integer to V8: a Map probe with no string and no heap number). */
function key4(bytes: Uint8Array, len: number): number {
  const n = ((bytes[0] as number) << 24) | ((bytes[1] as number) << 16) | ((bytes[2] as number) << 8) | (bytes[3] as number);
  return len === 0 ? 0 : n & (-1 << (32 - len));
}

/** IPv6: the first `len` bits, two bytes to a UTF-16 code unit (a million keys at a restore: no copies, no hex). */
function key6(bytes: Uint8Array, len: number): string {
  let s = '';
  for (let i = 0, bits = len; bits > 0; i += 2, bits -= 16) {
    const word = (((bytes[i] as number) << 8) | ((bytes[i + 1] as number) ?? 0)) & (bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff);
    s += String.fromCharCode(word);
  }
  return s;
}

function key(c: { family: number; bytes: Uint8Array }, len: number): Key {
  return c.family === 4 ? key4(c.bytes, len) : key6(c.bytes, len);
}

/** Does the key of a longer prefix start with the `len` bits of `outer`? */
function within(k: Key, outer: Key, len: number): boolean {
  if (typeof k === 'number') return len === 0 || (k & (-1 << (32 - len))) === outer;
  const o = outer as string;
  const full = len >>> 4;
  if (k.slice(0, full) !== o.slice(0, full)) return false;
  const rest = len & 15;
  return rest === 0 || (k.charCodeAt(full) & ((0xffff << (16 - rest)) & 0xffff)) === o.charCodeAt(full);
}

/** One family's levels: a map per prefix length present, and those lengths in ascending order. */
interface Levels {
  maps: Array<Map<Key, string> | undefined>;
  lens: number[];
}

export class PrefixIndex {
  /** family -> prefix length -> network key -> cidr text (arrays, not Maps: covering() runs once per block at a restore, a million times). */
  readonly #levels: Record<number, Levels> = { 4: { maps: [], lens: [] }, 6: { maps: [], lens: [] } };

  add(c: Cidr, text: string): void {
    const fam = this.#levels[c.family] as Levels;
    let lvl = fam.maps[c.len];
    if (lvl === undefined) {
      fam.maps[c.len] = lvl = new Map();
      fam.lens.push(c.len);
      fam.lens.sort((a, b) => a - b);
    }
    lvl.set(key(c, c.len), text);
  }

  delete(c: Cidr): void {
    const fam = this.#levels[c.family] as Levels;
    const lvl = fam.maps[c.len];
    if (lvl === undefined) return;
    lvl.delete(key(c, c.len));
    if (lvl.size === 0) {
      fam.maps[c.len] = undefined;
      fam.lens.splice(fam.lens.indexOf(c.len), 1);
    }
  }

  /** The indexed prefix equal to or containing `c`, if any. */
  covering(c: Cidr): string | undefined {
    const fam = this.#levels[c.family] as Levels;
    for (let i = 0; i < fam.lens.length; i++) {
      const len = fam.lens[i] as number;
      if (len > c.len) break;
      const hit = (fam.maps[len] as Map<Key, string>).get(key(c, len));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /** The indexed prefixes strictly inside `c` (longer, and starting with its bits). */
  inside(c: Cidr): string[] {
    const out: string[] = [];
    const fam = this.#levels[c.family] as Levels;
    const outer = key(c, c.len);
    for (const len of fam.lens) {
      if (len <= c.len) continue;
      for (const [k, text] of fam.maps[len] as Map<Key, string>) if (within(k, outer, c.len)) out.push(text);
    }
    return out;
  }
}
