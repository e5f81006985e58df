/**
 * IGNORE_PORTS and IGNORE_PROTOCOLS compiled into lookup tables, so the
 * per-packet check is one array read.
 */
import { protocolNumber } from '../config/keys/detect.js';

/** Destination ports to ignore, per protocol number (tcp, udp, udplite, sctp). */
export class PortIgnoreTable {
  readonly #byProto = new Map<number, Uint8Array>();

  constructor(specs: readonly string[]) {
    for (const spec of specs) {
      const m = /^([A-Za-z]+)\/(\d+)(?:-(\d+))?$/.exec(spec);
      const proto = m === null ? undefined : protocolNumber(m[1] as string);
      if (m === null || proto === undefined) throw new Error(`IGNORE_PORTS: "${spec}" is not PROTO/PORT[-PORT]`);
      const lo = Number(m[2]);
      const hi = m[3] === undefined ? lo : Number(m[3]);
      let bits = this.#byProto.get(proto);
      if (bits === undefined) {
        bits = new Uint8Array(65536);
        this.#byProto.set(proto, bits);
      }
      bits.fill(1, lo, Math.min(hi, 65535) + 1);
    }
  }

  get empty(): boolean {
    return this.#byProto.size === 0;
  }

  has(protoNum: number, dport: number): boolean {
    const bits = this.#byProto.get(protoNum);
    return bits !== undefined && dport >= 0 && bits[dport] === 1;
  }
}

/** Protocol numbers from names or numbers; throws on an unknown name (a configuration error). */
export function protocolSet(items: readonly string[]): Uint8Array | null {
  if (items.length === 0) return null;
  const set = new Uint8Array(256);
  for (const item of items) {
    const n = protocolNumber(item);
    if (n === undefined) throw new Error(`IGNORE_PROTOCOLS: unknown protocol "${item}"`);
    set[n] = 1;
  }
  return set;
}
