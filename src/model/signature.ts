/** What the signature stage hands to detection for one packet. Types only. */

export interface SignatureHit {
  sid: number;
  msg: string;
  /** Danger level this match assigns (0 = ignore the packet). */
  dl: number;
  classtype: string;
}
