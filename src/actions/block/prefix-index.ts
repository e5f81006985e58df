/**
 * Index of the installed (firewall-visible) blocks, which never overlap:
 * answers "which installed prefix covers this cidr?" with one map probe per
 * prefix length present, and supports deletion (src/net's PrefixMap does not).
 */
import { maskBytes, type Cidr } from '../../net/address.js';

function key(bytes: Uint8Array, len: number): string {
  const b = bytes.slice();
  maskBytes(b, len);
  let s = '';
  for (let i = 0; i < Math.ceil(len / 8); i++) s += ((b[i] as number) + 256).toString(16).slice(1);
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
