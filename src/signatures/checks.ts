/**
 * The conditions a rule can put on a packet. testCheck() is the one place
 * that decides each condition (a switch over small integers, so the per-packet
 * loop stays monomorphic and allocation-free); describeCheck() says what the
 * rule asks and what the packet has, for explain(). A rule keeps only the
 * checks it uses, cheapest and most selective first.
 */
import type { Packet } from '../model/packet.js';
import { tcpFlagsText } from '../net/tcp-flags.js';
import { addressIn } from './address-set.js';
import { bitsMatch, ipFlagsText } from './bits.js';
import { inRange } from './int-range.js';
import { hasIpOption, ipoptName } from './ip-options.js';
import type { MatchContext } from './match-context.js';
import { isAnyPort, portIn } from './port-set.js';
import { CHAIN_FORWARD, CHAIN_INPUT, CHAIN_OUTPUT, DIR_FORWARD, DIR_INBOUND, DIR_OUTBOUND, type Conditions, type IntRange } from './rule.js';

/** Check kinds, in the order a rule runs them. */
const K = {
  protocol: 0, chain: 1, flags: 2, fragbits: 3, itype: 4, icode: 5, ipProto: 6, ttl: 7, id: 8, tos: 9,
  ipLen: 10, fragoffset: 11, window: 12, seq: 13, ack: 14, icmpId: 15, icmpSeq: 16, ports: 17,
  addresses: 18, bidir: 19, sameip: 20, ipopts: 21, dsize: 22, direction: 23,
} as const;
type Kind = (typeof K)[keyof typeof K];

/** Option names as users write them, per kind. */
const NAMES: Readonly<Record<Kind, string>> = [
  'protocol', 'tsad_chain', 'flags', 'fragbits', 'itype', 'icode', 'ip_proto', 'ttl', 'id', 'tos',
  'psad_ip_len', 'fragoffset', 'window', 'seq', 'ack', 'icmp_id', 'icmp_seq', 'ports',
  'addresses', 'header (<>)', 'sameip', 'ipopts', 'dsize', 'tsad_direction',
];

/** Integer conditions: the rule's range. */
const INT_FIELD: Partial<Record<Kind, keyof Conditions>> = {
  [K.itype]: 'itype', [K.icode]: 'icode', [K.ipProto]: 'ipProto', [K.ttl]: 'ttl', [K.id]: 'id', [K.tos]: 'tos',
  [K.ipLen]: 'ipLen', [K.fragoffset]: 'fragoffset', [K.window]: 'window', [K.seq]: 'seq', [K.ack]: 'ack',
  [K.icmpId]: 'icmpId', [K.icmpSeq]: 'icmpSeq', [K.dsize]: 'dsize',
};

const CHAIN_BIT = { INPUT: CHAIN_INPUT, OUTPUT: CHAIN_OUTPUT, FORWARD: CHAIN_FORWARD } as const;
const DIR_BIT = { inbound: DIR_INBOUND, outbound: DIR_OUTBOUND, forward: DIR_FORWARD } as const;

function isIcmp(p: Packet): boolean {
  return p.proto === 'icmp' || p.proto === 'icmp6';
}

/** The packet value an integer check compares; -1 when the line does not carry it. */
function intValue(kind: Kind, p: Packet, ctx: MatchContext): number {
  switch (kind) {
    case K.itype: return isIcmp(p) ? p.icmpType : -1;
    case K.icode: return isIcmp(p) ? p.icmpCode : -1;
    case K.ipProto: return p.protoNum;
    case K.ttl: return p.ttl;
    case K.id: return p.id;
    case K.tos: return p.family === 4 ? p.tos : p.tc;
    case K.ipLen: return p.len;
    case K.fragoffset: return p.frag < 0 ? 0 : p.frag;
    case K.window: return p.proto === 'tcp' ? p.window : -1;
    case K.seq: return p.proto === 'tcp' ? p.seq : -1;
    case K.ack: return p.proto === 'tcp' ? p.ack : -1;
    case K.icmpId: return isIcmp(p) ? p.icmpId : -1;
    case K.icmpSeq: return isIcmp(p) ? p.icmpSeq : -1;
    case K.dsize: return ctx.dsize();
    default: return -1;
  }
}

const ABSENT: Partial<Record<Kind, string>> = {
  [K.itype]: 'none (not ICMP)', [K.icode]: 'none (not ICMP)', [K.id]: 'none (IPv6 has no IP ID)',
  [K.window]: 'none (not TCP)', [K.seq]: 'not logged (needs --log-tcp-sequence)', [K.ack]: 'not logged (needs --log-tcp-sequence)',
  [K.icmpId]: 'none (not an ICMP echo)', [K.icmpSeq]: 'none (not an ICMP echo)',
};

