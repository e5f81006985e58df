/**
 * Rule options: metadata (msg, sid, classtype, psad_dl, ...) and the
 * conditions a LOG line can show (flags, ttl, dsize, itype, ...). One handler
 * per keyword; unknown and invisible keywords skip the rule with a reason.
 */
import { parseFlags, parseFragbits, withAck } from './bits.js';
import { parseIntRange } from './int-range.js';
import { parseIpopt } from './ip-options.js';
import { checkVisible, IGNORED } from './option-kinds.js';
import type { RawOption } from './rule-text.js';
import { RuleError, RuleSkip } from './rule-error.js';
import type { SignatureRole } from '../model/signature.js';
import { CHAIN_FORWARD, CHAIN_INPUT, CHAIN_OUTPUT, DIR_FORWARD, DIR_INBOUND, DIR_OUTBOUND, type BitsCond, type IntRange } from './rule.js';

/** Options of one rule as read, before header and danger level are combined. */
export interface OptionDraft {
  msg: string | null;
  sid: number | null;
  psadId: number | null;
  psadDl: number | null;
  rev: number | null;
  classtype: string;
  priority: number | null;
  references: string[];
  metadata: string[];
  derivedSids: number[];
  flags: BitsCond | null;
  established: boolean;
  fragbits: BitsCond | null;
  ints: Partial<Record<IntOption, IntRange>>;
  ipopt: number;
  ipoptText: string;
  sameip: boolean;
  chains: number;
  directions: number;
  role: SignatureRole;
  icmp6: boolean;
}

/** Integer-valued condition keywords, with their bounds. */
const INT_OPTIONS = {
  ttl: [0, 255], id: [0, 65535], tos: [0, 255], window: [0, 65535], dsize: [0, 65535], ip_len: [0, 65535],
  icmp_id: [0, 65535], icmp_seq: [0, 65535], seq: [0, 4294967295], ack: [0, 4294967295], itype: [0, 255],
  icode: [0, 255], ip_proto: [0, 255], fragoffset: [0, 65535],
} as const;
export type IntOption = keyof typeof INT_OPTIONS;

/** Keywords whose value is an integer comparison; psad's names map onto Snort's. */
const INT_ALIASES: Readonly<Record<string, IntOption>> = {
  ttl: 'ttl', id: 'id', tos: 'tos', window: 'window', dsize: 'dsize', psad_dsize: 'dsize',
  psad_ip_len: 'ip_len', icmp_id: 'icmp_id', icmp_seq: 'icmp_seq', seq: 'seq', ack: 'ack',
  itype: 'itype', icode: 'icode', ip_proto: 'ip_proto', fragoffset: 'fragoffset',
};

const PROTO_NAMES: Readonly<Record<string, number>> = {
  icmp: 1, igmp: 2, ipip: 4, tcp: 6, egp: 8, igp: 9, udp: 17, ipv6: 41, rsvp: 46, gre: 47, esp: 50, ah: 51,
  'ipv6-icmp': 58, icmp6: 58, eigrp: 88, ospf: 89, pim: 103, vrrp: 112, l2tp: 115, sctp: 132, udplite: 136,
};

function newDraft(): OptionDraft {
  return {
    msg: null, sid: null, psadId: null, psadDl: null, rev: null, classtype: '', priority: null,
    references: [], metadata: [], derivedSids: [], flags: null, established: false, fragbits: null,
    ints: {}, ipopt: -1, ipoptText: '', sameip: false, chains: 0, directions: 0, role: 'level', icmp6: false,
  };
}

function int(o: RawOption, min: number, max: number): number {
  const v = o.value.trim();
  if (!/^\d{1,10}$/.test(v) || Number(v) < min || Number(v) > max) throw new RuleError(`${o.name}: "${o.value}" is not a number in ${min}..${max}`);
  return Number(v);
}

function intOption(d: OptionDraft, o: RawOption, key: IntOption): void {
  if (d.ints[key] !== undefined) throw new RuleError(`${o.name}: ${key} is given twice`);
  let value = o.value;
  if (key === 'ip_proto') value = value.replace(/[a-z][a-z0-9-]*/gi, (n) => String(PROTO_NAMES[n.toLowerCase()] ?? n));
  const [min, max] = INT_OPTIONS[key];
  d.ints[key] = parseIntRange(value, min, max, o.name);
}

