/**
 * Valid ICMP and ICMPv6 types and codes (the IANA registries, deprecated
 * types included: they are assigned, and scanners use some of them). A type
 * or code outside these tables raises the source to danger level 2, as
 * psad's icmp_types / icmp6_types check did. psad's ICMPv6 table lacked
 * Redirect (137), MLDv2 reports (143) and the later types, so ordinary IPv6
 * traffic was flagged; this table is complete as of the registries today.
 */

interface TypeInfo {
  name: string;
  /** Highest valid code, codes 0..maxCode; or an explicit list. */
  codes: number | readonly number[];
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const ANY = 255;

const ICMP4: Readonly<Record<number, TypeInfo>> = {
  0: { name: 'Echo Reply', codes: 0 },
  3: { name: 'Destination Unreachable', codes: 15 },
  4: { name: 'Source Quench', codes: 0 },
  5: { name: 'Redirect', codes: 3 },
  6: { name: 'Alternate Host Address', codes: 0 },
  8: { name: 'Echo Request', codes: 0 },
  9: { name: 'Router Advertisement', codes: [0, 16] },
  10: { name: 'Router Solicitation', codes: 0 },
  11: { name: 'Time Exceeded', codes: 1 },
  12: { name: 'Parameter Problem', codes: 2 },
  13: { name: 'Timestamp Request', codes: 0 },
  14: { name: 'Timestamp Reply', codes: 0 },
  15: { name: 'Information Request', codes: 0 },
  16: { name: 'Information Reply', codes: 0 },
  17: { name: 'Address Mask Request', codes: 0 },
  18: { name: 'Address Mask Reply', codes: 0 },
  30: { name: 'Traceroute', codes: 1 },
  31: { name: 'Datagram Conversion Error', codes: 0 },
  32: { name: 'Mobile Host Redirect', codes: 0 },
  33: { name: 'IPv6 Where-Are-You', codes: 0 },
  34: { name: 'IPv6 I-Am-Here', codes: 0 },
  35: { name: 'Mobile Registration Request', codes: 0 },
  36: { name: 'Mobile Registration Reply', codes: 0 },
  37: { name: 'Domain Name Request', codes: 0 },
  38: { name: 'Domain Name Reply', codes: 0 },
  39: { name: 'SKIP', codes: 0 },
  40: { name: 'Photuris', codes: 5 },
  41: { name: 'Experimental Mobility', codes: ANY },
  42: { name: 'Extended Echo Request', codes: 0 },
  43: { name: 'Extended Echo Reply', codes: 4 },
  253: { name: 'Experiment 1', codes: ANY },
  254: { name: 'Experiment 2', codes: ANY },
};

const ICMP6: Readonly<Record<number, TypeInfo>> = {
  1: { name: 'Destination Unreachable', codes: 8 },
  2: { name: 'Packet Too Big', codes: 0 },
  3: { name: 'Time Exceeded', codes: 1 },
  4: { name: 'Parameter Problem', codes: 10 },
  100: { name: 'Private Experimentation', codes: ANY },
  101: { name: 'Private Experimentation', codes: ANY },
  128: { name: 'Echo Request', codes: 0 },
  129: { name: 'Echo Reply', codes: 0 },
  130: { name: 'Multicast Listener Query', codes: 0 },
  131: { name: 'Multicast Listener Report', codes: 0 },
  132: { name: 'Multicast Listener Done', codes: 0 },
  133: { name: 'Router Solicitation', codes: 0 },
  134: { name: 'Router Advertisement', codes: 0 },
  135: { name: 'Neighbor Solicitation', codes: 0 },
  136: { name: 'Neighbor Advertisement', codes: 0 },
  137: { name: 'Redirect', codes: 0 },
  138: { name: 'Router Renumbering', codes: [0, 1, 255] },
  139: { name: 'Node Information Query', codes: 2 },
  140: { name: 'Node Information Response', codes: 2 },
  141: { name: 'Inverse Neighbor Discovery Solicitation', codes: 0 },
  142: { name: 'Inverse Neighbor Discovery Advertisement', codes: 0 },
  143: { name: 'Multicast Listener Report v2', codes: 0 },
  144: { name: 'Home Agent Address Discovery Request', codes: 0 },
  145: { name: 'Home Agent Address Discovery Reply', codes: 0 },
  146: { name: 'Mobile Prefix Solicitation', codes: 0 },
  147: { name: 'Mobile Prefix Advertisement', codes: 0 },
  148: { name: 'Certification Path Solicitation', codes: 0 },
  149: { name: 'Certification Path Advertisement', codes: 0 },
  150: { name: 'Experimental Mobility', codes: ANY },
  151: { name: 'Multicast Router Advertisement', codes: 0 },
  152: { name: 'Multicast Router Solicitation', codes: 0 },
  153: { name: 'Multicast Router Termination', codes: 0 },
  154: { name: 'FMIPv6', codes: 5 },
  155: { name: 'RPL Control', codes: [...range(0, 8), 0x80, 0x81, 0x82, 0x83, 0x8a] },
  156: { name: 'ILNPv6 Locator Update', codes: 0 },
  157: { name: 'Duplicate Address Request', codes: 15 },
  158: { name: 'Duplicate Address Confirmation', codes: 15 },
  159: { name: 'MPL Control', codes: 0 },
  160: { name: 'Extended Echo Request', codes: 0 },
  161: { name: 'Extended Echo Reply', codes: 4 },
  200: { name: 'Private Experimentation', codes: ANY },
  201: { name: 'Private Experimentation', codes: ANY },
};

function codeValid(info: TypeInfo, code: number): boolean {
  return typeof info.codes === 'number' ? code >= 0 && code <= info.codes : info.codes.includes(code);
}

/**
 * Why an ICMP (family 4) or ICMPv6 (family 6) type/code is invalid, in
 * psad's words ("Invalid ICMP6 code: 22 for ICMP6 \"Neighbor Solicitation\""),
 * or null when it is valid.
 */
export function invalidIcmp(family: 4 | 6, type: number, code: number): string | null {
  const label = family === 4 ? 'ICMP' : 'ICMP6';
  const info = (family === 4 ? ICMP4 : ICMP6)[type];
  if (info === undefined) return `Invalid ${label} type: ${type}`;
  if (!codeValid(info, code)) return `Invalid ${label} code: ${code} for ${label} "${info.name}"`;
  return null;
}

/** Requests that probe whether a host is up (ping-scan probes). */
export function isIcmpProbe(family: 4 | 6, type: number): boolean {
  if (family === 4) return type === 8 || type === 13 || type === 15 || type === 17 || type === 42;
  return type === 128 || type === 139 || type === 160;
}
