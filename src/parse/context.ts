/** Per-stream parsing state: year inference reference, boot time, caches, journal export assembly, the reused packet record. */
import type { Packet } from '../model/packet.js';
import { emptyPacket } from './netfilter-payload.js';

export interface ParseOptions {
  /** Force the year of RFC 3164 timestamps (which carry none). */
  year?: number;
  /** Reference time (ms) for year inference: a date after it is taken as last year's. Default: now. */
  refTime?: number;
  /** Boot time (ms) for uptime-stamped records (/dev/kmsg, dmesg). Default: this host's boot time. */
  bootTime?: number;
}

export interface ParseContext {
  year: number | undefined;
  refTime: number;
  bootTime: number;
  /** Minute cache for local-time stamps: key = month/day/hour/minute, value = epoch ms of that minute. */
  minuteKey: number;
  minuteMs: number;
  /** Journal export record being assembled (`journalctl -o export`). */
  exportActive: boolean;
  exportTs: number;
  exportHost: string;
  exportMessage: string;
  /** The packet record parseBytes()/parseText() fill, one per reader (valid until the next line). */
  record: Packet;
}

export function createParseContext(opts: ParseOptions = {}): ParseContext {
  return {
    year: opts.year,
    refTime: opts.refTime ?? Date.now(),
    bootTime: opts.bootTime ?? Number.NaN,
    minuteKey: -1,
    minuteMs: 0,
    exportActive: false,
    exportTs: Number.NaN,
    exportHost: '',
    exportMessage: '',
    record: emptyPacket(),
  };
}
