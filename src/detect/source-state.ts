/**
 * Everything tracked about one source (an address, or a prefix when
 * aggregated). Fixed-shape classes so V8 keeps them compact; the rare parts
 * (second destination, second flag combination, signatures, invalid ICMP)
 * are allocated only when they first occur, because a flood of one-packet
 * sources must stay cheap.
 */
import type { SignatureRole } from '../model/signature.js';
import type { Direction } from '../model/packet.js';
import type { FingerprintGuess } from './os-fingerprint.js';
import { DestinationTable, TABLE_BITS } from './destination-table.js';
import { EPOCH_MS, toSeconds } from './event-seconds.js';
import { ProtoInfo, ProtoStat, protoInfo } from './proto-stat.js';
import { grown } from './exact-list.js';
import { sharedText } from './shared-text.js';
import { keyMsg, keyRole, keySid, signatureKey } from './signature-keys.js';
import type { ServiceMap } from './service-evidence.js';
import { CLASS_COUNT } from './scan-class.js';
import { formatIPv4, parseIPv4 } from '../net/address.js';
import { TOOL_COUNT } from './tool-evidence.js';
import {
  ADDRESS, BITS, DST, DST_TEXT, KEY, KEY_TEXT, MISC, MS, P0X, PORT, SEC, SEEN_ZERO, SIG, SIG1, SMALL, rowAt, type CompactSources,
} from './compact-sources.js';

export interface SignatureTally {
  msg: string;
  sid: number;
  dl: number;
  hits: number;
  role: SignatureRole;
}

/** A match as reports and saved state take it, from its code and hits (see SourceState's signatures). */
function tally(code: number, hits: number): SignatureTally {
  const k = code >>> 3;
  return { msg: keyMsg(k), sid: keySid(k), dl: code & 7, hits, role: keyRole(k) };
}

/** Flag bits of a source (in DestinationState.bits, above the table's). */
const LOCAL = 1 << TABLE_BITS;
const SWEEP = 2 << TABLE_BITS;
const PROTO_SCAN = 4 << TABLE_BITS;
/** A signature matched in the 'service' role (topServiceMatch() has something to find). */
const SERVICE_SIG = 8 << TABLE_BITS;
/** The current and the peak level, 3 bits each, above the flags. */
const DL_SHIFT = TABLE_BITS + 4;
const PEAK_SHIFT = DL_SHIFT + 3;
/** An IPv6 source. */
const FAMILY6 = 1 << (PEAK_SHIFT + 3);
/** The highest level of the 'service' role matches (topServiceDl(), checked per packet), 3 bits above FAMILY6 (bits stay an int32 for packing). */
const SVC_SHIFT = PEAK_SHIFT + 4;
const SVC_MASK = 7 << SVC_SHIFT;
/** osTries in #small (bits 25-30; it only counts up to OS_TRIES in scan-tracker.ts, a saved larger count is kept as 63). */
const OS_SHIFT = 25;
const OS_MAX = 63;

export const MAX_ADDRESSES = 64;
export const MAX_REASONS = 16;
export const MAX_SIGNATURES = 256;
export const MAX_INVALID_ICMP = 32;
export const MAX_IP_OPTIONS = 16;

/** The rare parts of a source, as restoreNotes() takes them. */
export interface SourceNotesFields {
  addressesTruncated: boolean;
  reasons: string[] | null;
  others: Map<number, ProtoStat> | null;
  fileTool: string | null;
  osGuess: FingerprintGuess | null;
  invalidIcmp: Map<string, number> | null;
  ipOptions: string[] | null;
  outside: Map<number, ProtoStat> | null;
  /** Service-log evidence (service-evidence.ts). */
  services?: ServiceMap | null;
}

/** The parts of a source that most sources never need, allocated on first use (the reasons are kept apart: see #why). */
class SourceNotes implements Omit<SourceNotesFields, 'reasons'> {
  /** The tcp, udp and icmp records after the first of them (which the source keeps itself). */
  tcp: ProtoStat | null = null;
  udp: ProtoStat | null = null;
  icmp: ProtoStat | null = null;
  /** Per scan class and per tool, once a second class (tool) is seen (the first is counted inline). */
  classes: Uint32Array | null = null;
  tools: Uint32Array | null = null;
  addressesTruncated = false;
  others: Map<number, ProtoStat> | null = null;
  fileTool: string | null = null;
  osGuess: FingerprintGuess | null = null;
  invalidIcmp: Map<string, number> | null = null;
  ipOptions: string[] | null = null;
  outside: Map<number, ProtoStat> | null = null;
  services: ServiceMap | null = null;
}

/** Packets per chain, once one did not come in (before that, every packet did). */
class Chains {
  outbound = 0;
  forward = 0;
  constructor(public inbound: number) {}
}

/**
 * A source extends its destination table (one object instead of two per
 * source: with a million sources every object counts); `dsts` names that part.
 */
