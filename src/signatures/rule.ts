/**
 * The compiled form of one signature rule. Conditions are flat fields (null
 * when the rule does not use the keyword) so that the matcher is one
 * monomorphic function with no allocation per packet.
 */
import type { SignatureHit, SignatureRole } from '../model/signature.js';
import type { AddressSet } from './address-set.js';
import type { PortSet } from './port-set.js';

/** Protocols a rule header may name. `ip` rules apply to every packet. */
export type RuleProto = 'tcp' | 'udp' | 'udplite' | 'sctp' | 'icmp' | 'icmp6' | 'ip';

/** An inclusive integer range, optionally negated (`!5`, `!1:10`). */
export interface IntRange {
  readonly lo: number;
  readonly hi: number;
  readonly neg: boolean;
  /** The option value as written, for explanations. */
  readonly text: string;
}

/** `flags` (and `fragbits`): bits to compare, how, and bits to leave out of the comparison. */
export interface BitsCond {
  readonly bits: number;
  /** '' exact, '+' all of bits (others allowed), '*' any of bits, '!' none of bits. */
  readonly mode: '' | '+' | '*' | '!';
  readonly ignore: number;
  readonly text: string;
}

/** How a rule's danger level was chosen. */
export type DlSource = 'psad_dl' | 'priority' | 'classtype' | 'default' | 'snort_rule_dl';

/** What users see of a rule (`signatures list`, explanations). */
export interface Rule {
  readonly file: string;
  readonly line: number;
  /** The rule text as read (continuation lines joined). */
  readonly text: string;
  readonly action: string;
  readonly proto: RuleProto;
  /** The id hits carry: the Snort sid when present, else psad_id. */
  readonly sid: number;
  /** True when `sid` came from psad_id (psad prints "psad_id:" then). */
  readonly sidIsPsadId: boolean;
  readonly psadId: number | null;
  readonly msg: string;
  readonly rev: number | null;
  readonly classtype: string;
  readonly priority: number | null;
  readonly references: readonly string[];
  readonly metadata: readonly string[];
  readonly derivedSids: readonly number[];
  /** Danger level of a match (0 = ignore the packet). */
  readonly dl: number;
  readonly dlSource: DlSource;
  /** What a match does to its source's level (tsad_role; 'level' when absent, as in psad). */
  readonly role: SignatureRole;
}

/** Conditions of a rule; every field but the header ones is null when unused. */
export interface Conditions {
  /** `icmp` rules with the tsad_icmp6 option are `icmp6` here. */
  readonly proto: RuleProto;
  readonly src: AddressSet;
  readonly dst: AddressSet;
  readonly sport: PortSet;
  readonly dport: PortSet;
  /** `<>`: the rule also matches with source and destination swapped. */
  readonly bidir: boolean;
  /** The protocol has ports (tcp, udp, udplite, sctp); `ip` and ICMP rules ignore the port fields. */
  readonly ported: boolean;
  /** The source / destination field matches every address (no decoding needed). */
  readonly srcAny: boolean;
  readonly dstAny: boolean;
  readonly anyAddresses: boolean;
  readonly flags: BitsCond | null;
  readonly fragbits: BitsCond | null;
  readonly ttl: IntRange | null;
  readonly id: IntRange | null;
  readonly tos: IntRange | null;
  readonly window: IntRange | null;
  readonly dsize: IntRange | null;
  readonly ipLen: IntRange | null;
  readonly icmpId: IntRange | null;
  readonly icmpSeq: IntRange | null;
  readonly seq: IntRange | null;
  readonly ack: IntRange | null;
  readonly itype: IntRange | null;
  readonly icode: IntRange | null;
  readonly ipProto: IntRange | null;
  readonly fragoffset: IntRange | null;
  /** IP option type number, 256 for `any`, -1 when unused. */
  readonly ipopt: number;
  readonly ipoptText: string;
  readonly sameip: boolean;
  /** Bit set of chains (1 INPUT, 2 OUTPUT, 4 FORWARD) from tsad_chain; 0 when unused. */
  readonly chains: number;
  /** Bit set of packet directions (1 inbound, 2 outbound, 4 forward) from tsad_direction; 0 when unused. */
  readonly directions: number;
}

/** A rule ready for matching: what users see, its conditions, its load order and its shared hit object. */
export interface CompiledRule {
  readonly rule: Rule;
  readonly cond: Conditions;
  /** Load order; hits are reported in this order. */
  readonly ord: number;
  /** Kinds of the checks this rule uses, in evaluation order (see checks.ts); explain() runs these. */
  readonly checks: Uint8Array;
  /** The same without the checks the flag prefilter already decides; match() runs these after it. */
  readonly fastChecks: Uint8Array;
  /** fastChecks after the protocol check (which the rule index decides), as checks.ts runProgram() reads them. */
  readonly program: Float64Array;
  /**
   * A necessary condition on the TCP flag byte, tested inline before the
   * checks: (tcpFlags & flagMask) === flagWant. 0/0 when the rule has none.
   * For a tcp rule in exact or `+` mode it is the whole flags condition.
   */
  readonly flagMask: number;
  readonly flagWant: number;
  /** Returned by match() for every packet this rule fires on (frozen, shared). */
  readonly hit: SignatureHit;
}

export const DIR_INBOUND = 1;
export const DIR_OUTBOUND = 2;
export const DIR_FORWARD = 4;

export const CHAIN_INPUT = 1;
export const CHAIN_OUTPUT = 2;
export const CHAIN_FORWARD = 4;
