/**
 * A tracked source as the report contract's SourceReport (src/model/report.ts).
 * Enrichment fields (country, asn, reputation, blocked) are left empty for
 * the composer to fill. Extra fields: currentDl, localHost, role,
 * multiDestination, osDetection (nmap -O probes seen), destinationsEstimated,
 * peakDestinations, portsScanned, icmpTypes, chains, reasons, ipOptions, osBasis.
 */
import type { Config } from '../config/keys/index.js';
import type { Direction } from '../model/packet.js';
import type { DangerLevel, ProtoReport, ServiceReport, SourceReport } from '../model/report.js';
import { tcpFlagsText } from '../net/tcp-flags.js';
import { dangerRules, isSweep } from './danger-rules.js';
import { ScanClass, scanTypes } from './scan-class.js';
import type { ScanTracker } from './scan-tracker.js';
import type { ServiceMap, ServiceTally } from './service-evidence.js';
import type { ProtoStat } from './proto-stat.js';
import type { SourceState } from './source-state.js';
import { nmapTtlPattern, Tool, TOOL_NAMES } from './tool-evidence.js';
import { isoTime } from '../text/iso-time.js';

function iso(ms: number): string {
  return isoTime(Number.isFinite(ms) ? ms : 0);
}

function direction(s: SourceState): Direction {
  if (s.inbound >= s.forward && s.inbound >= s.outbound) return 'inbound';
  return s.forward >= s.outbound ? 'forward' : 'outbound';
}

/** Counts sorted by count desc, then key, as a plain object. `entries` may be sorted in place when it is an array. */
function sortedCounts(entries: Iterable<[string, number]>): Record<string, number> {
  const list = Array.isArray(entries) ? entries : [...entries];
  if (list.length > 1) list.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const out: Record<string, number> = {};
  for (const [k, n] of list) out[k] = (out[k] ?? 0) + n;
  return out;
}

/** A kind counter's pairs with their kinds as text. */
function kindTexts(kinds: Array<[number, number]>, text: (k: number) => string): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (const [k, n] of kinds) out.push([text(k), n]);
  return out;
}

const icmpKindText = (k: number): string => `${k >> 8}/${k & 255}`;

function protocols(stats: readonly ProtoStat[]): { protocols: Record<string, ProtoReport>; portsScanned: Record<string, string>; icmpTypes: Record<string, number> | undefined } {
  const out: Record<string, ProtoReport> = {};
  const portsScanned: Record<string, string> = {};
  let icmpTypes: Record<string, number> | undefined;
  for (const ps of stats) {
    const r: ProtoReport = { packets: ps.packets };
    if (ps.hasPorts && ps.count > 0) {
      r.portRange = [ps.min, ps.max];
      r.ports = ps.count;
      portsScanned[ps.name] = ps.toString();
    }
    if (ps.num === 6) r.flags = sortedCounts(kindTexts(ps.kinds(), tcpFlagsText));
    if (ps.num === 1 || ps.num === 58) icmpTypes = sortedCounts(kindTexts(ps.kinds(), icmpKindText));
    out[ps.name] = r;
  }
  if (icmpTypes !== undefined && Object.keys(icmpTypes).length === 0) icmpTypes = undefined;
  return { protocols: out, portsScanned, icmpTypes };
}

/**
 * The scanner tool the evidence points to, or null. Marks that cannot occur
 * by chance (Mirai's SEQ, Topera's headers) count at once; zmap's and
 * masscan's IP ID marks must hold for at least half the packets, since any
 * one packet has a 1 in 65536 chance of carrying them.
 */
export function toolOf(s: SourceState): string | null {
  if (s.tool0 >= 0) {
    const t = s.toolCounts();
    const n = (tool: number): number => t[tool] as number;
    if (n(Tool.Mirai) > 0) return 'mirai';
    if (n(Tool.Topera) > 0) return 'topera';
    if (n(Tool.Zmap) * 2 >= s.packets) return 'zmap';
    if (n(Tool.Masscan) * 2 >= s.packets) return 'masscan';
    const tcp = s.tcp;
    if (n(Tool.MiraiLike) >= 2 && tcp !== null && tcp.has(23) && tcp.has(2323)) return 'mirai';
    if (n(Tool.Nmap) > 0) return TOOL_NAMES[Tool.Nmap];
  }
  if (s.fileTool !== null) return s.fileTool;
  return nmapTtlPattern(s.family, s.packets, s.ttlMin, s.ttlMax, s.dfPackets) ? 'nmap' : null;
}

/**
 * Packets per scan class, with nmap's host discovery folded into ICMP: when
 * a source pings and its only TCP ports are 80 and 443 (nmap's default
 * discovery sends an ACK to 80 and a SYN to 443 next to ICMP echo and
 * timestamp requests), those TCP probes are part of the ping scan.
 */
