/**
 * The conditions a rule can put on a packet. Each check has a test (used per
 * packet, no allocation) and a description (used by explain()); a rule keeps
 * only the checks it uses, so the matcher and the explanation cannot disagree.
 */
import type { Packet } from '../model/packet.js';
import { addressIn, isAnyAddress } from './address-set.js';
import { tcpFlagsText } from '../net/tcp-flags.js';
import { bitsMatch, ipFlagsText } from './bits.js';
import { inRange } from './int-range.js';
import { hasIpOption, ipoptName } from './ip-options.js';
import type { MatchContext } from './match-context.js';
import { isAnyPort, portIn } from './port-set.js';
import { CHAIN_FORWARD, CHAIN_INPUT, CHAIN_OUTPUT, type Conditions, type IntRange } from './rule.js';

export interface Check {
  readonly name: string;
  test(c: Conditions, p: Packet, ctx: MatchContext): boolean;
  /** What the rule asks and what the packet has. */
  describe(c: Conditions, p: Packet, ctx: MatchContext): string;
}

const PORTED = new Set(['tcp', 'udp', 'udplite', 'sctp']);
const isIcmp = (p: Packet) => p.proto === 'icmp' || p.proto === 'icmp6';

function protoOk(c: Conditions, p: Packet): boolean {
  return c.proto === 'ip' || c.proto === p.proto;
}

const protocol: Check = {
  name: 'protocol',
  test: (c, p) => protoOk(c, p),
  describe: (c, p) => `rule ${c.proto}, packet ${p.proto}`,
};

const CHAIN_BIT = { INPUT: CHAIN_INPUT, OUTPUT: CHAIN_OUTPUT, FORWARD: CHAIN_FORWARD } as const;
const chain: Check = {
  name: 'tsad_chain',
  test: (c, p) => (c.chains & CHAIN_BIT[p.chain]) !== 0,
  describe: (c, p) => `rule ${Object.entries(CHAIN_BIT).filter(([, b]) => (c.chains & b) !== 0).map(([n]) => n).join(',')}, packet ${p.chain}`,
};

const flags: Check = {
  name: 'flags',
  test: (c, p) => p.proto === 'tcp' && c.flags !== null && bitsMatch(c.flags, p.tcpFlags),
  describe: (c, p) => `rule ${c.flags?.text ?? ''}, packet ${p.proto === 'tcp' ? tcpFlagsText(p.tcpFlags) : `not TCP (${p.proto})`}`,
};

const fragbits: Check = {
  name: 'fragbits',
  test: (c, p) => p.family === 4 && c.fragbits !== null && bitsMatch(c.fragbits, p.ipFlags),
  describe: (c, p) => `rule ${c.fragbits?.text ?? ''}, packet ${p.family === 4 ? ipFlagsText(p.ipFlags) : 'IPv6 (no IPv4 flags)'}`,
};

/** An integer check: the packet value is -1 when the line does not carry it. */
function intCheck(name: string, cond: (c: Conditions) => IntRange | null, value: (p: Packet, ctx: MatchContext) => number, absent: string): Check {
  return {
    name,
    test: (c, p, ctx) => {
      const v = value(p, ctx);
      return v >= 0 && inRange(cond(c) as IntRange, v);
    },
    describe: (c, p, ctx) => {
      const v = value(p, ctx);
      return `rule ${cond(c)?.text ?? ''}, packet ${v >= 0 ? v : absent}`;
    },
  };
}

const tcpOnly = (get: (p: Packet) => number) => (p: Packet) => (p.proto === 'tcp' ? get(p) : -1);
const icmpOnly = (get: (p: Packet) => number) => (p: Packet) => (isIcmp(p) ? get(p) : -1);

