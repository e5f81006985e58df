/**
 * `dsize`: application data length computed from the logged lengths.
 * LEN minus the real IP header (IPv4: 20 + logged options; IPv6: 40) minus
 * the transport header (TCP: 20 + logged TCP options, 20 when options are not
 * logged; UDP, UDPLITE, ICMP, ICMPv6: 8; SCTP: 12). psad used IPv4 sizes for
 * IPv6 and assumed 44 bytes of SYN options; both are fixed here.
 */
import type { Packet } from '../model/packet.js';

function transportHeader(p: Packet): number {
  switch (p.proto) {
    case 'tcp':
      return 20 + (p.tcpOpts.length >> 1);
    case 'udp':
    case 'udplite':
    case 'icmp':
    case 'icmp6':
      return 8;
    case 'sctp':
      return 12;
    default:
      return 0;
  }
}

export function ipHeaderLength(p: Packet): number {
  return p.family === 6 ? 40 : 20 + (p.ipOpts.length >> 1);
}

/** Payload bytes; -1 when LEN is not known. Non-first fragments carry no transport header. */
export function payloadSize(p: Packet): number {
  if (p.len < 0) return -1;
  const ip = ipHeaderLength(p);
  const size = p.len - ip - (p.frag > 0 ? 0 : transportHeader(p));
  return size < 0 ? 0 : size;
}