function classCounts(s: SourceState, tcp: ProtoStat | null): Uint32Array {
  const c = Uint32Array.from(s.classCounts());
  if (c[ScanClass.IcmpProbe]! > 0 && tcp !== null && tcp.count <= 2 && tcp.min >= 80 && tcp.max <= 443 && (tcp.count === 1 || (tcp.min === 80 && tcp.max === 443))) {
    c[ScanClass.IcmpProbe] = c[ScanClass.IcmpProbe]! + c[ScanClass.Syn]! + c[ScanClass.AckProbe]!;
    c[ScanClass.Syn] = c[ScanClass.AckProbe] = 0;
  }
  return c;
}

function role(s: SourceState): 'external' | 'local' | 'infected-local' {
  if (!s.local) return 'external';
  return s.peakDl >= 1 || s.matched ? 'infected-local' : 'local';
}

/**
 * Whether the source probed more than one target: two or more destination
 * ports, or two or more destinations. One connection attempt and its
 * retransmissions, a DNS query, or pings of one host are not scans and get
 * no scan type (psad labelled every alert "Nmap -sT or -sS scan").
 */
function probedSeveral(s: SourceState, stats: readonly ProtoStat[]): boolean {
  if (s.dsts.distinct() >= 2 || s.protoScan) return true;
  let ports = 0;
  for (const ps of stats) if (ps.hasPorts) ports += ps.count;
  return ports >= 2;
}

/** In a protocol scan each protocol gets a probe or two: a class needs clearly more to be a scan of its own. */
function protoScanFloor(s: SourceState, protocols: number): number {
  if (!s.protoScan) return 0;
  return Math.ceil((2.5 * s.packets) / Math.max(1, protocols));
}

/**
 * The report of one source. Optional fields that a source lacks are
 * `undefined` rather than absent, so every report has the same shape (one
 * hidden class: building and writing a million of them stays on V8's fast
 * paths); JSON leaves undefined fields out, so the text is the same.
 */
export function sourceReport(s: SourceState, cfg: Config): SourceReport {
  // The records once (each call makes an array, and a record for one held inline).
  const stats = s.protocolStats();
  const first = stats[0];
  const p = protocols(stats);
  const counts = classCounts(s, first !== undefined && first.num === 6 ? first : null);
  const matches = s.signatures;
  // sort() copies even a one-element list (most sources match one rule or none).
  const sigs = matches === null ? [] : matches.length > 1 ? matches.slice().sort((a, b) => b.hits - a.hits || a.sid - b.sid) : matches;
  const reasons = s.reasons;
  const osGuess = s.osGuess;
  const dsts = s.dsts;
  return {
    src: s.key,
    addresses: s.addresses !== null ? (s.addresses.length > 1 ? [...s.addresses].sort() : [...s.addresses]) : undefined,
    dl: s.peakDl as DangerLevel,
    packets: s.packets,
    destinations: dsts.distinct(),
    direction: direction(s),
    protocols: p.protocols,
    scanTypes: probedSeveral(s, stats) ? scanTypes(counts, s.sweep || isSweep(dangerRules(cfg), dsts.active, dsts.sweepLike), s.protoScan, protoScanFloor(s, stats.length)) : [],
    tool: toolOf(s),
    signatures: sigs.map((g) => ({ msg: g.msg, sid: g.sid, dl: g.dl, hits: g.hits })),
    invalidIcmp: s.invalidIcmp === null ? [] : [...s.invalidIcmp.keys()].sort(),
    os: osGuess?.fp.label ?? null,
    country: null,
    asn: null,
    reputation: [],
    firstSeen: iso(s.firstSeen),
    lastSeen: iso(s.lastSeen),
    blocked: null,
    currentDl: cfg.ENABLE_PERSISTENCE ? s.peakDl : s.dl,
    localHost: s.local,
    role: role(s),
    multiDestination: dsts.peak > 1,
    osDetection: counts[ScanClass.OsProbe]! > 0,
    peakDestinations: dsts.peak,
    destinationsEstimated: !dsts.exact,
    addressesTruncated: s.addressesTruncated ? true : undefined,
    portsScanned: p.portsScanned,
    icmpTypes: p.icmpTypes,
    chains: { INPUT: s.inbound, OUTPUT: s.outbound, FORWARD: s.forward },
    reasons: reasons === null ? [] : [...reasons],
    ipOptions: s.ipOptions === null ? [] : [...s.ipOptions],
    osBasis: osGuess === null ? null : osGuess.score === 2 ? 'tcp-options' : 'length',
    services: s.services !== null ? servicesReport(s.services) : undefined,
    // Filled by the enrichment (enrichSource) when it has them; declared here to keep the shape.
    asOrg: undefined,
    city: undefined,
  };
}

/** The contract's `services` object: per service the failures, user names tried (capped), first and last. */
function servicesReport(m: ServiceMap): Record<string, ServiceReport> {
  const out: Record<string, ServiceReport> = {};
  for (const name of [...m.keys()].sort()) {
    const t = m.get(name) as ServiceTally;
    out[name] = {
      events: t.events,
      users: [...t.users],
      ...(t.usersMore > 0 ? { moreUsers: t.usersMore } : {}),
      kinds: sortedCounts(t.kinds),
      first: iso(t.first),
      last: iso(t.last),
    };
  }
  return out;
}

