/**
 * Index of the installed (firewall-visible) blocks, which never overlap:
 * answers "which installed prefix covers this cidr?" with one map probe per
 * prefix length present, and supports deletion (src/net's PrefixMap does not).
 */
import type { Cidr } from '../../net/address.js';

/** The first `len` bits of `bytes`, two bytes to a UTF-16 code unit (a million keys at a restore: no copies, no hex). */
function key(bytes: Uint8Array, len: number): string {
  let s = '';
  for (let i = 0, bits = len; bits > 0; i += 2, bits -= 16) {
    const word = (((bytes[i] as number) << 8) | ((bytes[i + 1] as number) ?? 0)) & (bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff);
    s += String.fromCharCode(word);
  }
  return s;
}

export class PrefixIndex {
  /** family -> prefix length -> network key -> cidr text */
  readonly #levels = new Map<number, Map<number, Map<string, string>>>();

  add(c: Cidr, text: string): void {
    let fam = this.#levels.get(c.family);
    if (!fam) this.#levels.set(c.family, (fam = new Map()));
    let lvl = fam.get(c.len);
    if (!lvl) fam.set(c.len, (lvl = new Map()));
    lvl.set(key(c.bytes, c.len), text);
  }

  delete(c: Cidr): void {
    const lvl = this.#levels.get(c.family)?.get(c.len);
    if (!lvl) return;
    lvl.delete(key(c.bytes, c.len));
    if (lvl.size === 0) this.#levels.get(c.family)?.delete(c.len);
  }

  /** The indexed prefix equal to or containing `c`, if any. */
  covering(c: Cidr): string | undefined {
    const fam = this.#levels.get(c.family);
    if (!fam) return undefined;
    for (const [len, lvl] of fam) {
      if (len > c.len) continue;
      const hit = lvl.get(key(c.bytes, len));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
}
