/**
 * fwsnort log prefixes: `[1] SID2003 ESTAB` names Snort sid 2003. psad gives
 * such a packet DL 2 (or its snort_rule_dl level) and no other signature
 * matching; tsad does the same.
 */
import type { SignatureHit } from '../model/signature.js';

/** The sid after the first `marker` that is followed by a digit; -1 when none. Allocates nothing. */
export function prefixSid(prefix: string, marker: string): number {
  let from = 0;
  for (;;) {
    const at = prefix.indexOf(marker, from);
    if (at < 0) return -1;
    let i = at + marker.length;
    let sid = 0;
    let digits = 0;
    for (; i < prefix.length && digits < 10; i++, digits++) {
      const c = prefix.charCodeAt(i);
      if (c < 48 || c > 57) break;
      sid = sid * 10 + (c - 48);
    }
    if (digits > 0) return sid;
    from = at + 1;
  }
}

export const FWSNORT_DL = 2;

/** Hit objects for fwsnort sids, made once per sid (bounded). */
export class FwsnortHits {
  readonly #cache = new Map<number, SignatureHit>();

  constructor(
    private readonly levels: ReadonlyMap<number, number>,
    private readonly known: (sid: number) => { msg: string; classtype: string } | undefined,
  ) {}

  dl(sid: number): number {
    return this.levels.get(sid) ?? FWSNORT_DL;
  }

  hit(sid: number): SignatureHit {
    let h = this.#cache.get(sid);
    if (h === undefined) {
      const k = this.known(sid);
      // An fwsnort rule matched in the kernel: its level stands (role 'level').
      h = Object.freeze({ sid, msg: k?.msg ?? `fwsnort SID ${sid}`, dl: this.dl(sid), classtype: k?.classtype ?? '', role: 'level' as const });
      if (this.#cache.size < 100_000) this.#cache.set(sid, h);
    }
    return h;
  }
}