function flowOption(d: OptionDraft, o: RawOption): void {
  for (const part of o.value.split(',').map((s) => s.trim().toLowerCase())) {
    if (part === 'established') d.established = true;
    else if (part === 'not_established') throw new RuleSkip('flow-state', 'needs flow state (flow:not_established)');
    // to_server, from_client, stateless, no_stream ...: the header already gives the direction.
  }
}

function chainOption(d: OptionDraft, o: RawOption): void {
  for (const part of o.value.split(',').map((s) => s.trim().toUpperCase())) {
    const bit = part === 'INPUT' ? CHAIN_INPUT : part === 'OUTPUT' ? CHAIN_OUTPUT : part === 'FORWARD' ? CHAIN_FORWARD : 0;
    if (bit === 0) throw new RuleError(`tsad_chain: "${part}" is not INPUT, OUTPUT or FORWARD`);
    d.chains |= bit;
  }
}

function directionOption(d: OptionDraft, o: RawOption): void {
  for (const part of o.value.split(',').map((s) => s.trim().toLowerCase())) {
    const bit = part === 'inbound' ? DIR_INBOUND : part === 'outbound' ? DIR_OUTBOUND : part === 'forward' ? DIR_FORWARD : 0;
    if (bit === 0) throw new RuleError(`tsad_direction: "${part}" is not inbound, outbound or forward`);
    d.directions |= bit;
  }
}

const ROLES: readonly SignatureRole[] = ['level', 'label', 'service', 'anomaly'];

function roleOption(d: OptionDraft, o: RawOption): void {
  const v = o.value.trim().toLowerCase();
  const role = ROLES.find((r) => r === v);
  if (role === undefined) throw new RuleError(`tsad_role: "${o.value.trim()}" is not ${ROLES.join(', ')}`);
  d.role = role;
}

function sidList(o: RawOption): number[] {
  return o.value.split(',').map((s) => s.trim()).filter((s) => s !== '').map((s) => int({ ...o, value: s }, 1, 4294967295));
}

type Handler = (d: OptionDraft, o: RawOption) => void;

const HANDLERS: Readonly<Record<string, Handler>> = {
  msg: (d, o) => { d.msg = o.value; },
  sid: (d, o) => { d.sid = int(o, 1, 4294967295); },
  psad_id: (d, o) => { d.psadId = int(o, 1, 4294967295); },
  psad_dl: (d, o) => { d.psadDl = int(o, 0, 5); },
  rev: (d, o) => { d.rev = int(o, 0, 4294967295); },
  priority: (d, o) => { d.priority = int(o, 1, 255); },
  classtype: (d, o) => { d.classtype = o.value.trim(); },
  reference: (d, o) => { d.references.push(o.value.trim()); },
  metadata: (d, o) => { d.metadata.push(o.value.trim()); },
  psad_derived_sids: (d, o) => { d.derivedSids.push(...sidList(o)); },
  flags: (d, o) => { d.flags = parseFlags(o.value); },
  fragbits: (d, o) => { d.fragbits = parseFragbits(o.value); },
  flow: flowOption,
  ipopts: (d, o) => { d.ipopt = parseIpopt(o.value); d.ipoptText = o.value.trim(); },
  sameip: (d) => { d.sameip = true; },
  tsad_chain: chainOption,
  tsad_direction: directionOption,
  tsad_role: roleOption,
  tsad_icmp6: (d) => { d.icmp6 = true; },
};

/** Reads the options of one rule. Throws RuleError (unreadable) or RuleSkip (not visible in a LOG line). */
export function readOptions(options: readonly RawOption[]): OptionDraft {
  // A rule that cannot be seen in a LOG line is skipped for that reason, even if another option is also wrong.
  for (const o of options) {
    if (HANDLERS[o.name] || INT_ALIASES[o.name] || IGNORED.has(o.name)) continue;
    checkVisible(o.name);
    throw new RuleSkip('unsupported', `unsupported option "${o.name}"`);
  }
  const d = newDraft();
  for (const o of options) {
    const handler = HANDLERS[o.name];
    const intKey = INT_ALIASES[o.name];
    if (handler) handler(d, o);
    else if (intKey) intOption(d, o, intKey);
  }
  if (d.established) d.flags = withAck(d.flags);
  return d;
}
