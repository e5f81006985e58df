/**
 * Per-packet values several checks need, computed at most once per packet
 * into reusable storage (a SignatureSet owns one context; nothing allocates).
 */
import type { Packet } from '../model/packet.js';
import { ScratchAddress } from './address-set.js';
import { payloadSize } from './payload-size.js';

export class MatchContext {
  readonly src = new ScratchAddress();
  readonly dst = new ScratchAddress();
  #packet: Packet | null = null;
  #addresses = false;
  #dsize = -2;

  reset(p: Packet): void {
    this.#packet = p;
    this.#addresses = false;
    this.#dsize = -2;
  }

  /** Decodes both addresses on first use. */
  addresses(): void {
    if (this.#addresses || this.#packet === null) return;
    this.src.load(this.#packet.src);
    this.dst.load(this.#packet.dst);
    this.#addresses = true;
  }

  dsize(): number {
    if (this.#dsize === -2 && this.#packet !== null) this.#dsize = payloadSize(this.#packet);
    return this.#dsize;
  }
}
