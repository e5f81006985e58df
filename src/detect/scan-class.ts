/**
 * Per-packet scan class from the LOG fields, and the report's scan types.
 *
 * TCP flags are read without ECE/CWR (an ECN SYN, "CWR ECE SYN", is a SYN;
 * psad's signatures missed those). A SYN is CONNECT when its options are
 * an operating system's (SACK permitted, timestamps or window scale; or 8+
 * bytes of options by LEN when options are not logged) and SYN when bare or
 * MSS-only (nmap -sS, masscan, zmap). nmap's ACK (-sA) and Window (-sW)
 * probes are byte-identical (only the target's replies differ, and those
 * are not in the log), so an nmap-shaped ACK probe reports both ACK and
 * WINDOW; other bare ACKs report ACK only.
 */
import type { ScanType } from '../model/report.js';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type Packet } from '../model/packet.js';
import { isIcmpProbe } from './icmp-types.js';
import { hasTcpPayload, isBareRawTcp, isNmapWindow, looksLikeNmapOsProbe, tcpOptionBytes } from './probe-traits.js';
import { tcpOptionsOsLike } from './tcp-options.js';

/** Packet classes, used as indexes into a source's class counters. */
export const ScanClass = {
  Syn: 0, Connect: 1, Fin: 2, Null: 3, Xmas: 4, Ack: 5, AckProbe: 6, Maimon: 7, Udp: 8, IcmpProbe: 9, Other: 10, OsProbe: 11,
} as const;
export type ScanClass = (typeof ScanClass)[keyof typeof ScanClass];

export const CLASS_COUNT = 12;

const CORE = TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK | TCP_URG;
const XMAS = TCP_FIN | TCP_PSH | TCP_URG;

/** Whether a SYN comes from an OS socket (connect()) rather than a raw-packet scanner. */
export function isOsSyn(p: Packet): boolean {
  if (p.tcpOpts !== '') return p.tcpOpts !== '020405B4' && tcpOptionsOsLike(p.tcpOpts); // MSS 1460 alone: the usual raw SYN
  return tcpOptionBytes(p) >= 8;
}

function tcpClass(p: Packet): ScanClass {
  // Data belongs to a connection: no scan sends payload (nor do OS-detection probes).
  if (hasTcpPayload(p)) return ScanClass.Other;
  const f = p.tcpFlags & CORE;
  if (f === TCP_SYN) return isOsSyn(p) ? ScanClass.Connect : ScanClass.Syn;
  if (f === 0) return ScanClass.Null;
  if (f === TCP_FIN) return ScanClass.Fin;
  if ((f & XMAS) === XMAS) return ScanClass.Xmas;
  if (f === TCP_ACK && isBareRawTcp(p)) return isNmapWindow(p.window) ? ScanClass.AckProbe : ScanClass.Ack;
  if (f === (TCP_ACK | TCP_FIN) && isBareRawTcp(p)) return ScanClass.Maimon;
  return ScanClass.Other;
}

/** The packet's scan class; nmap OS-detection probes (-O) are a class of their own, with no label. */
export function classify(p: Packet): ScanClass {
  if (looksLikeNmapOsProbe(p) && !(p.protoNum === 6 && hasTcpPayload(p))) return ScanClass.OsProbe;
  switch (p.protoNum) {
    case 6:
      return tcpClass(p);
    case 17:
    case 136:
      return ScanClass.Udp;
    case 1:
    case 58:
      return isIcmpProbe(p.family, p.icmpType) ? ScanClass.IcmpProbe : ScanClass.Other;
    default:
      return ScanClass.Other;
  }
}

const LABELS: ReadonlyArray<readonly ScanType[]> = [
  ['SYN'], ['CONNECT'], ['FIN'], ['NULL'], ['XMAS'], ['ACK'], ['ACK', 'WINDOW'], ['MAIMON'], ['UDP'], ['ICMP'], [], [],
];

/**
 * Scan types for a source: SWEEP and PROTO first (they describe the whole
 * scan), then the packet classes by packet count. A class under 5% of the
 * source's packets is left out unless no class is larger: the few probes of
 * nmap's host discovery should not relabel a 1000-port SYN scan, nor the
 * TCP, UDP and ICMP probes of an IP protocol scan turn it into a TCP scan.
 * `minCount` is the fewest packets a class needs (the caller raises it in a
 * protocol scan, where every protocol gets only a probe or two).
 */
export function scanTypes(counts: ArrayLike<number>, sweep: boolean, protoScan: boolean, minCount = 0): ScanType[] {
  const out: ScanType[] = [];
  if (sweep) out.push('SWEEP');
  if (protoScan) out.push('PROTO');
  let total = 0;
  let top = 0;
  for (let c = 0; c < CLASS_COUNT; c++) {
    const n = counts[c] ?? 0;
    total += n;
    if (n > top) top = n;
  }
  const order: number[] = [];
  for (let c = 0; c < CLASS_COUNT; c++) if ((counts[c] ?? 0) > 0 && (LABELS[c] as readonly ScanType[]).length > 0) order.push(c);
  // By count, then class: an insertion sort in place (a dozen classes at most; sort() allocates a copy per call, per reported source).
  for (let i = 1; i < order.length; i++) {
    const c = order[i] as number;
    const n = counts[c] as number;
    let j = i - 1;
    for (; j >= 0 && (counts[order[j] as number] as number) < n; j--) order[j + 1] = order[j] as number;
    order[j + 1] = c;
  }
  for (const c of order) {
    const n = counts[c] as number;
    if (n < minCount || (n !== top && n * 20 < total)) continue;
    for (const t of LABELS[c] as readonly ScanType[]) if (!out.includes(t)) out.push(t);
  }
  return out;
}
