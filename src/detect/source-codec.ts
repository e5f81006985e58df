/**
 * Saved form of one tracked source (SourceState). Fields at their initial
 * value are left out, so the many one-packet sources of a flood stay small:
 *
 *   { key, family, seen: [firstSec, firstMs, lastSec, lastMs], packets,
 *     dl?, peakDl?, chains?: [INPUT, OUTPUT, FORWARD], local?, sweep?, protoScan?,
 *     addresses?: [...] (present when the key is a prefix), addressesTruncated?,
 *     tcp?, udp?, icmp?, others?: [protocol records, proto-codec.ts],
 *     cls?: [first class, packets], classes?: [per class], tool?: [first tool, packets], tools?: [per tool],
 *     ttl?: [min, max], df?, osTries?, fileTool?, os?: { label, index, score },
 *     reasons?, signatures?: [{ sid, msg, dl, hits }], invalidIcmp?: [[what, n]], ipOptions?,
 *     dsts?: destination window (table-codec.ts) }
 *
 * Times are event seconds since 2020 plus milliseconds (event-seconds.ts).
 */
import type { Fingerprint, FingerprintGuess } from './os-fingerprint.js';
import { encodeProto, decodeProtoAt, decodeSlot, type SavedProto } from './proto-codec.js';
import { CLASS_COUNT } from './scan-class.js';
import {
  MAX_ADDRESSES, MAX_INVALID_ICMP, MAX_IP_OPTIONS, MAX_REASONS, MAX_SIGNATURES, SourceState, type SignatureTally, type SourceNotesFields,
} from './source-state.js';
import { EPOCH_MS } from './event-seconds.js';
import { StateError, finite, inside, int, intList, list, optInt, optText, optTrue, record, text, textList, type Fields } from './state-fields.js';
import { decodeTable, encodeTable, TIME, type SavedTable } from './table-codec.js';
import { TOOL_COUNT } from './tool-evidence.js';

export interface SavedSource {
  key: string;
  family: 4 | 6;
  seen: [number, number, number, number];
  packets: number;
  dl?: number;
  peakDl?: number;
  chains?: [number, number, number];
  local?: true;
  sweep?: true;
  protoScan?: true;
  addresses?: string[];
  addressesTruncated?: true;
  tcp?: SavedProto;
  udp?: SavedProto;
  icmp?: SavedProto;
  others?: SavedProto[];
  cls?: [number, number];
  classes?: number[];
  tool?: [number, number];
  tools?: number[];
  ttl?: [number, number];
  df?: number;
  osTries?: number;
  fileTool?: string;
  os?: { label: string; index: number; score: number };
  reasons?: string[];
  signatures?: SignatureTally[];
  invalidIcmp?: Array<[string, number]>;
  ipOptions?: string[];
  dsts?: SavedTable;
}

/** Finds the fingerprint a saved OS guess names (the loaded file may differ from the one it came from). */
export type FingerprintResolver = (label: string, index: number) => Fingerprint;

export function encodeSource(s: SourceState): SavedSource {
  const out: SavedSource = { key: s.key, family: s.family, seen: s.seenSnapshot(), packets: s.packets };
  if (s.dl !== 0) out.dl = s.dl;
  if (s.peakDl !== 0) out.peakDl = s.peakDl;
  if (s.inbound + s.outbound + s.forward !== 0) out.chains = [s.inbound, s.outbound, s.forward];
  if (s.local) out.local = true;
  if (s.sweep) out.sweep = true;
  if (s.protoScan) out.protoScan = true;
  if (s.addresses !== null) out.addresses = [...s.addresses];
  if (s.addressesTruncated) out.addressesTruncated = true;
  if (s.tcp !== null) out.tcp = encodeProto(s.tcp);
  if (s.udp !== null) out.udp = encodeProto(s.udp);
  if (s.icmp !== null) out.icmp = encodeProto(s.icmp);
  if (s.others !== null) out.others = [...s.others.values()].map(encodeProto);
  if (s.cls0 >= 0) out.cls = [s.cls0, s.cls0n];
  if (s.classes !== null) out.classes = Array.from(s.classes);
  if (s.tool0 >= 0) out.tool = [s.tool0, s.tool0n];
  if (s.tools !== null) out.tools = Array.from(s.tools);
  if (s.ttlMin !== 256 || s.ttlMax !== -1) out.ttl = [s.ttlMin, s.ttlMax];
  if (s.dfPackets !== 0) out.df = s.dfPackets;
  if (s.osTries !== 0) out.osTries = s.osTries;
  encodeNotes(s, out);
  const dsts = encodeTable(s);
  if (Object.keys(dsts).length > 0) out.dsts = dsts;
  return out;
}