function headerWay(c: Conditions, p: Packet, ctx: MatchContext, swap: boolean): boolean {
  if (!c.anyAddresses) {
    if (!c.srcAny && !addressIn(c.src, swap ? ctx.dst() : ctx.src())) return false;
    if (!c.dstAny && !addressIn(c.dst, swap ? ctx.src() : ctx.dst())) return false;
  }
  if (!c.ported) return true;
  return portIn(c.sport, swap ? p.dport : p.sport) && portIn(c.dport, swap ? p.sport : p.dport);
}

/** `v` (-1 when the line does not carry it) satisfies the rule's range. */
function intOk(r: IntRange | null, v: number): boolean {
  return v >= 0 && r !== null && inRange(r, v);
}

/** Whether the packet passes one check of the rule. */
export function testCheck(kind: number, c: Conditions, p: Packet, ctx: MatchContext): boolean {
  switch (kind) {
    case K.protocol: return c.proto === 'ip' || c.proto === p.proto;
    case K.chain: return (c.chains & CHAIN_BIT[p.chain]) !== 0;
    case K.direction: return (c.directions & DIR_BIT[p.dir]) !== 0;
    case K.flags: return p.proto === 'tcp' && bitsMatch(c.flags as NonNullable<Conditions['flags']>, p.tcpFlags);
    case K.fragbits: return p.family === 4 && bitsMatch(c.fragbits as NonNullable<Conditions['fragbits']>, p.ipFlags);
    case K.itype: return intOk(c.itype, intValue(K.itype, p, ctx));
    case K.icode: return intOk(c.icode, intValue(K.icode, p, ctx));
    case K.ipProto: return intOk(c.ipProto, p.protoNum);
    case K.ttl: return intOk(c.ttl, p.ttl);
    case K.id: return intOk(c.id, p.id);
    case K.tos: return intOk(c.tos, intValue(K.tos, p, ctx));
    case K.ipLen: return intOk(c.ipLen, p.len);
    case K.fragoffset: return intOk(c.fragoffset, intValue(K.fragoffset, p, ctx));
    case K.window: return intOk(c.window, intValue(K.window, p, ctx));
    case K.seq: return intOk(c.seq, intValue(K.seq, p, ctx));
    case K.ack: return intOk(c.ack, intValue(K.ack, p, ctx));
    case K.icmpId: return intOk(c.icmpId, intValue(K.icmpId, p, ctx));
    case K.icmpSeq: return intOk(c.icmpSeq, intValue(K.icmpSeq, p, ctx));
    case K.dsize: return intOk(c.dsize, ctx.dsize());
    case K.ports: return portIn(c.sport, p.sport) && portIn(c.dport, p.dport);
    case K.addresses:
      return (c.srcAny || addressIn(c.src, ctx.src())) && (c.dstAny || addressIn(c.dst, ctx.dst()));
    case K.bidir: return headerWay(c, p, ctx, false) || headerWay(c, p, ctx, true);
    // Lengths first: two different addresses' texts are compared by a call, their lengths inline.
    case K.sameip: return p.src.length === p.dst.length && p.src === p.dst && p.inIf !== 'lo' && p.outIf !== 'lo';
    case K.ipopts: return p.family === 4 && hasIpOption(p.ipOpts, c.ipopt);
    default: return false;
  }
}

function chainNames(bits: number): string {
  return Object.entries(CHAIN_BIT).filter(([, b]) => (bits & b) !== 0).map(([n]) => n).join(',');
}

/** "rule <what it asks>, packet <what it has>". */
export function describeCheck(kind: number, c: Conditions, p: Packet, ctx: MatchContext): string {
  switch (kind) {
    case K.protocol: return `rule ${c.proto}, packet ${p.proto}`;
    case K.chain: return `rule ${chainNames(c.chains)}, packet ${p.chain}`;
    case K.direction: return `rule ${Object.entries(DIR_BIT).filter(([, b]) => (c.directions & b) !== 0).map(([n]) => n).join(',')}, packet ${p.dir}`;
    case K.flags: return `rule ${c.flags?.text ?? ''}, packet ${p.proto === 'tcp' ? tcpFlagsText(p.tcpFlags) : `not TCP (${p.proto})`}`;
    case K.fragbits: return `rule ${c.fragbits?.text ?? ''}, packet ${p.family === 4 ? ipFlagsText(p.ipFlags) : 'IPv6 (no IPv4 flags)'}`;
    case K.ports: return `rule ${c.sport.text} -> ${c.dport.text}, packet ${p.sport} -> ${p.dport}`;
    case K.addresses: return `rule ${c.src.text} -> ${c.dst.text}, packet ${p.src} -> ${p.dst}`;
    case K.bidir: return `rule ${c.src.text} ${c.sport.text} <> ${c.dst.text} ${c.dport.text}, packet ${p.src} ${p.sport} -> ${p.dst} ${p.dport}`;
    case K.sameip: return `packet ${p.src} -> ${p.dst} on ${p.inIf || p.outIf || '?'}`;
    case K.ipopts: return `rule ${ipoptName(c.ipopt)}, packet ${p.ipOpts === '' ? 'no options logged (needs --log-ip-options)' : `OPT (${p.ipOpts})`}`;
    default: {
      const v = intValue(kind as Kind, p, ctx);
      const r = c[INT_FIELD[kind as Kind] as keyof Conditions] as IntRange;
      return `rule ${r.text}, packet ${v >= 0 ? v : (ABSENT[kind as Kind] ?? 'not logged')}`;
    }
  }
}