export class SourceState extends DestinationTable {
  /** Addresses seen, when the key is a prefix (first MAX_ADDRESSES); null otherwise. */
  addresses!: string[] | null;
  /** First and last packet, seconds since EPOCH_MS plus the millisecond (see event-seconds.ts). */
  #firstSec!: number;
  #firstMs!: number;
  #lastSec!: number;
  #lastMs!: number;
  packets = 0;
  /** Null while every packet came in on the INPUT chain (inbound = packets). */
  #chains: Chains | null = null;
  /**
   * The first of the tcp, udp and icmp records made (most sources use one
   * protocol; the others are in the notes). While that record holds a single
   * packet it is not made: #p0 is its protocol and #p0x the packet's port and
   * kind (see inlinePacket()), as a flood of one-packet sources would
   * otherwise make a record object each.
   */
  #p0: ProtoStat | ProtoInfo | null = null;
  #p0x = 0;
  cls0n = 0;
  tool0n = 0;
  /**
   * Small fields packed into one number (each field costs 8 bytes a source,
   * 8 MB a million): cls0 + 1 (bits 0-3), tool0 + 1 (4-6), ttlMin (7-15),
   * ttlMax + 1 (16-24), osTries (25-30). See the accessors below.
   */
  #small = 256 << 7;
  dfPackets = 0;
  /** The last state snapshot this source was written into, or began after it was tracked (state/scan-snapshot.ts). */
  savedIn = 0;
  /**
   * Signature matches, in first-match order, as numbers (no object per
   * match: signature-keys.ts): each is a code, signatureKey() * 8 + the
   * highest level, and a hit count. The first two inline (most sources
   * match one or two rules), the rest as code, hits pairs.
   */
  #g0 = -1;
  #h0 = 0;
  #g1 = -1;
  #h1 = 0;
  #gMore: number[] | null = null;
  #notes: SourceNotes | null = null;
  /**
   * Why the level rose: one reason inline (most sources that rise rise once),
   * more in an array of 2, 4, 8 or 16 slots, the unused ones at the end
   * undefined (a source of a long log rises every episode: an exactly sized
   * copy per reason was the tracker's largest garbage).
   */
  #why: string | Array<string | undefined> | null = null;

  /**
   * The tracking key: a plain IPv4 address as its int32 value (no string per
   * source; `key` formats it when asked), any other key as text.
   */
  #k!: string | number;

  /** `v4`: SourceTable.v4(key) when the caller has it. */
  constructor(key: string, family: 4 | 6, aggregated: boolean, ts: number, local: boolean, v4 = SourceState.v4(key)) {
    super();
    this.#begin(key, family, aggregated, ts, local, v4);
  }

