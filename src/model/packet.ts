/**
 * The parsed form of one netfilter LOG line (iptables LOG, ip6tables LOG and
 * nftables `log` all write the same nf_log text). Types only: every stage
 * imports this, nothing here imports a stage.
 *
 * One flat object with a fixed shape per accepted line (V8 keeps it
 * monomorphic): absent numeric fields are -1, absent strings are ''.
 */

/** TCP flag bits as netfilter prints them (bit values follow the TCP header). */
export const TCP_FIN = 1;
export const TCP_SYN = 2;
export const TCP_RST = 4;
export const TCP_PSH = 8;
export const TCP_ACK = 16;
export const TCP_URG = 32;
export const TCP_ECE = 64;
export const TCP_CWR = 128;

/** IPv4 header flag bits (CE, DF, MF tokens). */
export const IP_CE = 1;
export const IP_DF = 2;
export const IP_MF = 4;

/**
 * The event times a log line may carry (epoch ms, UTC): from 1990-01-01 up to,
 * not including, 2050-01-01. A line whose own time is outside is skipped as
 * `bad-time` at parse time, so no later stage (event seconds, saved state,
 * ISO dates in reports) ever sees an impossible time.
 */
export const TS_MIN = 631_152_000_000;
export const TS_MAX = 2_524_608_000_000;

export type Chain = 'INPUT' | 'OUTPUT' | 'FORWARD';
export type Direction = 'inbound' | 'outbound' | 'forward';

/** Protocol key as used in reports: a name, or the protocol number as text. */
export type ProtoName = 'tcp' | 'udp' | 'udplite' | 'sctp' | 'icmp' | 'icmp6' | string;

/** The packet quoted inside an ICMP error (`[SRC=... DST=... ]`); never merged into the outer fields. */
export interface InnerPacket {
  src: string;
  dst: string;
  len: number;
  proto: ProtoName;
  sport: number;
  dport: number;
}

export interface Packet {
  /** Event time, epoch milliseconds UTC, from the log line; NaN when the line carries none. */
  ts: number;
  /** Syslog/journal host name, '' when the envelope has none. */
  host: string;
  /** Log prefix between the kernel envelope and IN=, trimmed (`DROP`, `[UFW BLOCK]`). */
  prefix: string;
  chain: Chain;
  /**
   * Which way the packet goes as seen from the logging host: set by parse
   * from the chain (FORWARD as 'forward'); detection refines forwarded
   * packets (a public source arriving from outside is 'inbound', a LAN or
   * container host going out is 'outbound') before signatures run.
   */
  dir: Direction;
  inIf: string;
  outIf: string;
  physIn: string;
  physOut: string;
  mac: string;
  family: 4 | 6;
  /** Normalized address: dotted quad, or compressed lowercase IPv6. */
  src: string;
  dst: string;
  len: number;
  tos: number;
  prec: number;
  /** IPv4 TTL, or IPv6 HOPLIMIT. */
  ttl: number;
  /** IPv4 ID; -1 for IPv6. */
  id: number;
  /** IPv6 traffic class; -1 for IPv4. */
  tc: number;
  flowLabel: number;
  /** IP_CE | IP_DF | IP_MF. */
  ipFlags: number;
  /** Fragment offset (FRAG=), -1 when absent. */
  frag: number;
  /** IP options hex (`OPT (...)` before PROTO=), '' when not logged. */
  ipOpts: string;
  proto: ProtoName;
  protoNum: number;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  window: number;
  res: number;
  /** TCP_* bits. */
  tcpFlags: number;
  urgp: number;
  /** TCP options hex (`OPT (...)` after URGP=), '' when not logged. */
  tcpOpts: string;
  /** UDP/UDPLITE length field. */
  udpLen: number;
  icmpType: number;
  icmpCode: number;
  icmpId: number;
  icmpSeq: number;
  icmpParam: number;
  icmpMtu: number;
  icmpGateway: string;
  inner: InnerPacket | null;
  uid: number;
  gid: number;
  mark: number;
  /** The whole line as read. */
  raw: string;
}

/**
 * Why a line was not turned into a packet (or a packet was not scored).
 * Counted in summary.skipped; lines of other programs are not counted there.
 */
export type SkipReason =
  | 'malformed'
  | 'truncated'
  | 'too-long'
  | 'binary'
  | 'bad-address'
  | 'bad-number'
  | 'bad-time'
  | 'no-protocol'
  | 'ipv6-disabled'
  | 'ignored-prefix'
  | 'not-matching-fw-msg-search'
  | 'ignored-interface'
  | 'ignored-protocol'
  | 'ignored-port'
  | 'conntrack-leftover'
  | 'auto-dl-ignore'
  | 'signature-ignore'
  | 'outside-time-range'
  // Not scans (IGNORE_REPLIES, IGNORE_OWN_TRAFFIC, IGNORE_LAN_DISCOVERY): see detect/traffic-class.ts.
  | 'backscatter'
  | 'reply'
  | 'own-traffic'
  | 'lan-discovery';
