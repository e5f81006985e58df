/**
 * IGNORE_CONNTRACK_BUG_PKTS: packets of real connections that reach the LOG
 * rule after conntrack dropped their state (late ACKs, RSTs, FIN ACKs of a
 * closed connection). psad ignored every packet with ACK or RST, which also
 * hid ACK, Window and Maimon scans. Here a bare ACK or FIN ACK header with
 * an nmap window and no DF is kept as a scan probe: a socket's ACK has DF
 * set (Linux, Windows, BSD all do path MTU discovery) and usually options.
 * nmap's OS-detection ACK probes (with its TSval 0xFFFFFFFF) are kept too.
 */
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type Packet } from '../model/packet.js';
import { looksLikeNmapOsProbe, looksLikeNmapProbe } from './probe-traits.js';

/** Flags without ECE and CWR, which only say the connection negotiated ECN. */
const CORE = TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK | TCP_URG;

export function isConntrackLeftover(p: Packet): boolean {
  if (p.protoNum !== 6) return false;
  const f = p.tcpFlags & CORE;
  if ((f & (TCP_ACK | TCP_RST)) === 0 || (f & TCP_SYN) !== 0) return false;
  if ((f === TCP_ACK || f === (TCP_ACK | TCP_FIN)) && looksLikeNmapProbe(p)) return false;
  return !looksLikeNmapOsProbe(p); // nmap -O's ACK probes (T4, T6) are scans too
}
