/**
 * Which parsed packets are scored, in psad's order of checks: log prefix,
 * interface, FW_MSG_SEARCH, IPv6, protocol, then what is not a scan at all
 * (replies, backscatter, own traffic, LAN chatter: traffic-class.ts, which
 * also sets each packet's direction), conntrack leftovers, port, auto_dl
 * level 0. Every check is compiled from the configuration once, so with the
 * defaults a packet costs a few comparisons.
 */
import type { Config } from '../config/keys/index.js';
import type { Packet, SkipReason } from '../model/packet.js';
import type { AutoDl } from './auto-dl.js';
import { isConntrackLeftover } from './conntrack-leftover.js';
import { PortIgnoreTable, protocolSet } from './ignore-rules.js';
import type { TrafficClassifier } from './traffic-class.js';

export type PacketFilter = (p: Packet) => SkipReason | null;

/** True when the prefix holds `sidStr` followed by a digit (fwsnort's "SID2003"). */
export function hasSnortSid(prefix: string, sidStr: string): boolean {
  if (sidStr === '') return false;
  for (let i = prefix.indexOf(sidStr); i >= 0; i = prefix.indexOf(sidStr, i + 1)) {
    const c = prefix.charCodeAt(i + sidStr.length);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

function containsAny(text: string, needles: readonly string[]): boolean {
  for (const n of needles) if (text.includes(n)) return true;
  return false;
}

export function createPacketFilter(cfg: Config, opts: { autoDl?: AutoDl; traffic?: TrafficClassifier } = {}): PacketFilter {
  const traffic = opts.traffic ?? null;
  const ignorePrefixes = cfg.IGNORE_LOG_PREFIXES;
  const ignoreIfs = new Set(cfg.IGNORE_INTERFACES);
  const msgSearch = cfg.FW_SEARCH_ALL ? null : cfg.FW_MSG_SEARCH;
  const sidStr = cfg.ENABLE_SNORT_SIDS ? cfg.SNORT_SID_STR : '';
  const ipv6 = cfg.ENABLE_IPV6_DETECTION;
  const protos = protocolSet(cfg.IGNORE_PROTOCOLS);
  const ports = new PortIgnoreTable(cfg.IGNORE_PORTS);
  const conntrack = cfg.IGNORE_CONNTRACK_BUG_PKTS;
  const autoDl = opts.autoDl !== undefined && opts.autoDl.size > 0 ? opts.autoDl : null;
  // Consecutive lines nearly always share a prefix string: remember the last answer.
  let lastPrefix = '';
  let lastSid = false;
  const sidIn = (prefix: string): boolean => {
    if (prefix !== lastPrefix) {
      lastPrefix = prefix;
      lastSid = hasSnortSid(prefix, sidStr);
    }
    return lastSid;
  };

  return (p: Packet): SkipReason | null => {
    if (ignorePrefixes.length > 0 && p.prefix !== '' && containsAny(p.prefix, ignorePrefixes)) return 'ignored-prefix';
    if (ignoreIfs.size > 0 && ignoreIfs.has(p.chain === 'OUTPUT' ? p.outIf : p.inIf)) return 'ignored-interface';
    // An fwsnort SID in the prefix bypasses FW_MSG_SEARCH and the conntrack rule (as in psad).
    const sid = sidStr !== '' && p.prefix !== '' && sidIn(p.prefix);
    if (msgSearch !== null && !sid && !containsAny(p.prefix, msgSearch)) return 'not-matching-fw-msg-search';
    if (!ipv6 && p.family === 6) return 'ipv6-disabled';
    if (protos !== null && p.protoNum >= 0 && protos[p.protoNum] === 1) return 'ignored-protocol';
    if (traffic !== null && !sid) {
      const why = traffic.classify(p);
      if (why !== null) return why;
    }
    if (conntrack && !sid && isConntrackLeftover(p)) return 'conntrack-leftover';
    if (!ports.empty && ports.has(p.protoNum, p.dport)) return 'ignored-port';
    if (autoDl !== null && autoDl.lookupPacket(p)?.dl === 0) return 'auto-dl-ignore';
    return null;
  };
}
