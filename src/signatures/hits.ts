/** Combining the hits of one packet, as psad does. */
import type { SignatureHit } from '../model/signature.js';

/**
 * The packet's signature danger level: the highest dl over its hits; -1 when
 * there are none. 0 (every hit set to 0 by snort_rule_dl) means psad drops
 * the packet from scan tracking.
 */
export function maxDl(hits: readonly SignatureHit[] | null): number {
  if (hits === null) return -1;
  let dl = -1;
  for (let i = 0; i < hits.length; i++) {
    const h = hits[i] as SignatureHit;
    if (h.dl > dl) dl = h.dl;
  }
  return dl;
}