  /** What the constructor sets from its arguments (the fields not set here have their initial values). */
  #begin(key: string, family: 4 | 6, aggregated: boolean, ts: number, local: boolean, v4: number): void {
    this.#k = v4 >= 0 ? v4 | 0 : key;
    if (family === 6) this.bits |= FAMILY6;
    this.addresses = aggregated ? [] : null;
    const sec = toSeconds(ts);
    const ms = ts - EPOCH_MS - sec * 1000;
    this.#firstSec = this.#lastSec = sec;
    this.#firstMs = this.#lastMs = ms;
    this.local = local;
  }

  /**
   * Makes this object what `new SourceState(key, ...)` makes, to stand for
   * another new source (the tracker reuses the object of a source it just
   * packed: a flood would otherwise make and drop one per packet).
   */
  renew(key: string, family: 4 | 6, aggregated: boolean, ts: number, local: boolean, v4 = SourceState.v4(key)): this {
    this.dstPackets = this.portMax = this.dstSeen = this.bits = 0;
    this.portMin = 65536;
    this.protoBits = null;
    this.clearTable();
    this.packets = this.#p0x = this.cls0n = this.tool0n = this.dfPackets = this.savedIn = this.#h0 = this.#h1 = 0;
    this.#chains = null;
    this.#p0 = null;
    this.#small = 256 << 7;
    this.#g0 = this.#g1 = -1;
    this.#gMore = null;
    this.#notes = null;
    this.#why = null;
    this.#begin(key, family, aggregated, ts, local, v4);
    return this;
  }

  /** Counts a packet and its chain. */
  addPacket(dir: Direction): void {
    this.packets++;
    let c = this.#chains;
    if (c === null) {
      if (dir === 'inbound') return;
      c = this.#chains = new Chains(this.packets - 1);
    }
    if (dir === 'inbound') c.inbound++;
    else if (dir === 'outbound') c.outbound++;
    else c.forward++;
  }

  /** Packets on the INPUT chain. */
  get inbound(): number {
    return this.#chains === null ? this.packets : this.#chains.inbound;
  }

  /** Packets on the OUTPUT chain. */
  get outbound(): number {
    return this.#chains === null ? 0 : this.#chains.outbound;
  }

  /** Packets on the FORWARD chain. */
  get forward(): number {
    return this.#chains === null ? 0 : this.#chains.forward;
  }

  /** Sets the counts per chain (saved state; `packets` first). */
  restoreChains(inbound: number, outbound: number, forward: number): void {
    if (inbound === this.packets && outbound === 0 && forward === 0) this.#chains = null;
    else {
      const c = (this.#chains = new Chains(inbound));
      c.outbound = outbound;
      c.forward = forward;
    }
  }

  /**
   * Packs this source into row `i` of `c` when all it holds fits a row (one
   * packet of tcp, udp or icmp to one destination, level 0, at most two signature matches, none of the rare parts);
   * false, changing nothing, when it does not. unpack() gives it back as it was.
   */
  packInto(c: CompactSources, i: number): boolean {
    const k = this.#k;
    const p = this.#p0;
    const a = this.addresses;
    if (this.packets !== 1 || (a !== null && a.length !== 1) || this.#notes !== null || this.#why !== null || p === null) return false;
    // A restored source has its record made; one that holds what an inline packet would is packed as that packet.
    const x = p instanceof ProtoStat ? inlineOf(p) : this.#p0x;
    if (x < 0) return false;
    if (this.#gMore !== null || (this.#g0 >= 0 && this.#h0 !== 1) || (this.#g1 >= 0 && this.#h1 !== 1) || this.cls0n > 1 || this.tool0n > 1 || this.dfPackets > 1) return false;
    const bits = this.bits;
    if ((bits | 0) !== bits || ((bits >>> DL_SHIFT) & 63) !== 0 || (this.#small | 0) !== this.#small) return false;
    let chain = 0;
    const ch = this.#chains;
    if (ch !== null) {
      if (ch.inbound !== 0 || ch.outbound + ch.forward !== 1) return false;
      chain = ch.outbound === 1 ? 1 : 2;
    }
    const dst = this.soleKey;
    if (dst === null || this.dstPackets !== 1 || this.protoBits !== null) return false;
    const sec = this.#firstSec;
    const ms = this.#firstMs;
    if (sec !== this.#lastSec || ms !== this.#lastMs || (sec | 0) !== sec) return false;
    // The destination's last second and port range as one packet leaves them (a row has no room for others).
    const seen = this.dstSeen;
    const pMin = this.portMin;
    const port = pMin === 65536 && this.portMax === 0 ? -1 : pMin === this.portMax ? pMin : -2;
    if ((seen !== sec && seen !== 0) || port < -1) return false;
    const d4 = c.lastDst === dst ? c.lastDst4 : SourceState.v4(dst);
    c.lastDst = dst;
    c.lastDst4 = d4;
    const d = d4 >= 0 ? d4 | 0 : c.dstIndex(dst);
    const info = c.infoIndex(p instanceof ProtoStat ? protoInfo(p.name, p.num, p.hasPorts) : p);
    if (info < 0 || (d4 < 0 && d < 0)) return false;
    const w = c.ints(i);
    const r = rowAt(i);
    w[r + KEY] = typeof k === 'number' ? k : c.addText(k, a === null ? null : (a[0] as string));
    w[r + SEC] = sec;
    c.floats(i)[(r >>> 1) + MS] = ms;
    w[r + BITS] = bits;
    w[r + SMALL] = this.#small;
    w[r + MISC] = chain | (this.cls0n << 2) | (this.tool0n << 3) | (this.dfPackets << 4) | (d4 < 0 ? DST_TEXT : 0) | (typeof k === 'number' ? 0 : KEY_TEXT) | (a === null ? 0 : ADDRESS) | (info << 8) | (seen !== sec ? SEEN_ZERO : 0);
    w[r + P0X] = x;
    w[r + SIG] = this.#g0;
    w[r + SIG1] = this.#g1;
    w[r + DST] = d;
    w[r + PORT] = port;
    return true;
  }

  /** The source packed in row `i` of `c` (packInto()), as an object again; `savedIn` as given. */
  static unpack(c: CompactSources, i: number, savedIn = 0): SourceState {
    const w = c.ints(i);
    const r = rowAt(i);
    const m = w[r + MISC] as number;
    const key = w[r + KEY] as number;
    const text = (m & KEY_TEXT) !== 0 ? (c.texts[key] as string) : null;
    const addr = (m & ADDRESS) !== 0 ? (c.addrs[key] as string) : null;
    const bits = w[r + BITS] as number;
    const s = new SourceState(text ?? '', (bits & FAMILY6) !== 0 ? 6 : 4, addr !== null, EPOCH_MS, false, text === null ? key >>> 0 : -1);
    if (addr !== null) (s.addresses as string[]).push(addr);
    s.#firstSec = s.#lastSec = w[r + SEC] as number;
    s.#firstMs = s.#lastMs = c.floats(i)[(r >>> 1) + MS] as number;
    s.packets = 1;
    if ((m & 3) !== 0) {
      const ch = (s.#chains = new Chains(0));
      if ((m & 3) === 1) ch.outbound = 1;
      else ch.forward = 1;
    }
    s.#p0 = c.infos[(m >>> 8) & 255] as ProtoInfo;
    s.#p0x = w[r + P0X] as number;
    s.cls0n = (m >>> 2) & 1;
    s.tool0n = (m >>> 3) & 1;
    s.dfPackets = (m >>> 4) & 1;
    s.#small = w[r + SMALL] as number;
    const g = w[r + SIG] as number;
    if (g >= 0) {
      s.#g0 = g;
      s.#h0 = 1;
    }
    const g1 = w[r + SIG1] as number;
    if (g1 >= 0) {
      s.#g1 = g1;
      s.#h1 = 1;
    }
    s.savedIn = savedIn;
    s.bits = bits;
    s.dstPackets = 1;
    const port = w[r + PORT] as number;
    if (port >= 0) s.portMin = s.portMax = port;
    s.dstSeen = (m & SEEN_ZERO) !== 0 ? 0 : s.#firstSec;
    const d = w[r + DST] as number;
    s.restoreSole((m & DST_TEXT) !== 0 ? (c.dstTexts[d] as string) : formatIPv4(d >>> 0));
    return s;
  }

  /** Whether a key is a plain IPv4 address in canonical form (kept as a number): its value, else -1. */
  static v4(key: string): number {
    if (key.length > 15 || key.indexOf('/') >= 0) return -1;
    const n = parseIPv4(key);
    return n === null ? -1 : n;
  }

  /** The address or prefix this source is tracked under. */
  get key(): string {
    const k = this.#k;
    return typeof k === 'number' ? formatIPv4(k >>> 0) : k;
  }

  /** The key's IPv4 value when it is a plain IPv4 address (see SourceState.v4), else -1. */
  get v4Key(): number {
    const k = this.#k;
    return typeof k === 'number' ? k >>> 0 : -1;
  }

  get family(): 4 | 6 {
    return (this.bits & FAMILY6) !== 0 ? 6 : 4;
  }

  /** Level in the current episode (what alerts and blocking act on), 0-5. */
  get dl(): number {
    return (this.bits >>> DL_SHIFT) & 7;
  }

  set dl(v: number) {
    this.bits = (this.bits & ~(7 << DL_SHIFT)) | ((v & 7) << DL_SHIFT);
  }

  /** Highest level over the tracked life (what reports show), 0-5. */
  get peakDl(): number {
    return (this.bits >>> PEAK_SHIFT) & 7;
  }

  set peakDl(v: number) {
    this.bits = (this.bits & ~(7 << PEAK_SHIFT)) | ((v & 7) << PEAK_SHIFT);
  }

  /** The first scan class seen (packets in cls0n; all classes in `classes` once a second appears), -1 before any. */
  get cls0(): number {
    return (this.#small & 15) - 1;
  }

  set cls0(v: number) {
    this.#small = (this.#small & ~15) | (v + 1);
  }

  /** Tool evidence: the first tool inline (packets in tool0n), all counts once a second one appears; -1 before any. */
  get tool0(): number {
    return ((this.#small >>> 4) & 7) - 1;
  }

  set tool0(v: number) {
    this.#small = (this.#small & ~(7 << 4)) | ((v + 1) << 4);
  }

  /** Lowest IPv4 TTL seen, 0-255 (256 before any). */
  get ttlMin(): number {
    return (this.#small >>> 7) & 511;
  }

  set ttlMin(v: number) {
    this.#small = (this.#small & ~(511 << 7)) | (v << 7);
  }

  /** Highest IPv4 TTL seen, 0-255 (-1 before any). */
  get ttlMax(): number {
    return ((this.#small >>> 16) & 511) - 1;
  }

  set ttlMax(v: number) {
    this.#small = (this.#small & ~(511 << 16)) | ((v + 1) << 16);
  }

  /** OS fingerprint lookups made (saturating at 63). */
  get osTries(): number {
    return (this.#small >>> OS_SHIFT) & OS_MAX;
  }

  set osTries(v: number) {
    this.#small = (this.#small & ~(OS_MAX << OS_SHIFT)) | (Math.min(v, OS_MAX) << OS_SHIFT);
  }

  /** The tcp record (to read: while it holds one packet, a copy made on each call). */
  get tcp(): ProtoStat | null {
    return this.#slot(6);
  }

  set tcp(v: ProtoStat | null) {
    this.#setSlot(6, v);
  }

  get udp(): ProtoStat | null {
    return this.#slot(17);
  }

  set udp(v: ProtoStat | null) {
    this.#setSlot(17, v);
  }

  /** ICMP or ICMPv6. */
  get icmp(): ProtoStat | null {
    return this.#slot(1);
  }

  set icmp(v: ProtoStat | null) {
    this.#setSlot(1, v);
  }

  /** The record in slot 6 (tcp), 17 (udp) or 1 (icmp, icmp6), to read (an inline one as a copy). */
  #slot(slot: number): ProtoStat | null {
    const p = this.#p0;
    if (p !== null && slotOf(p.num) === slot) return p instanceof ProtoStat ? p : inflate(p, this.#p0x);
    return this.#noted(slot);
  }

  #noted(slot: number): ProtoStat | null {
    const n = this.#notes;
    return n === null ? null : slot === 6 ? n.tcp : slot === 17 ? n.udp : n.icmp;
  }

  /** The record in a slot to change: an inline one is made and kept. */
  #writable(slot: number): ProtoStat | null {
    const p = this.#p0;
    if (p !== null && slotOf(p.num) === slot) return p instanceof ProtoStat ? p : (this.#p0 = inflate(p, this.#p0x));
    return this.#noted(slot);
  }

  /** Distinct ports in the record of a slot (none when inline without a port). */
  #ports(slot: number): number {
    const p = this.#p0;
    if (p !== null && slotOf(p.num) === slot) return p instanceof ProtoStat ? p.count : p.hasPorts && (this.#p0x & PORT_MASK) !== 0 ? 1 : 0;
    return this.#noted(slot)?.count ?? 0;
  }

  /**
   * Counts a packet of a protocol (port -1: none; kind: the TCP flags, or
   * ICMP type * 256 + code, -1: none) in its record, as record.packets++,
   * add(port) when it has ports, addKind(kind) for TCP or a kind would.
   * Returns the record's protocol (its name, number and whether it has ports).
   */
  countProtocol(name: string, num: number, port: number, kind: number): ProtoInfo | ProtoStat {
    if (this.#p0 === null && (num === 6 || num === 17 || num === 1 || num === 58) && this.#noted(slotOf(num)) === null) {
      const info = protoInfo(name, num, slotOf(num) !== 1);
      const x = inlinePacket(info.hasPorts, num, port, kind);
      if (x >= 0) {
        this.#p0 = info;
        this.#p0x = x;
        portAdded = info.hasPorts && port >= 0;
        return info;
      }
    }
    const ps = this.proto(name, num);
    ps.packets++;
    portAdded = ps.hasPorts && port >= 0 && ps.add(port);
    if (num === 6 || kind >= 0) ps.addKind(kind);
    return ps;
  }

  /**
   * Whether the last countProtocol() (of any source) added a distinct port:
   * the tracker's cue that the long-horizon port count may have grown (a
   * flag for all sources, read right after the call: no field per source).
   */
  static get portAdded(): boolean {
    return portAdded;
  }

  #setSlot(slot: number, v: ProtoStat | null): void {
    const p = this.#p0;
    if (p === null || slotOf(p.num) === slot) {
      this.#p0 = v;
      return;
    }
    if (v === null && this.#notes === null) return;
    const n = this.#n;
    if (slot === 6) n.tcp = v;
    else if (slot === 17) n.udp = v;
    else n.icmp = v;
  }

  /** Inside HOME_NET, or sent by this host (OUTPUT chain). */
  get local(): boolean {
    return (this.bits & LOCAL) !== 0;
  }

  set local(v: boolean) {
    this.bits = v ? this.bits | LOCAL : this.bits & ~LOCAL;
  }

  /** Made a sweep (sticky label, see scan-tracker.ts). */
  get sweep(): boolean {
    return (this.bits & SWEEP) !== 0;
  }

  set sweep(v: boolean) {
    this.bits = v ? this.bits | SWEEP : this.bits & ~SWEEP;
  }

  /** Probed one destination on PROTOCOL_SCAN_THRESHOLD protocols. */
  get protoScan(): boolean {
    return (this.bits & PROTO_SCAN) !== 0;
  }

  set protoScan(v: boolean) {
    this.bits = v ? this.bits | PROTO_SCAN : this.bits & ~PROTO_SCAN;
  }

  /** Packets per scan class once a second class was seen (else the first is in cls0/cls0n). */
  get classes(): Uint32Array | null {
    return this.#notes?.classes ?? null;
  }

  set classes(v: Uint32Array | null) {
    if (v !== null || this.#notes !== null) this.#n.classes = v;
  }

  /** Packets per tool evidence once a second tool was seen (else the first is in tool0/tool0n). */
  get tools(): Uint32Array | null {
    return this.#notes?.tools ?? null;
  }

  set tools(v: Uint32Array | null) {
    if (v !== null || this.#notes !== null) this.#n.tools = v;
  }

  get #n(): SourceNotes {
    return (this.#notes ??= new SourceNotes());
  }

  /** More than MAX_ADDRESSES addresses were seen in the prefix. */
  get addressesTruncated(): boolean {
    return this.#notes?.addressesTruncated ?? false;
  }

  /** Why the level rose, oldest first (at most 16). */
  get reasons(): readonly string[] | null {
    const w = this.#why;
    if (w === null) return null;
    if (typeof w === 'string') return [w];
    const n = reasonCount(w);
    return (n === w.length ? w : w.slice(0, n)) as string[];
  }

  /** Protocols other than tcp, udp, icmp/icmp6, by number. */
  get others(): ReadonlyMap<number, ProtoStat> | null {
    return this.#notes?.others ?? null;
  }

  /** Scanner named by a "tool:" fingerprint line. */
  get fileTool(): string | null {
    return this.#notes?.fileTool ?? null;
  }

  get osGuess(): FingerprintGuess | null {
    return this.#notes?.osGuess ?? null;
  }

  /** Signature matches, in first-match order (at most MAX_SIGNATURES): new objects, made on each call. */
  get signatures(): readonly SignatureTally[] | null {
    const n = this.#sigCount();
    if (n === 0) return null;
    const out = new Array<SignatureTally>(n);
    for (let i = 0; i < n; i++) out[i] = tally(this.#sigCode(i), this.#sigHits(i));
    return out;
  }

  /** Some signature matched (signatures !== null, without making a list). */
  get matched(): boolean {
    return this.#g0 >= 0;
  }

  #sigCount(): number {
    return this.#g0 < 0 ? 0 : this.#g1 < 0 ? 1 : 2 + (this.#gMore === null ? 0 : this.#gMore.length >>> 1);
  }

  #sigCode(i: number): number {
    return i === 0 ? this.#g0 : i === 1 ? this.#g1 : ((this.#gMore as number[])[(i - 2) * 2] as number);
  }

  #sigHits(i: number): number {
    return i === 0 ? this.#h0 : i === 1 ? this.#h1 : ((this.#gMore as number[])[(i - 2) * 2 + 1] as number);
  }

  #setSig(i: number, code: number, hits: number): void {
    if (i === 0) {
      this.#g0 = code;
      this.#h0 = hits;
    } else if (i === 1) {
      this.#g1 = code;
      this.#h1 = hits;
    } else {
      const m = (this.#gMore ??= []);
      m[(i - 2) * 2] = code;
      m[(i - 2) * 2 + 1] = hits;
    }
  }

  /** Index of the match of signature `sid`, -1 when none. */
  #sigIndex(sid: number): number {
    // Most sources match one or two rules: those first, without the general walk.
    const g0 = this.#g0;
    if (g0 < 0) return -1;
    if (keySid(g0 >>> 3) === sid) return 0;
    const g1 = this.#g1;
    if (g1 < 0) return -1;
    if (keySid(g1 >>> 3) === sid) return 1;
    const m = this.#gMore;
    if (m === null) return -1;
    for (let j = 0; j < m.length; j += 2) if (keySid((m[j] as number) >>> 3) === sid) return 2 + (j >>> 1);
    return -1;
  }

  /** Matched a rule of the 'service' role (whose level waits for scan evidence). */
  get serviceMatched(): boolean {
    return (this.bits & SERVICE_SIG) !== 0;
  }

  /** The tally of signature `sid` (a copy), if it matched. */
  signature(sid: number): SignatureTally | undefined {
    const i = this.#sigIndex(sid);
    return i < 0 ? undefined : tally(this.#sigCode(i), this.#sigHits(i));
  }

  /** Packets that matched signature `sid` (0 when none). */
  signatureHits(sid: number): number {
    const i = this.#sigIndex(sid);
    return i < 0 ? 0 : this.#sigHits(i);
  }

  /** Replaces the signature matches (the caller has checked that sids are distinct). */
  restoreSignatures(list: readonly SignatureTally[] | null): void {
    this.#g0 = this.#g1 = -1;
    this.#h0 = this.#h1 = 0;
    this.#gMore = null;
    this.bits &= ~(SERVICE_SIG | SVC_MASK);
    if (list === null) return;
    for (let i = 0; i < list.length; i++) {
      const t = list[i] as SignatureTally;
      this.#setSig(i, signatureKey(t.sid, t.msg, t.role) * 8 + t.dl, t.hits);
      if (t.role === 'service') {
        this.bits |= SERVICE_SIG;
        this.#noteServiceDl(t.dl);
      }
    }
  }

  /** Keeps the highest level of the service matches (SVC_SHIFT) at least `dl`. */
  #noteServiceDl(dl: number): void {
    if (dl > ((this.bits & SVC_MASK) >>> SVC_SHIFT)) this.bits = (this.bits & ~SVC_MASK) | ((dl & 7) << SVC_SHIFT);
  }

  get invalidIcmp(): ReadonlyMap<string, number> | null {
    return this.#notes?.invalidIcmp ?? null;
  }

  get ipOptions(): readonly string[] | null {
    return this.#notes?.ipOptions ?? null;
  }

  /** Service-log evidence by service (sshd, postfix, ...), null when none. */
  get services(): ServiceMap | null {
    return this.#notes?.services ?? null;
  }

  /** The service evidence, created on first use. */
  serviceMap(): ServiceMap {
    return (this.#n.services ??= new Map());
  }

  /**
   * Ports this source probed from outside, per protocol, once it is also a
   * local host (it sent from inside); null while it only came from outside,
   * when every port in its protocol records came from outside.
   */
  get outside(): ReadonlyMap<number, ProtoStat> | null {
    return this.#notes?.outside ?? null;
  }

  /**
   * The source sends from inside from now on: keeps the ports it probed
   * from outside so far (none when it was inside from the start) apart from
   * the ports it reaches as a local host.
   */
  beginInside(keepPorts: boolean): void {
    const n = this.#n;
    if (n.outside !== null) return;
    n.outside = new Map();
    if (!keepPorts) return;
    for (const ps of this.protocolStats()) {
      if (!ps.hasPorts || ps.count === 0) continue;
      const copy = new ProtoStat(ps.name, ps.num, true);
      copy.restorePorts(ps.portSnapshot());
      n.outside.set(ps.num, copy);
    }
  }

  /** A port probed from outside by a source that is also local (see outside); true when new. */
  addOutsidePort(name: string, num: number, port: number): boolean {
    const m = this.#notes?.outside;
    if (m === null || m === undefined) return false;
    let ps = m.get(num);
    if (ps === undefined) m.set(num, (ps = new ProtoStat(name, num, true)));
    return ps.add(port);
  }

  /** Distinct destination ports (TCP, UDP, UDP-Lite, SCTP) probed from outside over the tracked life. */
  outsidePorts(): number {
    const m = this.#notes?.outside ?? null;
    let n = 0;
    if (m !== null) {
      for (const ps of m.values()) n += ps.count;
      return n;
    }
    return this.distinctPorts();
  }

  /** Distinct destination ports (TCP, UDP, UDP-Lite, SCTP) over the tracked life. */
  distinctPorts(): number {
    // Per packet (the slow-scan ladder): no array of the records, as protocolStats() would make.
    let n = this.#ports(6) + this.#ports(17);
    const others = this.#notes?.others ?? null;
    if (others !== null) for (const ps of others.values()) if (ps.hasPorts) n += ps.count;
    return n;
  }

  /** Keeps the alphabetically first tool named, so the order of packets does not matter. */
  setFileTool(name: string): void {
    const n = this.#n;
    if (n.fileTool === null || name < n.fileTool) n.fileTool = name;
  }

  setOsGuess(g: FingerprintGuess): void {
    this.#n.osGuess = g;
  }

  /** First packet, epoch milliseconds. */
  get firstSeen(): number {
    return EPOCH_MS + this.#firstSec * 1000 + this.#firstMs;
  }

  /** Last packet, epoch milliseconds. */
  get lastSeen(): number {
    return EPOCH_MS + this.#lastSec * 1000 + this.#lastMs;
  }

  /** Last packet, whole event seconds (event-seconds.ts). */
  get lastSecond(): number {
    return this.#lastSec;
  }

  /** Widens first/last seen to include `ts` (ms), whose event second is `sec`. */
  seenAt(ts: number, sec: number): void {
    const ms = ts - EPOCH_MS - sec * 1000;
    if (sec > this.#lastSec || (sec === this.#lastSec && ms > this.#lastMs)) {
      this.#lastSec = sec;
      this.#lastMs = ms;
    } else if (sec < this.#firstSec || (sec === this.#firstSec && ms < this.#firstMs)) {
      this.#firstSec = sec;
      this.#firstMs = ms;
    }
  }

  /** First and last packet as kept: [firstSec, firstMs, lastSec, lastMs] (state/source-codec.ts). */
  seenSnapshot(): [number, number, number, number] {
    return [this.#firstSec, this.#firstMs, this.#lastSec, this.#lastMs];
  }

  restoreSeen(t: readonly [number, number, number, number]): void {
    [this.#firstSec, this.#firstMs, this.#lastSec, this.#lastMs] = t;
  }

  /** Replaces the rare parts (taken over, not copied); null when the source has none. */
  restoreNotes(f: SourceNotesFields | null): void {
    const { classes, tools } = this;
    const [tcp, udp, icmp] = [this.#noted(6), this.#noted(17), this.#noted(1)];
    if (f === null) {
      this.#notes = null;
      this.#why = null;
    } else {
      const { reasons, ...rest } = f;
      this.#notes = Object.assign(new SourceNotes(), rest);
      this.#why = reasons;
    }
    [this.classes, this.tools] = [classes, tools];
    if (tcp !== null || udp !== null || icmp !== null) Object.assign(this.#n, { tcp, udp, icmp });
  }

  /** The destination window of this source. */
  get dsts(): DestinationTable {
    return this;
  }

  addClass(c: number): void {
    // Per packet: the notes and the counts read once.
    const n = this.#notes;
    const counts = n === null ? null : n.classes;
    if (counts !== null) {
      counts[c]!++;
      return;
    }
    const c0 = this.cls0;
    if (c === c0 || c0 < 0) {
      if (c0 < 0) this.cls0 = c;
      this.cls0n++;
      return;
    }
    const made = new Uint32Array(CLASS_COUNT);
    made[c0] = this.cls0n;
    made[c]!++;
    this.classes = made;
  }

  /** Packets per scan class. */
  classCounts(): Uint32Array {
    if (this.classes !== null) return this.classes;
    const out = new Uint32Array(CLASS_COUNT);
    if (this.cls0 >= 0) out[this.cls0] = this.cls0n;
    return out;
  }

  addTool(t: number): void {
    if (this.tools !== null) {
      this.tools[t]!++;
      return;
    }
    if (t === this.tool0 || this.tool0 < 0) {
      this.tool0 = t;
      this.tool0n++;
      return;
    }
    this.tools = new Uint32Array(TOOL_COUNT);
    this.tools[this.tool0] = this.tool0n;
    this.tools[t]!++;
  }

  /** Packets per tool evidence (Tool values as indexes). */
  toolCounts(): Uint32Array {
    if (this.tools !== null) return this.tools;
    const out = new Uint32Array(TOOL_COUNT);
    if (this.tool0 >= 0) out[this.tool0] = this.tool0n;
    return out;
  }

  /** `shared`: the text is sharedText()'s copy already (a caller that keeps its texts). */
  addReason(text: string, shared = false): void {
    const r = this.#why;
    const reason = shared ? text : sharedText(text);
    if (r === null) this.#why = reason;
    else if (typeof r === 'string') this.#why = [r, reason];
    else {
      const n = reasonCount(r);
      if (n < r.length) r[n] = reason;
      else if (n < MAX_REASONS) {
        const more = new Array<string | undefined>(Math.min(MAX_REASONS, n * 2));
        for (let i = 0; i < n; i++) more[i] = r[i];
        more[n] = reason;
        this.#why = more;
      } else r[MAX_REASONS - 1] = reason;
    }
  }

  addAddress(addr: string): void {
    const a = this.addresses;
    if (a === null || a[a.length - 1] === addr || a.includes(addr)) return;
    if (a.length < MAX_ADDRESSES) a.push(addr);
    else this.#n.addressesTruncated = true;
  }

  addSignature(sid: number, msg: string, dl: number, role: SignatureRole = 'level'): void {
    const i = this.#sigIndex(sid);
    if (i >= 0) {
      const code = this.#sigCode(i);
      this.#setSig(i, dl > (code & 7) ? code - (code & 7) + dl : code, this.#sigHits(i) + 1);
      if (dl > (code & 7) && keyRole(code >>> 3) === 'service') this.#noteServiceDl(dl);
      return;
    }
    if (role === 'service') this.bits |= SERVICE_SIG;
    const n = this.#sigCount();
    if (n >= MAX_SIGNATURES) return;
    const code = signatureKey(sid, msg, role) * 8 + dl;
    if (role === 'service') this.#noteServiceDl(dl);
    const m = this.#gMore;
    if (n < 2) this.#setSig(n, code, 1);
    else if (m === null) this.#gMore = [code, 1];
    else if (m.length < 16) this.#gMore = grown(grown(m, code), 1);
    else m.push(code, 1);
  }

  /** The index of the service-role match with the highest level (the first of equals), -1 when none. */
  #topService(): number {
    // Checked after every packet of a source with matches: most have no service match.
    if (this.#g0 < 0 || (this.bits & SERVICE_SIG) === 0) return -1;
    const n = this.#sigCount();
    let best = -1;
    let bestDl = -1;
    for (let i = 0; i < n; i++) {
      const code = this.#sigCode(i);
      if ((code & 7) > bestDl && keyRole(code >>> 3) === 'service') {
        best = i;
        bestDl = code & 7;
      }
    }
    return best;
  }

  /** The level of topServiceMatch() (0 when none), without making it (kept up to date by addSignature: checked per packet). */
  topServiceDl(): number {
    return (this.bits & SVC_MASK) >>> SVC_SHIFT;
  }

  /** The code of topServiceMatch() (signatureKey() * 8 + its level), -1 when none: for a caller that keeps what it makes of one. */
  topServiceCode(): number {
    const i = this.#topService();
    return i < 0 ? -1 : this.#sigCode(i);
  }

  /** The service-role match with the highest level (what scan evidence would raise the source to), or null. */
  topServiceMatch(): SignatureTally | null {
    const i = this.#topService();
    return i < 0 ? null : tally(this.#sigCode(i), this.#sigHits(i));
  }

  addInvalidIcmp(what: string): void {
    const m = (this.#n.invalidIcmp ??= new Map());
    if (m.has(what) || m.size < MAX_INVALID_ICMP) m.set(what, (m.get(what) ?? 0) + 1);
  }

  addIpOptions(names: readonly string[]): void {
    const list = (this.#n.ipOptions ??= []);
    for (const n of names) if (!list.includes(n) && list.length < MAX_IP_OPTIONS) list.push(n);
  }

  /** The protocol record for a protocol, created on first use. */
  proto(name: string, num: number): ProtoStat {
    switch (num) {
      case 6:
      case 17:
      case 1:
      case 58: {
        const slot = slotOf(num);
        let s = this.#writable(slot);
        if (s === null) this.#setSlot(slot, (s = new ProtoStat(name, num, slot !== 1)));
        return s;
      }
      default: {
        const m = (this.#n.others ??= new Map());
        let s = m.get(num);
        if (s === undefined) m.set(num, (s = new ProtoStat(name, num, num === 132 || num === 136)));
        return s;
      }
    }
  }

  /** All protocol records, tcp, udp, icmp first, then by number. */
  protocolStats(): ProtoStat[] {
    const out: ProtoStat[] = [];
    for (const s of [this.tcp, this.udp, this.icmp]) if (s !== null) out.push(s);
    if (this.others !== null) out.push(...[...this.others.values()].sort((a, b) => a.num - b.num));
    return out;
  }
}

/** Reasons in use in a #why array (the slots before the first undefined one). */
function reasonCount(r: ReadonlyArray<string | undefined>): number {
  let n = r.length;
  while (n > 0 && r[n - 1] === undefined) n--;
  return n;
}

/** See SourceState.portAdded. */
let portAdded = false;

/** The fixed record slot of tcp (6), udp (17) and icmp/icmp6 (1). */
function slotOf(num: number): number {
  return num === 58 ? 1 : num;
}

/**
 * In #p0x, for a protocol with ports: the port + 1 (0: none) in the low 17
 * bits, the kind + 1 (0: none) above; for one without (ICMP): the kind + 1.
 */
const PORT_MASK = 0x1ffff;
/** Largest kind + 1 kept inline beside a port (TCP flags fit; larger values make the record). */
const KIND_MAX = 1 << 13;

/** A one-packet record as #p0x keeps it, -1 when it cannot be (a TCP packet without flags, a kind out of range). */
function inlinePacket(hasPorts: boolean, num: number, port: number, kind: number): number {
  if ((num === 6 && kind < 0) || kind > 0xffff) return -1;
  if (!hasPorts) return kind + 1;
  return kind + 1 >= KIND_MAX ? -1 : (port >= 0 ? port + 1 : 0) + (kind + 1) * (PORT_MASK + 1);
}

/** The inline form (#p0x) of a record that holds what one inline packet would, else -1 (as the record reads and saves the same). */
function inlineOf(ps: ProtoStat): number {
  if (ps.packets !== 1) return -1;
  const kinds = ps.kinds();
  const k = kinds[0];
  if (kinds.length > 1 || (k !== undefined && k[1] !== 1)) return -1;
  const ports = ps.portSnapshot();
  if (ports !== null && !('port' in ports)) return -1;
  if (ports !== null && !ps.hasPorts) return -1;
  return inlinePacket(ps.hasPorts, ps.num, ports === null ? -1 : ports.port, k === undefined ? -1 : k[0]);
}

/** The record an inline packet stands for. */
function inflate(info: ProtoInfo, x: number): ProtoStat {
  const ps = new ProtoStat(info.name, info.num, info.hasPorts);
  ps.packets = 1;
  const port = info.hasPorts ? (x & PORT_MASK) - 1 : -1;
  const kind = (info.hasPorts ? x >>> 17 : x) - 1;
  if (port >= 0) ps.add(port);
  if (kind >= 0) ps.addKind(kind);
  return ps;
}
