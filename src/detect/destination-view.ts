/**
 * A source's destinations as `tsad status` shows them (psad -S's `DST:`
 * blocks): the busiest few in the current window, read from what the
 * destination table already keeps (packets, port span, protocols, last
 * seen). Nothing here runs per packet.
 */
import { EPOCH_MS } from './event-seconds.js';
import type { DestinationState } from './destination-state.js';
import type { SourceState } from './source-state.js';
import type { DestinationView } from '../model/report.js';

const NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmp6', 132: 'sctp', 136: 'udplite' };

function protocolsOf(d: DestinationState): string[] {
  const nums: number[] = [];
  if (d.proto0 >= 0) nums.push(d.proto0);
  const bits = d.protoBits;
  if (bits !== null) {
    for (let n = 0; n < 256; n++) if (n !== d.proto0 && ((bits[n >>> 5] as number) & (1 << (n & 31))) !== 0) nums.push(n);
  }
  return nums.sort((a, b) => a - b).map((n) => NAMES[n] ?? String(n));
}

/** The `n` destinations with the most packets in the source's window (ties: the latest first), and how many there are. */
export function topDestinations(s: SourceState, n: number): { list: DestinationView[]; inWindow: number } {
  const entries = s.dsts.tableSnapshot().entries;
  const top = [...entries].sort((a, b) => b[1].dstPackets - a[1].dstPackets || b[1].dstSeen - a[1].dstSeen || (a[0] < b[0] ? -1 : 1)).slice(0, n);
  return {
    inWindow: entries.length,
    list: top.map(([dst, d]) => ({
      dst,
      packets: d.dstPackets,
      portRange: d.portMax > 0 ? [d.portMin, d.portMax] : null,
      protocols: protocolsOf(d),
      lastSeen: new Date(EPOCH_MS + d.dstSeen * 1000).toISOString(),
    })),
  };
}
