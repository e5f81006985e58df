/**
 * The tracking key of a source address: the address itself, or its network
 * when IPV4_AGGREGATE_PREFIX / IPV6_AGGREGATE_PREFIX is shorter than the
 * address (default: IPv4 per address, IPv6 per /64, since one host owns a
 * /64 and can hop inside it). Prefix keys are cached per address; the cache
 * is cleared when full so an address-hopping flood cannot grow it.
 * Link-local (fe80::/10) and unique local (fc00::/7) IPv6 sources are always
 * keyed per address: every host on a LAN shares one such /64, so merging it
 * would make one "source" of the whole LAN.
 */
import { addressScope, Scope } from '../net/address-scope.js';
import { prefixOf } from '../net/address.js';

const CACHE_MAX = 65536;

export class SourceKeys {
  readonly #cache = new Map<string, string>();

  constructor(readonly v4Len: number, readonly v6Len: number) {}

  /** True when sources of this family are grouped by prefix. */
  aggregated(family: 4 | 6): boolean {
    return family === 4 ? this.v4Len < 32 : this.v6Len < 128;
  }

  keyOf(addr: string, family: 4 | 6): string {
    if (!this.aggregated(family)) return addr;
    if (family === 6) {
      const scope = addressScope(addr, 6);
      if (scope === Scope.LinkLocal || scope === Scope.UniqueLocal) return addr;
    }
    let k = this.#cache.get(addr);
    if (k === undefined) {
      // One flat string: the prefix text is built of joined pieces, which would each stay allocated for as long as the source is tracked.
      k = Buffer.from(prefixOf(addr, family === 4 ? this.v4Len : this.v6Len), 'latin1').toString('latin1');
      if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
      this.#cache.set(addr, k);
    }
    return k;
  }
}
