/**
 * Everything tracked about one source (an address, or a prefix when
 * aggregated). Fixed-shape classes so V8 keeps them compact; the rare parts
 * (second destination, second flag combination, signatures, invalid ICMP)
 * are allocated only when they first occur, because a flood of one-packet
 * sources must stay cheap.
 */
import type { FingerprintGuess } from './os-fingerprint.js';
import { DestinationTable } from './destination-table.js';
import { PortSet } from './port-set.js';
import { CLASS_COUNT } from './scan-class.js';
import { TOOL_COUNT } from './tool-evidence.js';

/** A small counter keyed by number: the first key inline, the rest in a Map. */
export class KindCounter {
  k0 = -1;
  n0 = 0;
  more: Map<number, number> | null = null;

  add(k: number): void {
    if (k === this.k0 || this.k0 < 0) {
      this.k0 = k;
      this.n0++;
      return;
    }
    const m = (this.more ??= new Map());
    m.set(k, (m.get(k) ?? 0) + 1);
  }

  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = this.k0 < 0 ? [] : [[this.k0, this.n0]];
    if (this.more !== null) out.push(...this.more);
    return out;
  }
}

export class ProtoStat {
  packets = 0;
  readonly ports: PortSet | null;
  /** TCP flag bits, or ICMP type * 256 + code. */
  readonly kinds = new KindCounter();

  constructor(readonly name: string, readonly num: number, hasPorts: boolean) {
    this.ports = hasPorts ? new PortSet() : null;
  }
}

export interface SignatureTally {
  msg: string;
  sid: number;
  dl: number;
  hits: number;
}

export const MAX_ADDRESSES = 64;
const MAX_REASONS = 16;

export class SourceState {
  /** Addresses seen, when the key is a prefix (first MAX_ADDRESSES); null otherwise. */
  addresses: string[] | null;
  addressesTruncated = false;
  firstSeen: number;
  lastSeen: number;
  /** When the current episode began (a source silent for SCAN_TIMEOUT starts a new one). */
  episodeStart: number;
  packets = 0;
  /** Level in the current episode (what alerts and blocking act on). */
  dl = 0;
  /** Highest level over the tracked life (what reports show). */
  peakDl = 0;
  /** Why the level rose, oldest first (at most 16). */
  reasons: string[] | null = null;
  inbound = 0;
  outbound = 0;
  forward = 0;
  /** Inside HOME_NET, or sent by this host (OUTPUT chain). */
  local: boolean;
  tcp: ProtoStat | null = null;
  udp: ProtoStat | null = null;
  icmp: ProtoStat | null = null;
  others: Map<number, ProtoStat> | null = null;
  readonly dsts = new DestinationTable();
  cls0 = -1;
  cls0n = 0;
  classes: Uint32Array | null = null;
  sweep = false;
  protoScan = false;
  tools: Uint32Array | null = null;
  fileTools: Map<string, number> | null = null;
  ttlMin = 256;
  ttlMax = -1;
  dfPackets = 0;
  osGuess: FingerprintGuess | null = null;
  osTries = 0;
  signatures: Map<number, SignatureTally> | null = null;
  invalidIcmp: Map<string, number> | null = null;
  ipOptions: string[] | null = null;

  constructor(readonly key: string, readonly family: 4 | 6, aggregated: boolean, ts: number, local: boolean) {
    this.addresses = aggregated ? [] : null;
    this.firstSeen = this.lastSeen = this.episodeStart = ts;
    this.local = local;
  }

  addClass(c: number): void {
    if (c === this.cls0 || this.cls0 < 0) {
      this.cls0 = c;
      this.cls0n++;
      return;
    }
    if (this.classes === null) {
      this.classes = new Uint32Array(CLASS_COUNT);
      this.classes[this.cls0] = this.cls0n;
    }
    this.classes[c]!++;
  }

  /** Packets per scan class. */
  classCounts(): Uint32Array {
    if (this.classes !== null) return this.classes;
    const out = new Uint32Array(CLASS_COUNT);
    if (this.cls0 >= 0) out[this.cls0] = this.cls0n;
    return out;
  }

  addTool(t: number): void {
    (this.tools ??= new Uint32Array(TOOL_COUNT))[t]!++;
  }

  addFileTool(name: string): void {
    const m = (this.fileTools ??= new Map());
    m.set(name, (m.get(name) ?? 0) + 1);
  }

  addReason(reason: string): void {
    const r = (this.reasons ??= []);
    if (r.length < MAX_REASONS) r.push(reason);
    else r[MAX_REASONS - 1] = reason;
  }

  addAddress(addr: string): void {
    const a = this.addresses;
    if (a === null || a[a.length - 1] === addr || a.includes(addr)) return;
    if (a.length < MAX_ADDRESSES) a.push(addr);
    else this.addressesTruncated = true;
  }

  addSignature(sid: number, msg: string, dl: number): void {
    const m = (this.signatures ??= new Map());
    const t = m.get(sid);
    if (t !== undefined) {
      t.hits++;
      if (dl > t.dl) t.dl = dl;
    } else if (m.size < 256) m.set(sid, { msg, sid, dl, hits: 1 });
  }

  addInvalidIcmp(what: string): void {
    const m = (this.invalidIcmp ??= new Map());
    if (m.has(what) || m.size < 32) m.set(what, (m.get(what) ?? 0) + 1);
  }

  addIpOptions(names: readonly string[]): void {
    const list = (this.ipOptions ??= []);
    for (const n of names) if (!list.includes(n) && list.length < 16) list.push(n);
  }

  /** The protocol record for a protocol, created on first use. */
  proto(name: string, num: number): ProtoStat {
    switch (num) {
      case 6:
        return (this.tcp ??= new ProtoStat(name, num, true));
      case 17:
        return (this.udp ??= new ProtoStat(name, num, true));
      case 1:
      case 58:
        return (this.icmp ??= new ProtoStat(name, num, false));
      default: {
        const m = (this.others ??= new Map());
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