/**
 * The contract's order (dl desc, then packets desc, then src) on tracked
 * sources: a report's dl, packets and src are the state's peakDl, packets and
 * key, so reports can be sorted before they are built, then built one at a time.
 */
export function compareSourceStates(a: SourceState, b: SourceState): number {
  return b.peakDl - a.peakDl || b.packets - a.packets || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** Digits of a packet count per radix pass (16 bits). */
const PACKET_DIGIT = 65_536;

/**
 * One stable counting-sort pass: `order` sorted by `digit[i]` (0 <= digit <
 * buckets) into `into`, equal digits keeping their order.
 */
function radixPass(order: Uint32Array, into: Uint32Array, digit: ArrayLike<number>, count: Uint32Array, buckets: number): void {
  count.fill(0, 0, buckets + 1);
  const n = order.length;
  for (let i = 0; i < n; i++) count[(digit[order[i] as number] as number) + 1]!++;
  for (let b = 0; b < buckets; b++) count[b + 1]! += count[b] as number;
  for (let i = 0; i < n; i++) {
    const x = order[i] as number;
    into[count[digit[x] as number]!++] = x;
  }
}

/**
 * Tracked sources at or above `minDl`, in the contract's order
 * (compareSourceStates). A stable radix sort (LSD): by the keys'
 * characters from the last position to the first (a key that ends sorts
 * before any character, as `<` on strings does), then by packets
 * descending, then by DL descending. With a million sources a comparison
 * sort took seconds; this is a few dozen linear passes over typed arrays.
 */
export function listedSources(tracker: ScanTracker, minDl: number, keep?: (key: string) => boolean): SourceState[] {
  const states: SourceState[] = [];
  // The sort keys, read once: each read of a state is a cache miss in a heap of a million of them.
  const keys: string[] = [];
  const packets: number[] = [];
  const levels: number[] = [];
  let longest = 0;
  let maxPackets = 0;
  let exotic = false;
  for (const s of tracker.sources(minDl)) {
    const dl = s.peakDl;
    if (dl < minDl) continue;
    const key = s.key;
    if (keep !== undefined && !keep(key)) continue;
    const pk = s.packets;
    states.push(s);
    keys.push(key);
    packets.push(pk);
    levels.push(dl);
    if (key.length > longest) longest = key.length;
    if (pk > maxPackets) maxPackets = pk;
    if (!Number.isSafeInteger(pk) || pk < 0 || !Number.isInteger(dl) || dl < 0 || dl > 255) exotic = true;
  }
  // Counts and levels are small non-negative integers and keys ASCII; anything else (never seen) takes the comparison sort.
  if (exotic) return states.sort(compareSourceStates);
  const n = states.length;
  let order = new Uint32Array(n);
  let spare = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const swap = (): void => {
    const t = order;
    order = spare;
    spare = t;
  };
  // Keys: their characters column by column (a byte each: keys are address text), 0 where a key has ended.
  const chars = new Uint8Array(n * longest);
  for (let i = 0; i < n; i++) {
    const key = keys[i] as string;
    for (let c = 0; c < key.length; c++) {
      const code = key.charCodeAt(c);
      if (code > 127) return states.sort(compareSourceStates);
      chars[c * n + i] = code + 1;
    }
  }
  const digit = new Uint32Array(n);
  const count = new Uint32Array(PACKET_DIGIT + 2);
  for (let c = longest - 1; c >= 0; c--) {
    radixPass(order, spare, chars.subarray(c * n, (c + 1) * n), count, 129);
    swap();
  }
  // Packets, descending: 16 bits per pass, as many passes as the largest count needs.
  for (let scale = 1; scale <= maxPackets; scale *= PACKET_DIGIT) {
    for (let i = 0; i < n; i++) digit[i] = PACKET_DIGIT - 1 - (Math.floor((packets[i] as number) / scale) % PACKET_DIGIT);
    radixPass(order, spare, digit, count, PACKET_DIGIT);
    swap();
  }
  // DL, descending.
  for (let i = 0; i < n; i++) digit[i] = 255 - (levels[i] as number);
  radixPass(order, spare, digit, count, 256);
  swap();
  const out = new Array<SourceState>(n);
  for (let i = 0; i < n; i++) out[i] = states[order[i] as number] as SourceState;
  return out;
}

/** Reports for tracked sources at or above `minDl` (default MIN_DANGER_LEVEL), in the contract's order. */
export function sourceReports(tracker: ScanTracker, cfg: Config, minDl = cfg.MIN_DANGER_LEVEL): SourceReport[] {
  return listedSources(tracker, minDl).map((s) => sourceReport(s, cfg));
}