const INT_CHECKS: ReadonlyArray<[keyof Conditions, Check]> = [
  ['itype', intCheck('itype', (c) => c.itype, icmpOnly((p) => p.icmpType), 'none (not ICMP)')],
  ['icode', intCheck('icode', (c) => c.icode, icmpOnly((p) => p.icmpCode), 'none (not ICMP)')],
  ['ipProto', intCheck('ip_proto', (c) => c.ipProto, (p) => p.protoNum, 'unknown')],
  ['ttl', intCheck('ttl', (c) => c.ttl, (p) => p.ttl, 'not logged')],
  ['id', intCheck('id', (c) => c.id, (p) => p.id, 'none (IPv6 has no IP ID)')],
  ['tos', intCheck('tos', (c) => c.tos, (p) => (p.family === 4 ? p.tos : p.tc), 'not logged')],
  ['ipLen', intCheck('psad_ip_len', (c) => c.ipLen, (p) => p.len, 'not logged')],
  ['fragoffset', intCheck('fragoffset', (c) => c.fragoffset, (p) => (p.frag < 0 ? 0 : p.frag), 'not logged')],
  ['window', intCheck('window', (c) => c.window, tcpOnly((p) => p.window), 'none (not TCP or not logged)')],
  ['seq', intCheck('seq', (c) => c.seq, tcpOnly((p) => p.seq), 'not logged (needs --log-tcp-sequence)')],
  ['ack', intCheck('ack', (c) => c.ack, tcpOnly((p) => p.ack), 'not logged (needs --log-tcp-sequence)')],
  ['icmpId', intCheck('icmp_id', (c) => c.icmpId, icmpOnly((p) => p.icmpId), 'none (not an ICMP echo)')],
  ['icmpSeq', intCheck('icmp_seq', (c) => c.icmpSeq, icmpOnly((p) => p.icmpSeq), 'none (not an ICMP echo)')],
  ['dsize', intCheck('dsize', (c) => c.dsize, (_p, ctx) => ctx.dsize(), 'unknown (no LEN)')],
];

const ports: Check = {
  name: 'ports',
  test: (c, p) => portIn(c.sport, p.sport) && portIn(c.dport, p.dport),
  describe: (c, p) => `rule ${c.sport.text} -> ${c.dport.text}, packet ${p.sport} -> ${p.dport}`,
};

const addresses: Check = {
  name: 'addresses',
  test: (c, _p, ctx) => {
    ctx.addresses();
    return addressIn(c.src, ctx.src) && addressIn(c.dst, ctx.dst);
  },
  describe: (c, p) => `rule ${c.src.text} -> ${c.dst.text}, packet ${p.src} -> ${p.dst}`,
};

function headerWay(c: Conditions, p: Packet, ctx: MatchContext, swap: boolean): boolean {
  ctx.addresses();
  const s = swap ? ctx.dst : ctx.src;
  const d = swap ? ctx.src : ctx.dst;
  if (!addressIn(c.src, s) || !addressIn(c.dst, d)) return false;
  if (!PORTED.has(c.proto)) return true;
  return portIn(c.sport, swap ? p.dport : p.sport) && portIn(c.dport, swap ? p.sport : p.dport);
}

/** `<>` rules: either way round. */
const bidirectional: Check = {
  name: 'header (<>)',
  test: (c, p, ctx) => headerWay(c, p, ctx, false) || headerWay(c, p, ctx, true),
  describe: (c, p) => `rule ${c.src.text} ${c.sport.text} <> ${c.dst.text} ${c.dport.text}, packet ${p.src} ${p.sport} -> ${p.dst} ${p.dport}`,
};

const sameip: Check = {
  name: 'sameip',
  test: (_c, p) => p.src === p.dst && p.inIf !== 'lo' && p.outIf !== 'lo',
  describe: (_c, p) => `packet ${p.src} -> ${p.dst} on ${p.inIf || p.outIf || '?'}`,
};

const ipopts: Check = {
  name: 'ipopts',
  test: (c, p) => p.family === 4 && hasIpOption(p.ipOpts, c.ipopt),
  describe: (c, p) => `rule ${ipoptName(c.ipopt)}, packet ${p.ipOpts === '' ? 'no options logged (needs --log-ip-options)' : `OPT (${p.ipOpts})`}`,
};

/** The checks a rule needs, cheapest and most selective first. */
export function checksFor(c: Conditions): Check[] {
  const out: Check[] = [protocol];
  if (c.chains !== 0) out.push(chain);
  if (c.flags !== null) out.push(flags);
  if (c.fragbits !== null) out.push(fragbits);
  for (const [key, check] of INT_CHECKS) if (key !== 'dsize' && c[key] !== null) out.push(check);
  if (c.bidir) out.push(bidirectional);
  else {
    if (PORTED.has(c.proto) && !(isAnyPort(c.sport) && isAnyPort(c.dport))) out.push(ports);
    if (!(isAnyAddress(c.src) && isAnyAddress(c.dst))) out.push(addresses);
  }
  if (c.sameip) out.push(sameip);
  if (c.ipopt >= 0) out.push(ipopts);
  if (c.dsize !== null) out.push(INT_CHECKS[INT_CHECKS.length - 1]?.[1] as Check);
  return out;
}

/** True when every check passes. */
export function runChecks(checks: readonly Check[], c: Conditions, p: Packet, ctx: MatchContext): boolean {
  for (let i = 0; i < checks.length; i++) if (!(checks[i] as Check).test(c, p, ctx)) return false;
  return true;
}
