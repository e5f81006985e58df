/**
 * What the firewall carries, decided row by row from a blocks.json in the
 * order the saver writes it (IPv4 then IPv6, outer prefixes first, by
 * address within a prefix length), without building any record. A restart
 * streams these decisions to nft and builds the records only after the
 * last line, while nft evaluates and commits (one core each instead of
 * both on the reading). In that order no cidr comes twice and every block
 * that could contain a row came before it, so the only state needed is the
 * installed prefixes; the decisions are RecordStore.put's and the never-block
 * rules' as BlockManager's line loader makes them. A row out of that order
 * is reported ('disorder') and left to the caller, which then builds the
 * records as it reads.
 */
import type { Cidr } from '../../net/address.js';
import { isSingleAddress } from './cidr.js';
import { PrefixIndex } from './prefix-index.js';
import type { RestoreRules } from './restore-rules.js';

export type ScanDecision = 'install' | 'skip' | 'disorder';

export class OrderedScan {
  readonly #rules: RestoreRules;
  /** Installed blocks that can contain others (single addresses contain only themselves, which the order rules out). */
  readonly #outer = new PrefixIndex();
  #family = 0;
  #len = -1;
  /** The last IPv4 network (unsigned), or -1 at the start of a prefix length. */
  #last4 = -1;
  /** The last IPv6 network, valid when #has6. */
  readonly #last6 = new Uint8Array(16);
  #has6 = false;
  /** Blocks decided 'install' so far. */
  installed = 0;

  constructor(rules: RestoreRules) {
    this.#rules = rules;
  }

  /** The decision for the next readable, unexpired row: block `c` (`cidr` in canonical text), `manual` or not. */
  take(c: Cidr, cidr: string, manual: boolean): ScanDecision {
    if (!this.#inOrder(c)) return 'disorder';
    const covered = this.#outer.covering(c) !== undefined;
    // The line loader's rule: a block inside an installed one is not in the firewall, so the never-block rules look at its container.
    if (covered || (this.#rules.size > 0 && this.#rules.why(c, manual) !== null)) return 'skip';
    if (!isSingleAddress(c)) this.#outer.add(c, cidr);
    this.installed++;
    return 'install';
  }

  /** Is `c` strictly after the previous row in the saver's order? Moves the position to `c` when it is. */
  #inOrder(c: Cidr): boolean {
    if (c.family !== this.#family) {
      if (c.family < this.#family) return false;
      this.#family = c.family;
      this.#len = -1;
    }
    if (c.len !== this.#len) {
      if (c.len < this.#len) return false;
      this.#len = c.len;
      this.#last4 = -1;
      this.#has6 = false;
    }
    const b = c.bytes;
    if (c.family === 4) {
      const n = (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>> 0;
      if (n <= this.#last4) return false;
      this.#last4 = n;
      return true;
    }
    if (this.#has6) {
      let i = 0;
      while (i < 16 && b[i] === this.#last6[i]) i++;
      if (i === 16 || (b[i] as number) < (this.#last6[i] as number)) return false;
    }
    this.#last6.set(b.subarray(0, 16));
    this.#has6 = true;
    return true;
  }
}
