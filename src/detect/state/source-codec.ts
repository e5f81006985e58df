/**
 * Saved form of one tracked source (SourceState): one flat array, because a
 * flood leaves hundreds of thousands of small sources, and names or nested
 * arrays per field would be most of the file and most of the time (and of
 * the garbage collector's work) in saving and loading it.
 *
 *   key, family, lastSec, lastMs, firstAge, firstMs   last packet in event seconds + ms
 *                        (event-seconds.ts); the first as seconds before the last + ms
 *   packets, dl, peakDl, inbound, outbound, forward   (chains INPUT, OUTPUT, FORWARD)
 *   flags                1 local, 2 sweep, 4 protoScan, 8 prefix key, 16 addresses truncated,
 *                        32/64/128: a tcp/udp/icmp record follows
 *   cls0, cls0n, tool0, tool0n   first scan class / tool evidence and its packets (-1, 0: none)
 *   ttlMin, ttlMax, dfPackets, osTries
 *   tcp, udp, icmp records (proto-codec.ts), those flagged
 *   the destination window (table-codec.ts)
 *   rare                 optional object, only when the source has any of: addresses, others
 *                        (protocol records, each an array), classes, tools (all counters), fileTool,
 *                        os { label, index, score }, reasons, signatures [[sid, msg, dl, hits, role]]
 *                        (role when not "level"), invalidIcmp [[what, n]], ipOptions, outside (the
 *                        ports a local source probed from outside, protocol records as in others),
 *                        services (service-log evidence, service-evidence.ts)
 */
import type { SignatureRole } from '../../model/signature.js';
import type { Fingerprint, FingerprintGuess } from '../os-fingerprint.js';
import { decodeProto, encodeProto, protoNames } from './proto-codec.js';
import type { ProtoStat } from '../proto-stat.js';
import { CLASS_COUNT } from '../scan-class.js';
import { EPOCH_MS } from '../event-seconds.js';
import {
  MAX_ADDRESSES, MAX_INVALID_ICMP, MAX_IP_OPTIONS, MAX_REASONS, MAX_SIGNATURES, SourceState, type SignatureTally, type SourceNotesFields,
} from '../source-state.js';
import { Cursor, StateError, int, intAt, intList, list, optText, record, text, textAt, textList, type Fields } from './state-fields.js';
import { decodeServices, encodeServices } from '../service-evidence.js';
import { decodeTable, encodeTable, TIME } from './table-codec.js';
import { TOOL_COUNT } from '../tool-evidence.js';

/** A source, flat (see above). */
export type SavedSource = unknown[];

export interface SavedRare {
  addresses?: string[];
  others?: unknown[][];
  classes?: number[];
  tools?: number[];
  fileTool?: string;
  os?: { label: string; index: number; score: number };
  reasons?: string[];
  signatures?: Array<[number, string, number, number] | [number, string, number, number, SignatureRole]>;
  invalidIcmp?: Array<[string, number]>;
  ipOptions?: string[];
  outside?: unknown[][];
  services?: unknown[];
}

const LOCAL = 1;
const SWEEP = 2;
const PROTO_SCAN = 4;
const PREFIX = 8;
const TRUNCATED = 16;
const TCP = 32;
const UDP = 64;
const ICMP = 128;
const NAMES = { tcp: protoNames('tcp'), udp: protoNames('udp'), icmp: protoNames('icmp'), others: protoNames('rare.others'), outside: protoNames('rare.outside') };

/** Finds the fingerprint a saved OS guess names (the loaded file may differ from the one it came from). */
export type FingerprintResolver = (label: string, index: number) => Fingerprint;

