/**
 * The never-block rules a saved block is held to at a restore
 * (BlockGuard.restoreRules), asked once per block as the blocks are read:
 * IPv4 rules as integers, so a million checks cost a few integer
 * comparisons each.
 */
import type { Cidr } from '../../net/address.js';
import { overlaps } from './cidr.js';

export interface RestoreRule {
  cidr: Cidr;
  text: string;
  reason: string;
  hard: boolean;
}

function net4(b: Uint8Array): number {
  return ((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number);
}

function mask4(len: number): number {
  return len === 0 ? 0 : -1 << (32 - len);
}

export class RestoreRules {
  readonly #v4: RestoreRule[];
  readonly #v4nets: Int32Array;
  readonly #v6: RestoreRule[];

  constructor(rules: readonly RestoreRule[]) {
    this.#v4 = rules.filter((r) => r.cidr.family === 4);
    this.#v4nets = Int32Array.from(this.#v4, (r) => net4(r.cidr.bytes));
    this.#v6 = rules.filter((r) => r.cidr.family === 6);
  }

  get size(): number {
    return this.#v4.length + this.#v6.length;
  }

  /** Why block `c` must not be restored, or null: the last rule it overlaps that holds for it (hard rules always, soft ones but for manual blocks). */
  why(c: Cidr, manual: boolean): string | null {
    let hit: RestoreRule | undefined;
    if (c.family === 4) {
      const n = net4(c.bytes);
      for (let i = 0; i < this.#v4.length; i++) {
        const r = this.#v4[i] as RestoreRule;
        if ((r.hard || !manual) && ((n ^ (this.#v4nets[i] as number)) & mask4(Math.min(c.len, r.cidr.len))) === 0) hit = r;
      }
    } else {
      for (const r of this.#v6) if ((r.hard || !manual) && overlaps(r.cidr, c)) hit = r;
    }
    return hit === undefined ? null : `${hit.reason} (${hit.text})`;
  }
}
