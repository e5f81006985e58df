/**
 * What is kept per destination of a source while it stays in the window:
 * the counters psad's ladders read (packets, port spread, protocols) and the
 * flags the sweep label needs.
 *
 * Flags are bits of one field (`bits`): every source embeds its first
 * destination (destination-table.ts), so with a million sources each field
 * costs 8 MB. The table and the source keep their own flags in the bits
 * above DESTINATION_BITS.
 */
const QUALIFIED = 1;
const PINGED = 2;
const LIKE = 4;
/** The bits DestinationState uses; subclasses use the bits above, up to bit 21. */
export const DESTINATION_BITS = 3;
/** proto0 + 1 in bits 22-30 of `bits` (one field less per source). */
const PROTO0_SHIFT = 22;
const PROTO0_MASK = 511 << PROTO0_SHIFT;

export class DestinationState {
  /** Packets to this destination (named apart from the source's own `packets`). */
  dstPackets = 0;
  /** Lowest / highest TCP, UDP or UDP-Lite destination port; max 0 = none seen (psad's e_port). */
  portMin = 65536;
  portMax = 0;
  protoBits: Int32Array | null = null;
  dstSeen = 0;
  /** Flag bits of this object and its subclasses (see above). */
  bits = 0;

  /** The first protocol number seen, -1 before any. */
  get proto0(): number {
    return ((this.bits & PROTO0_MASK) >>> PROTO0_SHIFT) - 1;
  }

  set proto0(v: number) {
    this.bits = (this.bits & ~PROTO0_MASK) | (((v + 1) & 511) << PROTO0_SHIFT);
  }

  /** Distinct protocols seen (proto0 and the bits: counted, not kept, as every source embeds one of these). */
  get protocols(): number {
    let n = this.proto0 >= 0 ? 1 : 0;
    const bits = this.protoBits;
    if (bits !== null) for (let i = 0; i < bits.length; i++) for (let x = bits[i]!; x !== 0; x &= x - 1) n++;
    return n;
  }

  /** Qualified on its own counters (port spread or protocols); counted once in the table. */
  get qualified(): boolean {
    return (this.bits & QUALIFIED) !== 0;
  }

  set qualified(v: boolean) {
    this.bits = v ? this.bits | QUALIFIED : this.bits & ~QUALIFIED;
  }

  /** Received an ICMP echo-style probe. */
  get pinged(): boolean {
    return (this.bits & PINGED) !== 0;
  }

  set pinged(v: boolean) {
    this.bits = v ? this.bits | PINGED : this.bits & ~PINGED;
  }

  /** Sweep-like: probed on a single port (spread == PORT_RANGE_SWEEP_THRESHOLD) or pinged. */
  get like(): boolean {
    return (this.bits & LIKE) !== 0;
  }

  set like(v: boolean) {
    this.bits = v ? this.bits | LIKE : this.bits & ~LIKE;
  }

  /** Back to a fresh state (the table reuses itself as its first destination). */
  clearDestination(): void {
    this.dstPackets = this.portMax = 0;
    this.portMin = 65536;
    this.proto0 = -1;
    this.protoBits = null;
    this.dstSeen = 0;
    this.bits &= ~(QUALIFIED | PINGED | LIKE);
  }

  /** Records a protocol number; true when new for this destination. */
  addProtocol(n: number): boolean {
    if (n === this.proto0) return false;
    if (this.proto0 < 0) {
      this.proto0 = n;
      return true;
    }
    let bits = this.protoBits;
    if (bits === null) bits = this.protoBits = new Int32Array(8);
    const m = 1 << (n & 31);
    if ((bits[n >>> 5]! & m) !== 0) return false;
    bits[n >>> 5] = bits[n >>> 5]! | m;
    return true;
  }
}