export function encodeSource(s: SourceState): SavedSource {
  const [firstSec, firstMs, lastSec, lastMs] = s.seenSnapshot();
  const flags = (s.local ? LOCAL : 0) | (s.sweep ? SWEEP : 0) | (s.protoScan ? PROTO_SCAN : 0) | (s.addresses !== null ? PREFIX : 0) |
    (s.addressesTruncated ? TRUNCATED : 0) | (s.tcp !== null ? TCP : 0) | (s.udp !== null ? UDP : 0) | (s.icmp !== null ? ICMP : 0);
  const out: SavedSource = [
    s.key, s.family, lastSec, lastMs, lastSec - firstSec, firstMs, s.packets, s.dl, s.peakDl, s.inbound, s.outbound, s.forward, flags,
    s.cls0, s.cls0n, s.tool0, s.tool0n, s.ttlMin, s.ttlMax, s.dfPackets, s.osTries,
  ];
  if (s.tcp !== null) encodeProto(s.tcp, out);
  if (s.udp !== null) encodeProto(s.udp, out);
  if (s.icmp !== null) encodeProto(s.icmp, out);
  encodeTable(s, lastSec, out);
  const rare = encodeRare(s);
  if (rare !== null) out.push(rare);
  return out;
}

function encodeRare(s: SourceState): SavedRare | null {
  if (s.addresses === null && s.classes === null && s.tools === null && !hasNotes(s)) return null;
  const r: SavedRare = {};
  if (s.addresses !== null) r.addresses = [...s.addresses];
  if (s.others !== null) r.others = protoRecords(s.others.values());
  if (s.outside !== null) r.outside = protoRecords(s.outside.values());
  if (s.classes !== null) r.classes = Array.from(s.classes);
  if (s.tools !== null) r.tools = Array.from(s.tools);
  if (s.fileTool !== null) r.fileTool = s.fileTool;
  const g = s.osGuess;
  if (g !== null) r.os = { label: g.fp.label, index: g.index, score: g.score };
  if (s.reasons !== null) r.reasons = [...s.reasons];
  if (s.signatures !== null) r.signatures = s.signatures.map((t) => (t.role === 'level' ? [t.sid, t.msg, t.dl, t.hits] : [t.sid, t.msg, t.dl, t.hits, t.role]));
  if (s.invalidIcmp !== null) r.invalidIcmp = [...s.invalidIcmp];
  if (s.ipOptions !== null) r.ipOptions = [...s.ipOptions];
  if (s.services !== null) r.services = encodeServices(s.services);
  return r;
}

function protoRecords(list: Iterable<ProtoStat>): unknown[][] {
  return [...list].map((p) => {
    const a: unknown[] = [];
    encodeProto(p, a);
    return a;
  });
}

function hasNotes(s: SourceState): boolean {
  return s.outside !== null || s.others !== null || s.fileTool !== null || s.osGuess !== null || s.reasons !== null || s.signatures !== null || s.invalidIcmp !== null || s.ipOptions !== null || s.services !== null;
}

const cursor = new Cursor();

