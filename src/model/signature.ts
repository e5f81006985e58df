/** What the signature stage hands to detection for one packet. Types only. */

export interface SignatureHit {
  sid: number;
  msg: string;
  /** Danger level this match assigns (0 = ignore the packet). */
  dl: number;
  classtype: string;
  /**
   * What a match says about its source (tsad_role): 'level' sets the danger
   * level (psad's meaning, the default); 'label' only names a tool or
   * behaviour; 'service' names the service a probe aimed at and counts only
   * with scan evidence; 'anomaly' is a header no stack sends, level 1 for a
   * single packet and the rule's level when repeated or nmap-shaped.
   */
  role: SignatureRole;
}

export type SignatureRole = 'level' | 'label' | 'service' | 'anomaly';
