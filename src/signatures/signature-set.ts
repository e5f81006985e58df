/**
 * A loaded, indexed rule set. match() is the per-packet hot path: it looks
 * at three short candidate lists (see rule-index.ts) and allocates nothing
 * when no rule fires. explain() runs every check of every candidate and says
 * why each rule fired or not.
 */
import type { Packet } from '../model/packet.js';
import type { SignatureHit } from '../model/signature.js';
import { checkName, describeCheck, runChecks, runCode, runProgram, testCheck } from './checks.js';
import { FwsnortHits, prefixSid } from './fwsnort.js';
import { MatchContext } from './match-context.js';
import { RuleIndex, type RuleList } from './rule-index.js';
import type { CompiledRule, Rule } from './rule.js';

export interface SidOptions {
  /** Honour fwsnort `SID<n>` log prefixes. */
  readonly enabled: boolean;
  /** SNORT_SID_STR. */
  readonly marker: string;
  /** snort_rule_dl levels by sid. */
  readonly levels: ReadonlyMap<number, number>;
}

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface Explanation {
  /** The rule, or null for an fwsnort sid no loaded rule describes. */
  readonly rule: Rule | null;
  readonly sid: number;
  readonly msg: string;
  readonly dl: number;
  readonly matched: boolean;
  /** Every check of the rule, in evaluation order. */
  readonly checks: readonly CheckResult[];
}

const NO_SIDS: SidOptions = { enabled: false, marker: 'SID', levels: new Map() };

export class SignatureSet {
  readonly #rules: readonly CompiledRule[];
  readonly #index: RuleIndex | null;
  readonly #ctx = new MatchContext();
  readonly #sids: SidOptions;
  readonly #fwsnort: FwsnortHits;
  readonly #bySid = new Map<number, CompiledRule>();
  /** Rules that fired on the current packet: the first #firedCount entries (reused storage). */
  readonly #fired: CompiledRule[] = [];
  #firedCount = 0;
  /** Each rule's hit as a one-element list: what match() returns when only that rule fires (most matches), shared and never changed. */
  readonly #alone = new Map<CompiledRule, SignatureHit[]>();
  /** The last log prefix looked at for an fwsnort sid, and its sid (-1: none): consecutive lines nearly always share a prefix. */
  #sidPrefix = '';
  #sidOfPrefix = -1;
  /** The same for two rules firing together, by the rule first in order, then the other (see #pair). */
  readonly #pairs = new Map<CompiledRule, Map<CompiledRule, SignatureHit[]>>();
  /** Whether a match can mean "ignore the packet" (a rule or snort_rule_dl level of 0): only then can a match drop a packet. */
  readonly ignores: boolean;

