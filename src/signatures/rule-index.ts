/**
 * Candidate lists so that a packet is tried only against rules that can
 * match it: per protocol, a map from destination port (TCP, UDP, UDPLITE,
 * SCTP) or ICMP type to rules, a map from source port for rules that take
 * any destination port but name source ports (replies of reflection
 * attacks), a list of the rules that take any port or type, and the `ip`
 * rules. A packet looks at three short lists whatever the number of rules:
 * by destination port or type, by source port, and the any-port and `ip`
 * rules merged and sorted, one list per TCP flag byte holding only the
 * rules whose flag prefilter that byte passes (a SYN is not tried against
 * the FIN, NULL and XMAS scan rules).
 */
import type { CompiledRule, Conditions } from './rule.js';
import { finitePorts } from './port-set.js';

/** Rules whose port list is longer than this go to the any-port list (bounds memory). */
const MAX_INDEXED_PORTS = 256;

const EMPTY: readonly CompiledRule[] = [];

/** Index keys are ports (0-65535) or ICMP types (0-255). */
const KEYS = 65536;

function addAll(map: Map<number, CompiledRule[]>, keys: readonly number[], r: CompiledRule): void {
  for (const k of keys) {
    let list = map.get(k);
    if (list === undefined) map.set(k, (list = []));
    if (list[list.length - 1] !== r) list.push(r);
  }
}

/**
 * Lists by key, looked up per packet: each key's list number in a typed
 * array (0: no list), so a lookup is two array reads, not a Map probe. A
 * bit per key says first whether the key has a list: 8 KiB that stay in
 * cache, where a look at the 128 KiB of list numbers by a random source
 * port mostly missed it.
 */
class KeyedLists {
  readonly #ids: Uint16Array | Uint32Array;
  readonly #has = new Int32Array(KEYS >> 5);
  readonly #lists: Array<readonly CompiledRule[]> = [EMPTY];

  constructor(map: ReadonlyMap<number, CompiledRule[]>) {
    this.#ids = map.size < 0xffff ? new Uint16Array(KEYS) : new Uint32Array(KEYS);
    for (const [key, list] of map) {
      // A key outside 0-65535 (a rule's ICMP type no packet can have) is never looked up.
      if (!(key >= 0 && key < KEYS)) continue;
      this.#ids[key] = this.#lists.length;
      this.#has[key >> 5] = (this.#has[key >> 5] as number) | (1 << (key & 31));
      this.#lists.push(list);
    }
  }

