import { PortSet } from './port-set.js';

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

  constructor(readonly name: string, readonly num: number, readonly hasPorts: boolean) {
    super();
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