/** A checked source, built apart from any tracker; errors name the field within the source. */
export function decodeSource(v: unknown, resolve: FingerprintResolver): SourceState {
  const c = cursor.reset(list(v, ''));
  const key = c.text('key');
  const family = c.int('family', 4, 6);
  if (family !== 4 && family !== 6) throw new StateError('family', 'expected 4 or 6');
  const lastSec = c.int('lastSec', -TIME, TIME);
  // Milliseconds within the second, with room for rounding (any finite value would do, but dates must stay valid).
  const lastMs = c.num('lastMs', -1000, 2000);
  const firstSec = lastSec - c.int('firstAge', -TIME, TIME);
  const firstMs = c.num('firstMs', -1000, 2000);
  const packets = c.int('packets');
  const dl = c.int('dl', 0, 5);
  const peakDl = c.int('peakDl', 0, 5);
  if (dl > peakDl) throw new StateError('dl', `level ${dl} above the peak level ${peakDl}`);
  const chains = [c.int('inbound'), c.int('outbound'), c.int('forward')] as const;
  const flags = c.int('flags', 0, 255);
  const s = new SourceState(key, family, (flags & PREFIX) !== 0, EPOCH_MS, (flags & LOCAL) !== 0);
  s.restoreSeen([firstSec, firstMs, lastSec, lastMs]);
  s.packets = packets;
  s.dl = dl;
  s.peakDl = peakDl;
  s.restoreChains(...chains);
  s.sweep = (flags & SWEEP) !== 0;
  s.protoScan = (flags & PROTO_SCAN) !== 0;
  decodeCounters(c, s);
  s.tcp = (flags & TCP) !== 0 ? slot(c, 'tcp', 6, 6) : null;
  s.udp = (flags & UDP) !== 0 ? slot(c, 'udp', 17, 17) : null;
  s.icmp = (flags & ICMP) !== 0 ? slot(c, 'icmp', 1, 58) : null;
  decodeTable(c, s, lastSec);
  if (c.left > 1) throw new StateError('', `${c.left} values after the destination window (expected at most the rare parts)`);
  if (c.left === 1) decodeRare(record(c.next('rare'), 'rare'), s, resolve, (flags & TRUNCATED) !== 0);
  else if ((flags & TRUNCATED) !== 0) s.restoreNotes({ ...NO_NOTES, addressesTruncated: true });
  return s;
}

function decodeCounters(c: Cursor, s: SourceState): void {
  // The inline first counters are plain numbers that may pass 2^32 (a long flood); the full
  // counter arrays are 32-bit. Any count export writes must read back.
  s.cls0 = c.int('cls0', -1, CLASS_COUNT - 1);
  s.cls0n = c.int('cls0n');
  s.tool0 = c.int('tool0', -1, TOOL_COUNT - 1);
  s.tool0n = c.int('tool0n');
  s.ttlMin = c.int('ttlMin', 0, 256);
  s.ttlMax = c.int('ttlMax', -1, 255);
  s.dfPackets = c.int('dfPackets');
  s.osTries = c.int('osTries');
}

const NO_NOTES: SourceNotesFields = { addressesTruncated: false, reasons: null, others: null, fileTool: null, osGuess: null, invalidIcmp: null, ipOptions: null, outside: null };

function fail(path: string, problem: string): never {
  throw new StateError(path, problem);
}

/** A protocol record in a fixed slot, which must carry that slot's protocol. */
function slot(c: Cursor, name: 'tcp' | 'udp' | 'icmp', num: number, alt: number): ProtoStat {
  const ps = decodeProto(c, NAMES[name]);
  if (ps.num !== num && ps.num !== alt) fail(NAMES[name].num, `protocol ${ps.num} in the ${name} slot`);
  return ps;
}

function decodeRare(r: Fields, s: SourceState, resolve: FingerprintResolver, truncated: boolean): void {
  if (r.addresses !== undefined) {
    if (s.addresses === null) fail('rare.addresses', 'addresses for a source that is not a prefix');
    s.addresses.push(...textList(r.addresses, 'rare.addresses', MAX_ADDRESSES));
  }
  [s.classes, s.tools] = [counters(r.classes, 'rare.classes', CLASS_COUNT, s.cls0), counters(r.tools, 'rare.tools', TOOL_COUNT, s.tool0)];
  const f: SourceNotesFields = {
    addressesTruncated: truncated,
    reasons: r.reasons === undefined ? null : textList(r.reasons, 'rare.reasons', MAX_REASONS),
    others: r.others === undefined ? null : decodeOthers(r.others, 'rare.others', false),
    fileTool: optText(r, 'fileTool'),
    osGuess: r.os === undefined ? null : decodeOs(r.os, resolve),
    invalidIcmp: r.invalidIcmp === undefined ? null : decodeInvalidIcmp(r.invalidIcmp),
    ipOptions: r.ipOptions === undefined ? null : textList(r.ipOptions, 'rare.ipOptions', MAX_IP_OPTIONS),
    outside: r.outside === undefined ? null : decodeOthers(r.outside, 'rare.outside', true),
    services: r.services === undefined ? null : decodeServices(r.services),
  };
  const any = f.services !== null || truncated || f.outside !== null || f.reasons !== null || f.others !== null || f.fileTool !== null || f.osGuess !== null || f.invalidIcmp !== null || f.ipOptions !== null;
  s.restoreNotes(any ? f : null);
  s.restoreSignatures(r.signatures === undefined ? null : decodeSignatures(r.signatures));
}

