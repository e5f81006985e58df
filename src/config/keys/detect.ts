/**
 * Keys owned by the detect stage: psad's danger-level thresholds (same names
 * and defaults), its ignore lists, and the new keys for event-time windows,
 * prefix aggregation and memory bounds.
 */
import { flag, int, list, str, type KeyTable } from '../key-types.js';

export const title = 'Detection and danger levels';

const PORT_SPEC = /^(tcp|udp|udplite|sctp)\/(\d{1,5})(?:-(\d{1,5}))?$/i;

/** `tcp/N` or `tcp/N-M` (also udp, udplite, sctp), as psad's IGNORE_PORTS. */
function checkPortSpec(item: string): string | null {
  const m = PORT_SPEC.exec(item);
  if (m === null) return `"${item}" is not PROTO/PORT or PROTO/PORT-PORT (PROTO is tcp, udp, udplite or sctp)`;
  const lo = Number(m[2]);
  const hi = m[3] === undefined ? lo : Number(m[3]);
  if (lo > 65535 || hi > 65535) return `"${item}": ports go up to 65535`;
  if (hi < lo) return `"${item}": the range is reversed`;
  return null;
}

// IP protocol names and numbers (IANA assignments, as /etc/protocols lists them), so
// IGNORE_PROTOCOLS accepts "igmp" or "2" alike, as psad's did. Kept with the keys so a
// bad name is a configuration error naming file and line.
const BY_NAME: Readonly<Record<string, number>> = {
  hopopt: 0, icmp: 1, igmp: 2, ggp: 3, ipencap: 4, ipv4: 4, st: 5, tcp: 6, egp: 8, igp: 9, pup: 12,
  udp: 17, hmp: 20, 'xns-idp': 22, rdp: 27, 'iso-tp4': 29, dccp: 33, xtp: 36, ddp: 37, 'idpr-cmtp': 38,
  ipv6: 41, 'ipv6-route': 43, 'ipv6-frag': 44, idrp: 45, rsvp: 46, gre: 47, esp: 50, ah: 51, skip: 57,
  'ipv6-icmp': 58, icmp6: 58, icmpv6: 58, 'ipv6-nonxt': 59, 'ipv6-opts': 60, rspf: 73, vmtp: 81,
  eigrp: 88, ospf: 89, 'ax.25': 93, ipip: 94, etherip: 97, encap: 98, pim: 103, ipcomp: 108, vrrp: 112,
  l2tp: 115, isis: 124, sctp: 132, fc: 133, 'mobility-header': 135, udplite: 136, 'mpls-in-ip': 137,
  manet: 138, hip: 139, shim6: 140, wesp: 141, rohc: 142, ethernet: 143,
};

/** Protocol number for a name or a decimal number; undefined when unknown. */
export function protocolNumber(nameOrNumber: string): number | undefined {
  if (/^\d+$/.test(nameOrNumber)) {
    const n = Number(nameOrNumber);
    return n <= 255 ? n : undefined;
  }
  return BY_NAME[nameOrNumber.toLowerCase()];
}

function checkProtocol(item: string): string | null {
  return protocolNumber(item) === undefined ? `"${item}" is not a protocol number (0-255) or a known protocol name` : null;
}

const level = (def: number, doc: string) => int(def, doc, { min: 1 });
const hosts = (def: number, doc: string) => int(def, doc, { min: 0, max: 1_000_000 });

