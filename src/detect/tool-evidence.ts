/**
 * Which scanner sent a packet, where the LOG fields allow saying so.
 *
 *   zmap     IPv4 ID 54321 (zmap writes that constant into every probe)
 *   masscan  IPv4 ID = (destination ^ destination port ^ SEQ) & 0xffff when
 *            SEQ is logged (its stateless SYN-cookie scheme); without SEQ a
 *            bare or MSS-only SYN with window 1024/1025 and an initial TTL
 *            of 255 (or window 1025 on IPv6)
 *   mirai    SEQ equal to the destination IPv4 address (Mirai's scanner
 *            writes the target address into the sequence number); without
 *            SEQ, option-less SYNs to both 23 and 2323 (decided per source)
 *   topera   IPv6 TCP with 7 or more extension headers before it
 *   nmap     nmap's probe shapes (probe-traits.ts), and per source its
 *            randomised TTLs (37 to 59 at the sender) on option-less probes
 */
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG, type Packet } from '../model/packet.js';
import { parseIPv4 } from '../net/address.js';
import { hasDf, isNmapWindow, looksLikeNmapProbe, tcpOptionBytes } from './probe-traits.js';
import { ScanClass } from './scan-class.js';

export const Tool = { Nmap: 0, Masscan: 1, Zmap: 2, Mirai: 3, Topera: 4, MiraiLike: 5 } as const;
export type Tool = (typeof Tool)[keyof typeof Tool];
export const TOOL_COUNT = 6;
export const TOOL_NAMES = ['nmap', 'masscan', 'zmap', 'mirai', 'topera', 'mirai'] as const;

const CORE = TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK | TCP_URG;

function optionGroups(ipOpts: string): number {
  if (ipOpts === '') return 0;
  let n = 1;
  for (let i = 0; i < ipOpts.length; i++) if (ipOpts.charCodeAt(i) === 32) n++;
  return n;
}

function synEvidence(p: Packet): number {
  if (p.family === 4 && p.seq >= 0) {
    const dst = parseIPv4(p.dst);
    if (dst !== null) {
      if (p.seq === dst) return Tool.Mirai;
      if (p.id >= 0 && p.id === ((dst ^ p.dport ^ p.seq) & 0xffff)) return Tool.Masscan;
    }
  }
  const opt = tcpOptionBytes(p);
  if (opt !== 0 && opt !== 4) return -1;
  if (p.window === 1025 || (p.family === 4 && p.window === 1024 && p.ttl > 128)) return Tool.Masscan;
  if (opt === 4 && isNmapWindow(p.window) && !hasDf(p) && (p.tcpOpts === '' || p.tcpOpts === '020405B4' || p.tcpOpts === '020405b4')) return Tool.Nmap;
  if (opt === 0 && (p.dport === 23 || p.dport === 2323)) return Tool.MiraiLike;
  return -1;
}

/** The tool a packet points to (a Tool value), or -1. `cls` is the packet's scan class. */
export function toolEvidence(p: Packet, cls: number): number {
  if (cls === ScanClass.OsProbe) return Tool.Nmap;
  if (p.family === 4 && p.id === 54321) return Tool.Zmap;
  if (p.protoNum !== 6) return -1;
  if (p.family === 6 && optionGroups(p.ipOpts) >= 7) return Tool.Topera;
  if (cls === ScanClass.Syn) return synEvidence(p);
  const f = p.tcpFlags & CORE;
  if (f !== TCP_SYN && looksLikeNmapProbe(p)) return Tool.Nmap;
  return -1;
}

/** Per-source TTL spread typical of nmap's randomised TTLs on IPv4 raw probes. */
export function nmapTtlPattern(family: 4 | 6, packets: number, ttlMin: number, ttlMax: number, dfPackets: number): boolean {
  return family === 4 && packets >= 6 && dfPackets === 0 && ttlMax <= 64 && ttlMax - ttlMin >= 6;
}