/** Full per-class (per-tool) counters, which exist only once a first value is recorded inline. */
function counters(v: unknown, path: string, n: number, first: number): Uint32Array | null {
  if (v === undefined) return null;
  if (first < 0) fail(path, 'counters without a first value');
  return Uint32Array.from(intList(v, path, 0, 2 ** 32 - 1, n));
}

/** Protocol records: the rare protocols (`others`), or the ports a local source probed from outside (any protocol with ports). */
function decodeOthers(v: unknown, at: string, ported: boolean): Map<number, ProtoStat> {
  const m = new Map<number, ProtoStat>();
  const a = list(v, at, 256);
  const c = new Cursor();
  for (let i = 0; i < a.length; i++) {
    let ps: ProtoStat;
    try {
      c.reset(list(a[i], at));
      ps = decodeProto(c, ported ? NAMES.outside : NAMES.others);
      if (c.left !== 0) fail(at, 'values after the record');
    } catch (err) {
      throw err instanceof StateError ? new StateError(`${err.path} (record ${i})`, err.problem) : err;
    }
    const allowed = ported ? ps.hasPorts : ps.num !== 1 && ps.num !== 6 && ps.num !== 17 && ps.num !== 58;
    if (!allowed || m.has(ps.num)) fail(`${at}[${i}].num`, `protocol ${ps.num} not allowed here or twice`);
    m.set(ps.num, ps);
  }
  return m;
}

function decodeOs(v: unknown, resolve: FingerprintResolver): FingerprintGuess {
  const o = record(v, 'rare.os');
  const score = int(o.score, 'rare.os.score', 1, 2);
  const index = int(o.index, 'rare.os.index');
  return { fp: resolve(text(o.label, 'rare.os.label'), index), index, score };
}

function decodeSignatures(v: unknown): SignatureTally[] {
  const m = new Map<number, SignatureTally>();
  const a = list(v, 'rare.signatures', MAX_SIGNATURES);
  for (let i = 0; i < a.length; i++) {
    const path = `rare.signatures[${i}]`;
    const e = list(a[i], path, 5);
    if (e.length < 4) fail(path, 'expected sid, msg, dl, hits[, role]');
    const t: SignatureTally = { sid: intAt(e, 0, path), msg: textAt(e, 1, path), dl: intAt(e, 2, path, 0, 5), hits: intAt(e, 3, path, 1), role: e.length === 5 ? roleAt(e, path) : 'level' };
    if (m.has(t.sid)) fail(path, `sid ${t.sid} twice`);
    m.set(t.sid, t);
  }
  return [...m.values()];
}

const ROLES: readonly SignatureRole[] = ['level', 'label', 'service', 'anomaly'];

function roleAt(e: unknown[], path: string): SignatureRole {
  const r = ROLES.find((x) => x === e[4]);
  if (r === undefined) fail(`${path}[4]`, 'not a signature role');
  return r;
}

function decodeInvalidIcmp(v: unknown): Map<string, number> {
  const m = new Map<string, number>();
  const a = list(v, 'rare.invalidIcmp', MAX_INVALID_ICMP);
  for (let i = 0; i < a.length; i++) {
    const path = `rare.invalidIcmp[${i}]`;
    const e = list(a[i], path, 2);
    const what = textAt(e, 0, path);
    if (m.has(what)) fail(path, `"${what}" twice`);
    m.set(what, intAt(e, 1, path, 1));
  }
  return m;
}
