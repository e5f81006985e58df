/**
 * Danger level from Snort's priority, as psad computes it when a rule has no
 * psad_dl: priority 1 -> 5, 2 -> 4, 3 -> 3, 4 -> 2, anything else -> 1.
 * Priorities of the classtypes are those of Snort's stock classification.config
 * (psad read them from SNORT_RULES_DIR; tsad carries the table itself).
 */

const PRIORITY: ReadonlyMap<string, number> = new Map([
  ['attempted-admin', 1], ['attempted-user', 1], ['inappropriate-content', 1], ['policy-violation', 1],
  ['shellcode-detect', 1], ['successful-admin', 1], ['successful-user', 1], ['trojan-activity', 1],
  ['unsuccessful-user', 1], ['web-application-attack', 1], ['file-format', 1], ['malware-cnc', 1],
  ['client-side-exploit', 1], ['command-and-control', 1], ['exploit-kit', 1], ['targeted-activity', 1],
  ['attempted-dos', 2], ['attempted-recon', 2], ['bad-unknown', 2], ['default-login-attempt', 2],
  ['denial-of-service', 2], ['misc-attack', 2], ['non-standard-protocol', 2], ['rpc-portmap-decode', 2],
  ['successful-dos', 2], ['successful-recon-largescale', 2], ['successful-recon-limited', 2],
  ['suspicious-filename-detect', 2], ['suspicious-login', 2], ['system-call-detect', 2],
  ['unusual-client-port-connection', 2], ['web-application-activity', 2], ['sdf', 2], ['coin-mining', 2],
  ['icmp-event', 3], ['misc-activity', 3], ['network-scan', 3], ['not-suspicious', 3],
  ['protocol-command-decode', 3], ['string-detect', 3], ['unknown', 3], ['external-ip-check', 3],
  ['tcp-connection', 4],
]);

export function classtypePriority(classtype: string): number | null {
  return PRIORITY.get(classtype) ?? null;
}

export function dlFromPriority(priority: number): number {
  switch (priority) {
    case 1: return 5;
    case 2: return 4;
    case 3: return 3;
    case 4: return 2;
    default: return 1;
  }
}