export function checkName(kind: number): string {
  return NAMES[kind as Kind];
}

/** The check kinds a rule needs, in evaluation order. */
export function checksFor(c: Conditions): Uint8Array {
  const out: number[] = [K.protocol];
  if (c.chains !== 0) out.push(K.chain);
  if (c.directions !== 0) out.push(K.direction);
  if (c.flags !== null) out.push(K.flags);
  if (c.fragbits !== null) out.push(K.fragbits);
  for (const [kind, field] of Object.entries(INT_FIELD)) {
    if (Number(kind) !== K.dsize && c[field] !== null) out.push(Number(kind));
  }
  if (c.bidir) out.push(K.bidir);
  else {
    if (c.ported && !(isAnyPort(c.sport) && isAnyPort(c.dport))) out.push(K.ports);
    if (!c.anyAddresses) out.push(K.addresses);
  }
  if (c.sameip) out.push(K.sameip);
  if (c.ipopt >= 0) out.push(K.ipopts);
  if (c.dsize !== null) out.push(K.dsize);
  return Uint8Array.from(out);
}

/** The kinds without the flags check. */
export function withoutFlags(kinds: Uint8Array): Uint8Array {
  return kinds.filter((k) => k !== K.flags);
}

/** Index of the first check after the protocol check (which the rule index makes redundant). */
export const AFTER_PROTOCOL = 1;

/** True when every check from `from` on passes. */
export function runChecks(kinds: Uint8Array, from: number, c: Conditions, p: Packet, ctx: MatchContext): boolean {
  for (let i = from; i < kinds.length; i++) if (!testCheck(kinds[i] as number, c, p, ctx)) return false;
  return true;
}

/** A program entry's fourth number for a check that is not an integer range (testCheck decides it). */
const NOT_INT = -1;

/**
 * The checks `kinds[from...]` as a flat program for runProgram(): four
 * numbers per check, [kind, lo, hi, neg], the range inline for integer
 * checks (neg 0 or 1), NOT_INT in the fourth place for the others. Reading
 * the range from the program instead of the rule's conditions object makes
 * an integer check a few comparisons (most checks of most rules are one).
 */
export function checkProgram(kinds: Uint8Array, from: number, c: Conditions): Float64Array {
  const out: number[] = [];
  for (let i = from; i < kinds.length; i++) {
    const kind = kinds[i] as Kind;
    const field = INT_FIELD[kind];
    const r = field === undefined ? null : (c[field] as IntRange | null);
    if (r === null) out.push(kind, 0, 0, NOT_INT);
    else out.push(kind, r.lo, r.hi, r.neg ? 1 : 0);
  }
  return Float64Array.from(out);
}

/** What runChecks(kinds, from, c, ...) answers, for the program checkProgram(kinds, from, c) made. */
export function runProgram(prog: Float64Array, c: Conditions, p: Packet, ctx: MatchContext): boolean {
  return runCode(prog, 0, prog.length, c, p, ctx);
}

/** runProgram() of the program in code[from, to) (a rule's part of a list's programs, see rule-index.ts). */
export function runCode(prog: Float64Array, from: number, to: number, c: Conditions, p: Packet, ctx: MatchContext): boolean {
  for (let i = from; i < to; i += 4) {
    const kind = prog[i] as Kind;
    const neg = prog[i + 3] as number;
    if (neg === NOT_INT) {
      if (!testCheck(kind, c, p, ctx)) return false;
      continue;
    }
    // intOk(): the field is there and its value is in the range (outside it when negated).
    const v = intValue(kind, p, ctx);
    if (v < 0 || (v >= (prog[i + 1] as number) && v <= (prog[i + 2] as number)) === (neg === 1)) return false;
  }
  return true;
}
