/**
 * A small HyperLogLog distinct counter (2^10 one-byte registers, about 3%
 * error, exact-ish below a few hundred through linear counting; exact and
 * 1 KiB lighter while it has seen at most 32 distinct values). Used only
 * when a source's destinations outgrow the exact table or age out of the
 * window, so the report can still give its lifetime destination count.
 */

import { grown } from './exact-list.js';

const P = 10;
const M = 1 << P;
/** Registers, and the highest rank one can hold (for checking saved state). */
export const HLL_REGISTERS = M;
export const HLL_MAX_RANK = 32 - P + 1;
const ALPHA = 0.7213 / (1 + 1.079 / M);

/** 32-bit FNV-1a with a final avalanche, good enough to spread address strings. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The text HyperLogLog.add() hashed last, and its hash. */
let lastText = '';
let lastHash = hash32('');

/** Distinct hashes kept exactly before switching to registers (most sources reach few hosts). */
export const SPARSE_MAX = 32;

/** The contents of a HyperLogLog (state/table-codec.ts saves and restores it). */
export type HllSnapshot = { sparse: number[] } | { registers: Uint8Array };

export class HyperLogLog {
  /** Registers, allocated only past SPARSE_MAX distinct hashes (1 KiB each: too much per source). */
  #reg: Uint8Array | null = null;
  #sparse: number[] = [];

  /** Restores a snapshot (taken over, not copied); the caller has checked it. */
  static restore(snap: HllSnapshot): HyperLogLog {
    const h = new HyperLogLog();
    if ('registers' in snap) h.#reg = snap.registers;
    else h.#sparse = snap.sparse;
    return h;
  }

  /** A copy of the contents. */
  snapshot(): HllSnapshot {
    return this.#reg === null ? { sparse: [...this.#sparse] } : { registers: this.#reg.slice() };
  }

  add(s: string): void {
    // Most sources reach the same few hosts: the last text's hash is kept (a comparison, not a hash, per add).
    if (s !== lastText) {
      lastHash = hash32(s);
      lastText = s;
    }
    const h = lastHash;
    if (this.#reg === null) {
      if (this.#sparse.includes(h)) return;
      if (this.#sparse.length < SPARSE_MAX) {
        // Exactly sized (a pushed array reserves room for 16 more): most sources reach few hosts.
        this.#sparse = grown(this.#sparse, h);
        return;
      }
      this.#reg = new Uint8Array(M);
      for (const x of this.#sparse) this.#addHash(x);
      this.#sparse = [];
    }
    this.#addHash(h);
  }

  #addHash(h: number): void {
    const reg = this.#reg as Uint8Array;
    const idx = h >>> (32 - P);
    const rest = (h << P) >>> 0;
    const rank = rest === 0 ? 32 - P + 1 : Math.clz32(rest) + 1;
    if (rank > reg[idx]!) reg[idx] = rank;
  }

  estimate(): number {
    if (this.#reg === null) return this.#sparse.length;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < M; i++) {
      const r = this.#reg[i]!;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const raw = (ALPHA * M * M) / sum;
    if (raw <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
    return Math.round(raw);
  }
}