  get(key: number): readonly CompiledRule[] {
    if (!(key >= 0 && key < KEYS) || ((this.#has[key >> 5] as number) & (1 << (key & 31))) === 0) return EMPTY;
    return this.#lists[this.#ids[key] as number] as readonly CompiledRule[];
  }
}

/** TCP flag bytes: a rule's flag prefilter masks the low 8 bits only (build-rules.ts). */
const FLAG_BYTES = 256;

/**
 * Rules and their programs (CompiledRule.program) end to end in one array,
 * each preceded by its length: one pass over a few hundred bytes per
 * packet, rather than a look at every rule and its program's array.
 */
export interface RuleList {
  readonly rules: readonly CompiledRule[];
  readonly code: Float64Array;
}

function ruleList(rules: readonly CompiledRule[]): RuleList {
  const code: number[] = [];
  for (const r of rules) code.push(r.program.length, ...r.program);
  return { rules, code: Float64Array.from(code) };
}

/** One protocol's rules: by destination port or ICMP type, by source port, and the rest. */
export class ProtoIndex {
  readonly #byKey = new Map<number, CompiledRule[]>();
  readonly #bySport = new Map<number, CompiledRule[]>();
  readonly any: CompiledRule[] = [];
  #keyed: KeyedLists | null = null;
  #sported: KeyedLists | null = null;
  /** By flag byte: the any-port and `ip` rules in rule order whose prefilter the byte passes. */
  readonly #rest: RuleList[] = [];

  add(r: CompiledRule): void {
    const keys = keysOf(r.cond);
    if (keys !== null) return addAll(this.#byKey, keys, r);
    const sports = r.cond.ported && !r.cond.bidir ? finitePorts(r.cond.sport, MAX_INDEXED_PORTS) : null;
    if (sports !== null) return addAll(this.#bySport, sports, r);
    this.any.push(r);
  }

  /** Makes the lookup tables once every rule is added; `ip` are the rules of every protocol. */
  finish(ip: readonly CompiledRule[]): void {
    this.#keyed = new KeyedLists(this.#byKey);
    this.#sported = new KeyedLists(this.#bySport);
    const merged = [...this.any, ...ip].sort((a, b) => a.ord - b.ord);
    const seen = new Map<string, RuleList>();
    for (let f = 0; f < FLAG_BYTES; f++) {
      const list = merged.filter((r) => (f & r.flagMask) === r.flagWant);
      // Few distinct lists: the bytes that pass the same rules share one.
      const key = list.map((r) => r.ord).join(',');
      let same = seen.get(key);
      if (same === undefined) seen.set(key, (same = ruleList(list)));
      this.#rest.push(same);
    }
  }

  /**
   * The any-port rules and the `ip` rules, in rule order, that pass the flag
   * prefilter with TCP flags `flags` (so need no flag test of it).
   */
  rest(flags: number): RuleList {
    return this.#rest[flags & (FLAG_BYTES - 1)] as RuleList;
  }

  /** The rules indexed under `key` (destination port or ICMP type). */
  keyed(key: number): readonly CompiledRule[] {
    return (this.#keyed as KeyedLists).get(key);
  }

  /** The rules that take any destination port and name source port `sport`. */
  bySport(sport: number): readonly CompiledRule[] {
    return (this.#sported as KeyedLists).get(sport);
  }
}

/** Index keys of a rule: ports (both sides for `<>`), ICMP types, or null for the any list. */
function keysOf(c: Conditions): number[] | null {
  if (c.proto === 'icmp' || c.proto === 'icmp6') {
    const t = c.itype;
    if (t === null || t.neg || t.hi - t.lo >= MAX_INDEXED_PORTS) return null;
    const out: number[] = [];
    for (let v = t.lo; v <= t.hi; v++) out.push(v);
    return out;
  }
  const d = finitePorts(c.dport, MAX_INDEXED_PORTS);
  if (!c.bidir || d === null) return d;
  const s = finitePorts(c.sport, MAX_INDEXED_PORTS);
  return s === null ? null : [...new Set([...d, ...s])];
}

export class RuleIndex {
  readonly #protos = new Map<string, ProtoIndex>();
  readonly #ip: CompiledRule[] = [];
  /** For protocols no rule names: no keyed lists, the `ip` rules as the rest. */
  readonly #ipOnly = new ProtoIndex();
  /** The protocol looked up last and its index: consecutive packets mostly share one. */
  #lastProto = '';
  #lastIndex: ProtoIndex;

  constructor(rules: readonly CompiledRule[]) {
    for (const r of rules) {
      if (r.cond.proto === 'ip') {
        this.#ip.push(r);
        continue;
      }
      let pi = this.#protos.get(r.cond.proto);
      if (pi === undefined) this.#protos.set(r.cond.proto, (pi = new ProtoIndex()));
      pi.add(r);
    }
    for (const pi of this.#protos.values()) pi.finish(this.#ip);
    this.#ipOnly.finish(this.#ip);
    this.#lastIndex = this.#ipOnly;
  }

  /** The lists of packets of protocol `proto` (a protocol no rule names has the `ip` rules alone). */
  lists(proto: string): ProtoIndex {
    if (proto !== this.#lastProto) {
      this.#lastIndex = this.#protos.get(proto) ?? this.#ipOnly;
      this.#lastProto = proto;
    }
    return this.#lastIndex;
  }

  /** The index of one protocol's rules (undefined: no rule names it; only `ip` rules apply). */
  proto(proto: string): ProtoIndex | undefined {
    return this.#protos.get(proto);
  }

  /** The rules of `proto` indexed under `key` (destination port or ICMP type). */
  keyed(proto: string, key: number): readonly CompiledRule[] {
    return this.#protos.get(proto)?.keyed(key) ?? EMPTY;
  }

  /** The rules of `proto` that take any destination port and name source port `sport`. */
  bySport(proto: string, sport: number): readonly CompiledRule[] {
    return this.#protos.get(proto)?.bySport(sport) ?? EMPTY;
  }

  /** The rules of `proto` that take any port or type. */
  unkeyed(proto: string): readonly CompiledRule[] {
    return this.#protos.get(proto)?.any ?? EMPTY;
  }

  get ip(): readonly CompiledRule[] {
    return this.#ip;
  }
}