function encodeNotes(s: SourceState, out: SavedSource): void {
  if (s.fileTool !== null) out.fileTool = s.fileTool;
  const g = s.osGuess;
  if (g !== null) out.os = { label: g.fp.label, index: g.index, score: g.score };
  if (s.reasons !== null) out.reasons = [...s.reasons];
  if (s.signatures !== null) out.signatures = [...s.signatures.values()].map((t) => ({ ...t }));
  if (s.invalidIcmp !== null) out.invalidIcmp = [...s.invalidIcmp];
  if (s.ipOptions !== null) out.ipOptions = [...s.ipOptions];
}

/** A checked source, built apart from any tracker. */
export function decodeSource(v: unknown, resolve: FingerprintResolver): SourceState {
  const o = record(v, '');
  const family = o.family === 4 || o.family === 6 ? o.family : fail('family', 'expected 4 or 6');
  const s = new SourceState(text(o.key, 'key'), family, o.addresses !== undefined, EPOCH_MS, optTrue(o, 'local'));
  s.restoreSeen(decodeSeen(o.seen));
  s.packets = int(o.packets, 'packets');
  s.peakDl = optInt(o, 'peakDl', 0, 0, 5);
  s.dl = optInt(o, 'dl', 0, 0, s.peakDl);
  if (o.chains !== undefined) [s.inbound, s.outbound, s.forward] = intList(o.chains, 'chains', 0, Number.MAX_SAFE_INTEGER, 3) as [number, number, number];
  s.sweep = optTrue(o, 'sweep');
  s.protoScan = optTrue(o, 'protoScan');
  if (s.addresses !== null) s.addresses.push(...textList(o.addresses, 'addresses', MAX_ADDRESSES));
  s.tcp = decodeSlot(o, 'tcp');
  s.udp = decodeSlot(o, 'udp');
  s.icmp = decodeSlot(o, 'icmp');
  [s.cls0, s.cls0n, s.classes] = decodeCounts(o, 'cls', 'classes', CLASS_COUNT);
  [s.tool0, s.tool0n, s.tools] = decodeCounts(o, 'tool', 'tools', TOOL_COUNT);
  if (o.ttl !== undefined) [s.ttlMin, s.ttlMax] = decodeTtl(o.ttl);
  s.dfPackets = optInt(o, 'df', 0);
  s.osTries = optInt(o, 'osTries', 0);
  s.restoreNotes(decodeNotes(o, resolve));
  if (o.dsts !== undefined) inside('dsts', () => decodeTable(o.dsts, s));
  return s;
}

function fail(path: string, problem: string): never {
  throw new StateError(path, problem);
}

function decodeSeen(v: unknown): [number, number, number, number] {
  const a = list(v, 'seen', 4);
  if (a.length !== 4) fail('seen', 'expected [firstSec, firstMs, lastSec, lastMs]');
  return [int(a[0], 'seen[0]', -TIME, TIME), finite(a[1], 'seen[1]'), int(a[2], 'seen[2]', -TIME, TIME), finite(a[3], 'seen[3]')];
}

