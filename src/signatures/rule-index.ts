/**
 * Candidate lists so that a packet is tried only against rules that can
 * match it: per protocol, a map from destination port (TCP, UDP, UDPLITE,
 * SCTP) or ICMP type to rules, a map from source port for rules that take
 * any destination port but name source ports (replies of reflection
 * attacks), a list of the rules that take any port or type, and the `ip`
 * rules. A packet looks at four short lists whatever the number of rules.
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
 * array (0: no list), so a lookup is two array reads, not a Map probe.
 */
class KeyedLists {
  readonly #ids: Uint16Array | Uint32Array;
  readonly #lists: Array<readonly CompiledRule[]> = [EMPTY];

  constructor(map: ReadonlyMap<number, CompiledRule[]>) {
    this.#ids = map.size < 0xffff ? new Uint16Array(KEYS) : new Uint32Array(KEYS);
    for (const [key, list] of map) {
      // A key outside 0-65535 (a rule's ICMP type no packet can have) is never looked up.
      if (!(key >= 0 && key < KEYS)) continue;
      this.#ids[key] = this.#lists.length;
      this.#lists.push(list);
    }
  }

  get(key: number): readonly CompiledRule[] {
    return key >= 0 && key < KEYS ? (this.#lists[this.#ids[key] as number] as readonly CompiledRule[]) : EMPTY;
  }
}

/** One protocol's rules: by destination port or ICMP type, by source port, and the rest. */
export class ProtoIndex {
  readonly #byKey = new Map<number, CompiledRule[]>();
  readonly #bySport = new Map<number, CompiledRule[]>();
  readonly any: CompiledRule[] = [];
  #keyed: KeyedLists | null = null;
  #sported: KeyedLists | null = null;

  add(r: CompiledRule): void {
    const keys = keysOf(r.cond);
    if (keys !== null) return addAll(this.#byKey, keys, r);
    const sports = r.cond.ported && !r.cond.bidir ? finitePorts(r.cond.sport, MAX_INDEXED_PORTS) : null;
    if (sports !== null) return addAll(this.#bySport, sports, r);
    this.any.push(r);
  }

  /** Makes the lookup tables once every rule is added. */
  finish(): void {
    this.#keyed = new KeyedLists(this.#byKey);
    this.#sported = new KeyedLists(this.#bySport);
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
    for (const pi of this.#protos.values()) pi.finish();
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
