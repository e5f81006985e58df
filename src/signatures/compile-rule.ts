/**
 * One rule's text to its conditions and metadata: the header
 * (`action proto src sport dir dst dport`) and the options.
 */
import { isAnyAddress, parseAddressSet } from './address-set.js';
import { APP_LAYER } from './option-kinds.js';
import { readOptions, type OptionDraft } from './options.js';
import { parsePortSet } from './port-set.js';
import { splitRule } from './rule-text.js';
import { RuleError, RuleSkip } from './rule-error.js';
import type { Conditions, RuleProto } from './rule.js';
import type { VarTable } from './vars.js';

const ALERTING_ACTIONS = new Set(['alert', 'log', 'drop', 'reject', 'sdrop', 'rejectsrc', 'rejectdst', 'rejectboth']);

const PROTOS: Readonly<Record<string, RuleProto>> = {
  tcp: 'tcp', udp: 'udp', udplite: 'udplite', sctp: 'sctp', icmp: 'icmp', ip: 'ip',
  icmp6: 'icmp6', icmpv6: 'icmp6', 'ipv6-icmp': 'icmp6', 'tcp-pkt': 'tcp', 'udp-pkt': 'udp',
};

/** The protocol word tsad writes for a header protocol (Suricata's `tcp-pkt` is `tcp`). */
export function canonicalProto(raw: string): string | undefined {
  return PROTOS[raw.toLowerCase()];
}

export interface CompiledText {
  readonly action: string;
  readonly cond: Conditions;
  readonly opts: OptionDraft;
}

function readProto(raw: string): RuleProto {
  const p = raw.toLowerCase();
  const proto = PROTOS[p];
  if (proto) return proto;
  if (APP_LAYER.has(p)) throw new RuleSkip('app-layer', `application-layer protocol "${raw}" needs payload`);
  throw new RuleError(`unknown protocol "${raw}" (expected tcp, udp, udplite, sctp, icmp, icmp6 or ip)`);
}

function readAction(raw: string): string {
  const a = raw.toLowerCase();
  if (ALERTING_ACTIONS.has(a)) return a;
  if (a === 'pass' || a === 'activate' || a === 'dynamic') throw new RuleSkip('action', `"${raw}" rules are not supported`);
  throw new RuleError(`unknown action "${raw}" (expected alert)`);
}

/** Compiles the text of one rule; throws RuleError (unreadable) or RuleSkip (left out, with a reason). */
export function compileRuleText(text: string, vars: VarTable): CompiledText {
  const { header, options } = splitRule(text);
  if (header.length !== 7) {
    throw new RuleError(`the header needs 7 fields (action proto src sport direction dst dport), found ${header.length}`);
  }
  const [actionRaw, protoRaw, srcRaw, sportRaw, dir, dstRaw, dportRaw] = header as [string, string, string, string, string, string, string];
  const action = readAction(actionRaw);
  const proto = readProto(protoRaw);
  if (dir !== '->' && dir !== '<>' && dir !== '<-') throw new RuleError(`direction "${dir}" is not ->, <> or <-`);
  const opts = readOptions(options);
  if (opts.msg === null) throw new RuleError('no msg option');
  if (opts.sid === null && opts.psadId === null) throw new RuleError('no sid or psad_id option');
  if (opts.icmp6 && proto !== 'icmp') throw new RuleError('tsad_icmp6 applies to icmp rules only');
  const swap = dir === '<-';
  const src = parseAddressSet(swap ? dstRaw : srcRaw, vars, 'source address');
  const dst = parseAddressSet(swap ? srcRaw : dstRaw, vars, 'destination address');
  const sport = parsePortSet(swap ? dportRaw : sportRaw, vars, 'source port');
  const dport = parsePortSet(swap ? sportRaw : dportRaw, vars, 'destination port');
  return { action, opts, cond: conditions(proto, opts, { src, dst, sport, dport, bidir: dir === '<>' }) };
}

const PORTED: ReadonlySet<RuleProto> = new Set(['tcp', 'udp', 'udplite', 'sctp']);

function conditions(proto: RuleProto, o: OptionDraft, h: Pick<Conditions, 'src' | 'dst' | 'sport' | 'dport' | 'bidir'>): Conditions {
  const i = o.ints;
  return {
    proto: proto === 'icmp' && o.icmp6 ? 'icmp6' : proto,
    ...h,
    ported: PORTED.has(proto),
    srcAny: isAnyAddress(h.src),
    dstAny: isAnyAddress(h.dst),
    anyAddresses: isAnyAddress(h.src) && isAnyAddress(h.dst),
    flags: o.flags,
    fragbits: o.fragbits,
    ttl: i.ttl ?? null,
    id: i.id ?? null,
    tos: i.tos ?? null,
    window: i.window ?? null,
    dsize: i.dsize ?? null,
    ipLen: i.ip_len ?? null,
    icmpId: i.icmp_id ?? null,
    icmpSeq: i.icmp_seq ?? null,
    seq: i.seq ?? null,
    ack: i.ack ?? null,
    itype: i.itype ?? null,
    icode: i.icode ?? null,
    ipProto: i.ip_proto ?? null,
    fragoffset: i.fragoffset ?? null,
    ipopt: o.ipopt,
    ipoptText: o.ipoptText,
    sameip: o.sameip,
    chains: o.chains,
    directions: o.directions,
  };
}