function decodeTtl(v: unknown): [number, number] {
  const [min, max] = intList(v, 'ttl', -1, 256, 2) as [number, number];
  if (min < 0 || max > 255) fail('ttl', 'expected [min 0..256, max -1..255]');
  return [min, max];
}

/** The inline first value and its count, and the full counters once a second value appeared. */
function decodeCounts(o: Fields, inline: string, full: string, n: number): [number, number, Uint32Array | null] {
  let first = -1;
  let count = 0;
  if (o[inline] !== undefined) [first, count] = intList(o[inline], inline, 0, 2 ** 32 - 1, 2) as [number, number];
  if (first >= n) fail(inline, `index ${first} out of range`);
  if (o[full] === undefined) return [first, count, null];
  if (first < 0) fail(full, `counters without ${inline}`);
  return [first, count, Uint32Array.from(intList(o[full], full, 0, 2 ** 32 - 1, n))];
}

function decodeNotes(o: Fields, resolve: FingerprintResolver): SourceNotesFields | null {
  const f: SourceNotesFields = {
    addressesTruncated: optTrue(o, 'addressesTruncated'),
    reasons: o.reasons === undefined ? null : textList(o.reasons, 'reasons', MAX_REASONS),
    others: o.others === undefined ? null : decodeOthers(o.others),
    fileTool: optText(o, 'fileTool'),
    osGuess: o.os === undefined ? null : decodeOs(o.os, resolve),
    signatures: o.signatures === undefined ? null : decodeSignatures(o.signatures),
    invalidIcmp: o.invalidIcmp === undefined ? null : decodeInvalidIcmp(o.invalidIcmp),
    ipOptions: o.ipOptions === undefined ? null : textList(o.ipOptions, 'ipOptions', MAX_IP_OPTIONS),
  };
  for (const v of Object.values(f)) if (v !== null && v !== false) return f;
  return null;
}

function decodeOthers(v: unknown): SourceNotesFields['others'] {
  const m = new Map<number, ReturnType<typeof decodeProtoAt>>();
  const a = list(v, 'others', 256);
  for (let i = 0; i < a.length; i++) {
    const ps = decodeProtoAt(a[i], `others[${i}]`);
    if (ps.num === 1 || ps.num === 6 || ps.num === 17 || ps.num === 58 || m.has(ps.num)) fail(`others[${i}].num`, `protocol ${ps.num} not allowed here or twice`);
    m.set(ps.num, ps);
  }
  return m;
}

function decodeOs(v: unknown, resolve: FingerprintResolver): FingerprintGuess {
  const o = inside('os', () => record(v, ''));
  const score = int(o.score, 'os.score', 1, 2);
  const index = int(o.index, 'os.index');
  return { fp: resolve(text(o.label, 'os.label'), index), index, score };
}

function decodeSignatures(v: unknown): Map<number, SignatureTally> {
  const m = new Map<number, SignatureTally>();
  const a = list(v, 'signatures', MAX_SIGNATURES);
  for (let i = 0; i < a.length; i++) {
    const path = `signatures[${i}]`;
    const o = inside(path, () => record(a[i], ''));
    const t: SignatureTally = { sid: int(o.sid, `${path}.sid`), msg: text(o.msg, `${path}.msg`), dl: int(o.dl, `${path}.dl`, 0, 5), hits: int(o.hits, `${path}.hits`, 1) };
    if (m.has(t.sid)) fail(`${path}.sid`, `sid ${t.sid} twice`);
    m.set(t.sid, t);
  }
  return m;
}

function decodeInvalidIcmp(v: unknown): Map<string, number> {
  const m = new Map<string, number>();
  const a = list(v, 'invalidIcmp', MAX_INVALID_ICMP);
  for (let i = 0; i < a.length; i++) {
    const path = `invalidIcmp[${i}]`;
    const e = list(a[i], path, 2);
    const what = text(e[0], `${path}[0]`);
    if (m.has(what)) fail(path, `"${what}" twice`);
    m.set(what, int(e[1], `${path}[1]`, 1));
  }
  return m;
}