export const keys = {
  DANGER_LEVEL1: level(5, 'Packets from one source to one destination (counted while that pair stays active, see SCAN_TIMEOUT) needed for danger level 1, when the traffic spans a port range (PORT_RANGE_SCAN_THRESHOLD), several protocols (PROTOCOL_SCAN_THRESHOLD) or many destinations (DL1_UNIQUE_HOSTS).'),
  DANGER_LEVEL2: level(15, 'Packets to one destination for danger level 2.'),
  DANGER_LEVEL3: level(150, 'Packets to one destination for danger level 3.'),
  DANGER_LEVEL4: level(1500, 'Packets to one destination for danger level 4.'),
  DANGER_LEVEL5: level(10000, 'Packets to one destination for danger level 5.'),
  DL1_UNIQUE_HOSTS: hosts(10, 'Distinct destinations one source reaches within SCAN_TIMEOUT seconds for danger level 1 (sweep detection). 0 turns destination counting off (in psad 0 put every source at level 1).'),
  DL2_UNIQUE_HOSTS: hosts(20, 'Distinct destinations within SCAN_TIMEOUT for danger level 2.'),
  DL3_UNIQUE_HOSTS: hosts(50, 'Distinct destinations within SCAN_TIMEOUT for danger level 3.'),
  DL4_UNIQUE_HOSTS: hosts(100, 'Distinct destinations within SCAN_TIMEOUT for danger level 4.'),
  DL5_UNIQUE_HOSTS: hosts(500, 'Distinct destinations within SCAN_TIMEOUT for danger level 5.'),
  PORT_RANGE_SCAN_THRESHOLD: int(1, 'Highest minus lowest destination port (TCP, UDP, UDP-Lite) to one destination before packet counts raise the danger level. With the default 1, a single port never gets a level from packet counts alone.'),
  PORT_RANGE_SWEEP_THRESHOLD: int(0, 'A destination whose port spread is exactly this value (0: a single port) counts towards a port sweep (scan type SWEEP), as does a pinged destination.'),
  SWEEP_MIN_DESTINATIONS: int(5, 'Destinations within SCAN_TIMEOUT, most of them probed on one port (see PORT_RANGE_SWEEP_THRESHOLD) or pinged, that label a source a sweep (scan type SWEEP). 0 turns the label off. Danger levels from destination counts follow DL1..DL5_UNIQUE_HOSTS.', { min: 0, max: 1_000_000 }, { psad: '(none)' }),
  PROTOCOL_SCAN_THRESHOLD: int(5, 'Distinct IP protocols from one source to one destination that count as a protocol scan (scan type PROTO, and packet counts then raise the level).', { min: 1, max: 256 }),
  MIN_DANGER_LEVEL: int(1, 'Sources below this danger level are left out of reports, status listings and alerts.', { min: 0, max: 5 }),
  SCAN_TIMEOUT: int(3600, 'Seconds of event time (the log timestamps) that a scan window spans: destinations not reached for this long drop out of the destination count, and a source silent this long is forgotten (unless ENABLE_PERSISTENCE).', { min: 1 }),
  ENABLE_PERSISTENCE: flag(false, 'Y: never forget a source or its destinations (counts are cumulative, as in psad with persistence), subject only to MAX_TRACKED_SOURCES. N: forget a source SCAN_TIMEOUT seconds after its last packet.'),
  IGNORE_PORTS: list([], 'Comma separated destination ports whose packets are ignored: "tcp/N", "tcp/N-M", also udp, udplite, sctp (for example "tcp/61000-61356, udp/5353"). NONE ignores nothing.', { validate: checkPortSpec }),
  IGNORE_PROTOCOLS: list([], 'Comma separated IP protocols (names such as "igmp" or numbers) whose packets are ignored. NONE ignores nothing.', { validate: checkProtocol }),
  IGNORE_INTERFACES: list([], 'Comma separated interfaces whose packets are ignored (exact names; the input interface, or the output interface for locally sent packets). NONE ignores nothing.'),
  ENABLE_IPV6_DETECTION: flag(true, 'N: ignore IPv6 packets.'),
  IGNORE_REPLIES: flag(true, 'Y: packets that answer something are not scored, only counted (skip reasons "reply", "backscatter", "own-traffic", "conntrack-leftover"): TCP with ACK or RST set (an HTTPS download, SYN-ACK and RST backscatter of servers answering someone who spoofed this host, late packets of real connections), UDP answering a flow the log showed this side open, late DNS and NTP answers and LAN replies to a local ephemeral port (a few distinct ports a minute per source), ICMP replies and errors. nmap\'s crafted ACK, FIN-ACK and OS-detection probes are still scans. N: score them as psad did (psad ignored only what IGNORE_CONNTRACK_BUG_PKTS covers).', { psad: '(none)' }),
  IGNORE_OWN_TRAFFIC: flag(true, 'Y: new connections that this host (OUTPUT) or an inside host (FORWARD from HOME_NET, a private range or a LAN-side interface such as docker0) opens to OWN_CLIENT_PORTS with an ordinary network stack (OS-like TCP options and DF on the SYN) are its own client traffic, counted as "own-traffic" and not scored, so browsing, name lookups and time sync on a ruleset that logs everything do not make the host a "sweep". Outbound traffic to other ports (telnet, SMB, IRC, databases: worm egress) is still scored. N: score it.', { psad: '(none)' }),
  OWN_CLIENT_PORTS: list(['tcp/53', 'tcp/80', 'tcp/443', 'tcp/853', 'udp/53', 'udp/123', 'udp/443', 'udp/853'], 'Destination ports of ordinary client traffic for IGNORE_OWN_TRAFFIC, as "tcp/N", "tcp/N-M", also udp (DNS, HTTP, HTTPS, DNS over TLS, NTP, QUIC). NONE: every outbound connection is scored.', { validate: checkPortSpec, psad: '(none)' }),
  IGNORE_LAN_DISCOVERY: flag(true, 'Y: LAN discovery chatter is counted as "lan-discovery" and never scored, and so never matches a "from outside" signature: UDP and other non-TCP packets to multicast or broadcast addresses (also a LAN\'s x.x.x.255, or an Ethernet broadcast or multicast destination), IGMP, UDP from a LAN address (RFC 1918, link-local, ULA) to or from mDNS, SSDP, LLMNR, WS-Discovery, NetBIOS and DHCP ports, and ICMPv6 neighbour discovery and MLD from link-local addresses (router advertisements and redirects from other addresses are still checked). N: score it as psad did.', { psad: '(none)' }),
  SLOW_SCAN_WINDOW: int(604800, 'Slow scans: besides the SCAN_TIMEOUT window, a source\'s distinct destination ports (TCP, UDP, UDP-Lite, SCTP; retries of one port count once) over its tracked life raise it on the DANGER_LEVEL1..5 ladder (5 ports: level 1, 15: level 2, 150: level 3, ...), so one probe an hour for a week is seen. "tsad analyze" counts over the whole input; the daemon keeps a source this many seconds after its last packet (at least a day), then forgets it. Applies to sources outside (not to this host or inside hosts). 0 turns it off (psad has no such window).', { min: 0, max: 31_536_000 }, { psad: '(none)' }),
  IGNORE_CONNTRACK_BUG_PKTS: flag(true, 'Y: ignore TCP packets that conntrack left over from real connections (ACK, RST, FIN ACK and other non-SYN packets with ACK or RST). Scanner probes stay visible: a bare ACK or FIN ACK header without DF and with one of nmap\'s window sizes is an ACK/Window/Maimon scan probe, not a leftover (psad hid ACK scans entirely).'),
  AUTO_DL_FILE: str('/etc/tsad/auto_dl', 'File of "ADDRESS[/LEN] DL [PROTO[/PORT[-PORT]], ...];" lines (psad\'s auto_dl) that give sources a fixed minimum danger level; DL 0 ignores them. A missing file means no entries. "tsad analyze --auto-dl" overrides.'),
  OS_FINGERPRINTS_FILE: str('shipped', 'Passive OS fingerprint file used to guess the operating system of a source from its TCP SYN packets. "shipped" is the file installed with tsad; NONE turns OS guessing off.', { psad: 'P0F_FILE' }),
  MAX_HOPS: int(30, 'Largest router distance accepted between a fingerprint\'s initial TTL and the TTL seen (psad used 20).', { min: 1, max: 128 }),
  IPV4_AGGREGATE_PREFIX: int(32, 'IPv4 sources are tracked and reported per network of this prefix length (32: per address).', { min: 8, max: 32 }, { psad: '(none)' }),
  IPV6_AGGREGATE_PREFIX: int(64, 'IPv6 sources are tracked and reported per network of this prefix length (64: one host owns a /64 and can hop inside it; 128: per address).', { min: 16, max: 128 }, { psad: '(none)' }),
  MAX_TRACKED_SOURCES: int(1_000_000, 'Most sources tracked at once. When full, the lowest-level sources that were seen longest ago are forgotten first (counted as evictions), so an address-hopping flood cannot exhaust memory.', { min: 100 }, { psad: 'MAX_SCAN_IP_PAIRS' }),
  MAX_DESTINATIONS_PER_SOURCE: int(1024, 'Most destinations kept in detail per source (at least DL5_UNIQUE_HOSTS are always kept). Packet counts stay exact beyond it; the distinct destination count is then estimated.', { min: 10, max: 1_000_000 }, { psad: '(none)' }),
} satisfies KeyTable;
