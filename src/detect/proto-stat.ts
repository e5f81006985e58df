import { PortSet } from './port-set.js';

/** A protocol as its records name it. */
export class ProtoInfo {
  constructor(readonly name: string, readonly num: number, readonly hasPorts: boolean) {}
}

/** The last info made per protocol number and hasPorts (a protocol has one name but for odd input). */
const infos: Array<ProtoInfo | undefined> = [];

export function protoInfo(name: string, num: number, hasPorts: boolean): ProtoInfo {
  const i = num >= 0 && num < 256 ? num * 2 + (hasPorts ? 1 : 0) : -1;
  const had = i >= 0 ? infos[i] : undefined;
  if (had !== undefined && had.name === name) return had;
  const made = new ProtoInfo(name, num, hasPorts);
  if (i >= 0) infos[i] = made;
  return made;
}

/**
 * One protocol of one source: packets, destination ports (the PortSet it
 * extends, so one object per protocol) and packet kinds (TCP flag bits, or
 * ICMP type * 256 + code; the first kind inline, the rest in a Map).
 */
export class ProtoStat extends PortSet {
  packets = 0;
  #k0 = -1;
  #n0 = 0;
  #more: Map<number, number> | null = null;
  /** Name, number and whether ports count: shared by the records of a protocol (one field, not three, per record). */
  readonly #info: ProtoInfo;

  constructor(name: string, num: number, hasPorts: boolean) {
    super();
    this.#info = protoInfo(name, num, hasPorts);
  }

  get name(): string {
    return this.#info.name;
  }

  get num(): number {
    return this.#info.num;
  }

  get hasPorts(): boolean {
    return this.#info.hasPorts;
  }

  addKind(k: number): void {
    if (k === this.#k0 || this.#k0 < 0) {
      this.#k0 = k;
      this.#n0++;
      return;
    }
    const m = (this.#more ??= new Map());
    m.set(k, (m.get(k) ?? 0) + 1);
  }

  /** Replaces the kind counters with `pairs` as kinds() gives them (state/proto-codec.ts). */
  restoreKinds(pairs: ReadonlyArray<readonly [number, number]>): void {
    const first = pairs[0];
    this.#k0 = first === undefined ? -1 : first[0];
    this.#n0 = first === undefined ? 0 : first[1];
    this.#more = pairs.length > 1 ? new Map(pairs.slice(1).map(([k, n]) => [k, n])) : null;
  }

  /** [kind, packets] pairs. */
  kinds(): Array<[number, number]> {
    const out: Array<[number, number]> = this.#k0 < 0 ? [] : [[this.#k0, this.#n0]];
    if (this.#more !== null) out.push(...this.#more);
    return out;
  }
}
