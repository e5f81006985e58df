/**
 * HOME_NET (a signatures key, Snort address syntax: "any", an address, a
 * CIDR, a dotted mask, or a list "[a,b,!c]") as a longest-prefix table, so
 * detection can tell a local host that scans out from an outside attacker.
 * "any" (psad's default) marks nothing: then only packets this host sent
 * (OUTPUT chain) come from a local source.
 */
import type { Config } from '../config/keys/index.js';
import { PrefixMap } from '../net/prefix-map.js';

export class LocalNetworks {
  readonly #map = new PrefixMap<boolean>();

  /** Builds from address tokens; `!` excludes. Unknown tokens ($VARS, "any") are skipped. */
  constructor(expression: string) {
    for (const raw of expression.split(/[[\],\s]+/)) {
      const neg = raw.startsWith('!');
      const t = raw.replace(/^!+/, '');
      if (t === '' || t === 'any' || t.startsWith('$')) continue;
      this.#map.set(t, !neg);
    }
  }

  get empty(): boolean {
    return this.#map.size === 0;
  }

  contains(addr: string): boolean {
    return this.#map.size > 0 && this.#map.get(addr) === true;
  }
}

/** HOME_NET from the configuration (a key of the signatures section). */
export function homeNet(cfg: Config): LocalNetworks {
  return new LocalNetworks(cfg.HOME_NET);
}
