/**
 * What scanner probes look like in LOG fields, shared by the conntrack
 * leftover rule, the scan-type classifier and the tool guess.
 *
 * nmap's raw TCP probes (-sS -sF -sN -sX -sA -sW -sM) carry a window of 1024
 * (older releases picked 1024, 2048, 3072 or 4096), never set DF, have no
 * options except MSS 1460 on SYNs, and ACK-flagged probes carry SEQ=0.
 */
import { IP_DF, TCP_CWR, TCP_ECE, TCP_SYN, type Packet } from '../model/packet.js';

export function isNmapWindow(w: number): boolean {
  return w === 1024 || w === 2048 || w === 3072 || w === 4096;
}

/** Bytes of IP header: 20 plus logged IPv4 options, or 40 plus logged IPv6 extension headers. */
export function ipHeaderLength(p: Packet): number {
  const base = p.family === 4 ? 20 : 40;
  if (p.ipOpts === '') return base;
  let hex = 0;
  for (let i = 0; i < p.ipOpts.length; i++) if (p.ipOpts.charCodeAt(i) !== 32) hex++;
  return base + (hex >> 1);
}

/** TCP header plus payload bytes, from the IP length; -1 for fragments and unknown lengths. */
export function tcpSegmentLength(p: Packet): number {
  if (p.len < 0 || p.frag > 0) return -1;
  return p.len - ipHeaderLength(p);
}

/** Most bytes of options a TCP header can carry (data offset 15 words). */
const MAX_TCP_OPTIONS = 40;

/**
 * Bytes of TCP options: from the logged OPT hex when present, else from the
 * length (assumes no payload); -1 when unknown, including when the segment
 * is longer than any header could be (then it carries payload).
 */
export function tcpOptionBytes(p: Packet): number {
  if (p.tcpOpts !== '') return p.tcpOpts.length >> 1;
  const seg = tcpSegmentLength(p);
  return seg < 20 || seg - 20 > MAX_TCP_OPTIONS ? -1 : seg - 20;
}

/**
 * The segment carries data (so it belongs to a connection, not to a probe):
 * known exactly when options are logged, and for sure when the segment is
 * longer than a header with the most options could be.
 */
export function hasTcpPayload(p: Packet): boolean {
  const seg = tcpSegmentLength(p);
  if (seg < 0) return false;
  if (p.tcpOpts !== '') return seg - 20 - (p.tcpOpts.length >> 1) > 0;
  return seg - 20 > MAX_TCP_OPTIONS;
}

export function hasDf(p: Packet): boolean {
  return (p.ipFlags & IP_DF) !== 0;
}

/** A 20-byte TCP header with nothing after it, sent without DF (crafted, not from a socket). */
export function isBareRawTcp(p: Packet): boolean {
  return tcpSegmentLength(p) === 20 && !hasDf(p);
}

/** nmap's probe shape for a non-SYN TCP scan (FIN, NULL, XMAS, ACK, Window, Maimon). */
export function looksLikeNmapProbe(p: Packet): boolean {
  return isNmapWindow(p.window) && isBareRawTcp(p);
}

const OS_SYN_WINDOWS = new Set([1, 4, 16, 63, 512, 31337]);
const OS_OTHER_WINDOWS = new Set([128, 256, 1024, 32768, 65535]);
const CORE = 63;

/**
 * nmap's OS detection probes (-O), from their fixed fields: every TCP probe
 * carries a timestamp option with TSval 0xFFFFFFFF; without logged options,
 * the SEQ probes are SYNs with windows 1/4/16/63/512 and T5 a SYN with 31337,
 * T2-T4, T6 and T7 non-SYN probes with 16+ bytes of options and windows
 * 128/256/1024/32768/65535, the ECN probe a CWR ECE SYN with urgent pointer
 * 0xF7F5; U1 is a UDP datagram with IP ID 0x1042 and 300 bytes of payload;
 * IE1 an ICMP echo request with code 9, IE2 one with TOS 4 and 150 bytes.
 */
export function looksLikeNmapOsProbe(p: Packet): boolean {
  switch (p.protoNum) {
    case 6: {
      if (p.tcpOpts !== '') return p.tcpOpts.includes('080AFFFFFFFF') || p.tcpOpts.includes('080affffffff');
      if (tcpOptionBytes(p) < 12) return false;
      const f = p.tcpFlags & CORE;
      if ((p.tcpFlags & (TCP_ECE | TCP_CWR)) === (TCP_ECE | TCP_CWR)) return f === TCP_SYN && (p.urgp === 63477 || p.window === 3);
      if (tcpOptionBytes(p) < 16) return false;
      return f === TCP_SYN ? OS_SYN_WINDOWS.has(p.window) : OS_OTHER_WINDOWS.has(p.window);
    }
    case 17:
      return p.udpLen === 308 && (p.family === 6 || p.id === 4162);
    case 1:
      return p.icmpType === 8 && (p.icmpCode === 9 || (p.icmpCode === 0 && p.tos === 4 && p.len === 178));
    default:
      return false;
  }
}