  /** `indexed: false` tries every rule on every packet (the reference the index is tested against). */
  constructor(rules: readonly CompiledRule[], sids: SidOptions = NO_SIDS, indexed = true) {
    this.#rules = rules;
    this.#index = indexed ? new RuleIndex(rules) : null;
    this.#sids = sids;
    for (const r of rules) {
      if (!this.#bySid.has(r.rule.sid)) this.#bySid.set(r.rule.sid, r);
      this.#alone.set(r, [r.hit]);
    }
    this.#fwsnort = new FwsnortHits(sids.levels, (sid) => this.#bySid.get(sid)?.rule);
    this.ignores = rules.some((r) => r.hit.dl === 0) || (sids.enabled && [...sids.levels.values()].includes(0));
  }

  get size(): number {
    return this.#rules.length;
  }


  rules(): readonly Rule[] {
    return this.#rules.map((r) => r.rule);
  }

  /** Hits in rule order, or null when nothing matched (read-only: a single hit's list is shared). A hit with dl 0 means: ignore the packet. */
  match(p: Packet): readonly SignatureHit[] | null {
    if (this.#sids.enabled) {
      if (p.prefix !== this.#sidPrefix) {
        this.#sidOfPrefix = prefixSid(p.prefix, this.#sids.marker);
        this.#sidPrefix = p.prefix;
      }
      const sid = this.#sidOfPrefix;
      if (sid >= 0) return [this.#fwsnort.hit(sid)];
    }
    this.#ctx.reset(p);
    this.#firedCount = 0;
    if (this.#index === null) this.#collectAll(p);
    else {
      // Index candidates have the packet's protocol (or are `ip` rules): their programs skip that check.
      const pi = this.#index.lists(p.proto);
      this.#collect(pi.keyed(p.proto === 'icmp' || p.proto === 'icmp6' ? p.icmpType : p.dport), p);
      if (p.sport >= 0) this.#collect(pi.bySport(p.sport), p);
      this.#collectPassed(pi.rest(p.tcpFlags), p);
    }
    const n = this.#firedCount;
    if (n === 0) return null;
    if (n === 1) return this.#alone.get(this.#fired[0] as CompiledRule) as SignatureHit[];
    // Each list is in rule order; rules from several lists need merging.
    if (n === 2) return this.#pair(this.#fired[0] as CompiledRule, this.#fired[1] as CompiledRule);
    const fired = this.#fired.slice(0, n);
    fired.sort(byOrd);
    return fired.map(hitOf);
  }

  /**
   * The hits of two rules that fired together, in rule order: one shared list
   * per pair (a packet often fires a scan rule and a port rule: a list and a
   * sort per packet were a third of the bytes allocated on a flood).
   */
  #pair(a: CompiledRule, b: CompiledRule): SignatureHit[] {
    if (b.ord < a.ord) [a, b] = [b, a];
    let m = this.#pairs.get(a);
    if (m === undefined) this.#pairs.set(a, (m = new Map()));
    let hits = m.get(b);
    if (hits === undefined) m.set(b, (hits = [a.hit, b.hit]));
    return hits;
  }

  /** Appends the rules of index list `list` that fire to #fired. */
  #collect(list: readonly CompiledRule[], p: Packet): void {
    const ctx = this.#ctx;
    const flags = p.tcpFlags;
    for (let i = 0; i < list.length; i++) {
      const r = list[i] as CompiledRule;
      if ((flags & r.flagMask) !== r.flagWant) continue;
      if (runProgram(r.program, r.cond, p, ctx)) this.#fired[this.#firedCount++] = r;
    }
  }

  /** The same for a list whose rules the packet's flags already pass (ProtoIndex.rest). */
  #collectPassed(list: RuleList, p: Packet): void {
    const ctx = this.#ctx;
    const { rules, code } = list;
    let at = 0;
    for (let i = 0; i < rules.length; i++) {
      const from = at + 1;
      at = from + (code[at] as number);
      const r = rules[i] as CompiledRule;
      if (runCode(code, from, at, r.cond, p, ctx)) this.#fired[this.#firedCount++] = r;
    }
  }

  /** Every rule with every check (no index: the reference the index is tested against). */
  #collectAll(p: Packet): void {
    const ctx = this.#ctx;
    const flags = p.tcpFlags;
    for (const r of this.#rules) {
      if ((flags & r.flagMask) !== r.flagWant) continue;
      if (runChecks(r.fastChecks, 0, r.cond, p, ctx)) this.#fired[this.#firedCount++] = r;
    }
  }

  /** Every candidate rule for the packet with the result of each of its checks. */
  explain(p: Packet): Explanation[] {
    if (this.#sids.enabled) {
      const sid = prefixSid(p.prefix, this.#sids.marker);
      if (sid >= 0) return [this.#explainSid(p, sid)];
    }
    this.#ctx.reset(p);
    const out: Explanation[] = [];
    for (const r of this.#candidates(p)) {
      const checks = [...r.checks].map((k) => ({ name: checkName(k), ok: testCheck(k, r.cond, p, this.#ctx), detail: describeCheck(k, r.cond, p, this.#ctx) }));
      out.push({ rule: r.rule, sid: r.rule.sid, msg: r.rule.msg, dl: r.rule.dl, matched: checks.every((c) => c.ok), checks });
    }
    return out;
  }

  #candidates(p: Packet): CompiledRule[] {
    if (this.#index === null) return [...this.#rules];
    const key = p.proto === 'icmp' || p.proto === 'icmp6' ? p.icmpType : p.dport;
    const bySport = p.sport >= 0 ? this.#index.bySport(p.proto, p.sport) : [];
    const all = [...this.#index.keyed(p.proto, key), ...bySport, ...this.#index.unkeyed(p.proto), ...this.#index.ip];
    return all.sort((a, b) => a.ord - b.ord);
  }

  #explainSid(p: Packet, sid: number): Explanation {
    const h = this.#fwsnort.hit(sid);
    const detail = `log prefix "${p.prefix}" names sid ${sid}; no other signature is tried (snort_rule_dl: ${this.#sids.levels.has(sid) ? this.#sids.levels.get(sid) : 'none'})`;
    return { rule: this.#bySid.get(sid)?.rule ?? null, sid, msg: h.msg, dl: h.dl, matched: true, checks: [{ name: 'fwsnort SID', ok: true, detail }] };
  }
}

function byOrd(a: CompiledRule, b: CompiledRule): number {
  return a.ord - b.ord;
}

function hitOf(r: CompiledRule): SignatureHit {
  return r.hit;
}
