/**
 * Per-packet values several checks need, computed at most once per packet
 * into reusable storage (a SignatureSet owns one context; nothing allocates).
 * Addresses are decoded per side on first use, and not at all when the text
 * equals the previous packet's (scans repeat the source; the destination is
 * usually this host).
 */
import type { Packet } from '../model/packet.js';
import { ScratchAddress } from './address-set.js';
import { payloadSize } from './payload-size.js';

class CachedAddress {
  readonly addr = new ScratchAddress();
  #text = '';

  get(text: string, family: 4 | 6): ScratchAddress {
    if (text !== this.#text) {
      this.addr.load(text, family);
      this.#text = text;
    }
    return this.addr;
  }
}

export class MatchContext {
  readonly #src = new CachedAddress();
  readonly #dst = new CachedAddress();
  #packet: Packet | null = null;
  #dsize = -2;

  reset(p: Packet): void {
    this.#packet = p;
    this.#dsize = -2;
  }

  src(): ScratchAddress {
    const p = this.#packet as Packet;
    return this.#src.get(p.src, p.family);
  }

  dst(): ScratchAddress {
    const p = this.#packet as Packet;
    return this.#dst.get(p.dst, p.family);
  }

  dsize(): number {
    if (this.#dsize === -2 && this.#packet !== null) this.#dsize = payloadSize(this.#packet);
    return this.#dsize;
  }
}
