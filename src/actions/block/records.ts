/**
 * The set of blocks in force, and which of them the firewall carries. Blocks
 * may nest (a /32 inside a blocked /24), but interval sets refuse
 * overlapping elements, so only the outermost block of a nest is installed;
 * the others wait, `coveredBy` pointing at a block that contains them, and
 * are installed again if that one goes first. Every change returns the
 * firewall work it implies; BlockManager carries it out.
 */
import { parseIPv4, type Cidr } from '../../net/address.js';
import { canonicalCidr, isSingleAddress } from './cidr.js';
import { PrefixIndex } from './prefix-index.js';
import type { Family } from './types.js';

export interface BlockRecord {
  cidr: string;
  family: Family;
  /** Epoch ms of the first block (kept when a block is extended). */
  createdAt: number;
  /** Epoch ms; null = until removed. */
  expiresAt: number | null;
  reason: string;
  dl: number | null;
  manual: boolean;
  /** A block containing this one, which the firewall carries instead; null when installed. */
  coveredBy: string | null;
}

export interface RecordChange {
  install: BlockRecord[];
  /** Installed blocks whose timeout changed: the backend must overwrite them. */
  replace: BlockRecord[];
  uninstall: BlockRecord[];
  /** Uninstalled cidrs that must leave the firewall now even if the kernel would expire them (nested blocks take their place). */
  forced: Set<string>;
}

export function emptyChange(): RecordChange {
  return { install: [], replace: [], uninstall: [], forced: new Set() };
}

export type NewRecord = Omit<BlockRecord, 'coveredBy' | 'family'>;

/**
 * Records by cidr: IPv4 single addresses (nearly every block) in a Map on
 * the address as an int32, the rest on their text. A million string keys
 * fresh from blocks.json cost a restart 1.2 s of hashing and probing; int32
 * keys are small integers to V8, hashed for free.
 */
class RecordMap {
  readonly #v4 = new Map<number, BlockRecord>();
  readonly #other = new Map<string, BlockRecord>();

  get size(): number {
    return this.#v4.size + this.#other.size;
  }

  get(cidr: string): BlockRecord | undefined {
    const k = v4Key(cidr);
    return k === null ? this.#other.get(cidr) : this.#v4.get(k);
  }

  /** `c` is `cidr` parsed (saves parsing the text again). */
  set(cidr: string, c: Cidr, rec: BlockRecord): void {
    if (c.family === 4 && c.len === 32) this.#v4.set(int32(c.bytes), rec);
    else this.#other.set(cidr, rec);
  }

  /** The record of `cidr`, `c` being it parsed. */
  find(cidr: string, c: Cidr): BlockRecord | undefined {
    return c.family === 4 && c.len === 32 ? this.#v4.get(int32(c.bytes)) : this.#other.get(cidr);
  }

  delete(cidr: string): void {
    const k = v4Key(cidr);
    if (k === null) this.#other.delete(cidr);
    else this.#v4.delete(k);
  }

  /** The record of IPv4 address `c` (a /32). */
  single4(c: Cidr): BlockRecord | undefined {
    return this.#v4.get(int32(c.bytes));
  }

  /** Records of IPv4 addresses inside IPv4 prefix `c` that the firewall carries. */
  installed4Within(c: Cidr): BlockRecord[] {
    const mask = c.len === 0 ? 0 : -1 << (32 - c.len);
    const net = int32(c.bytes) & mask;
    const out: BlockRecord[] = [];
    for (const [k, r] of this.#v4) if ((k & mask) === net && r.coveredBy === null) out.push(r);
    return out;
  }

  *values(): IterableIterator<BlockRecord> {
    yield* this.#v4.values();
    yield* this.#other.values();
  }

  clear(): void {
    this.#v4.clear();
    this.#other.clear();
  }
}

function int32(b: Uint8Array): number {
  return ((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number);
}

/** The int32 key of an IPv4 address in canonical text (no prefix length, no leading zeros); null for any other cidr. */
function v4Key(cidr: string): number | null {
  const n = cidr.length <= 15 ? parseIPv4(cidr) : null;
  return n === null ? null : n | 0;
}

export class RecordStore {
  readonly #records = new RecordMap();
  /**
   * The installed blocks but IPv4 addresses: an IPv4 address's record is its
   * entry (installed when coveredBy is null), which saves a million index
   * entries at a restore. No parsed prefix is kept per record (a million
   * Cidr objects cost seconds of GC at a restore); the rare paths parse again.
   */
  #installed = new PrefixIndex();
  /** No block expires before this (epoch ms); lets expired() skip the scan. */
  #nextExpiry = Number.POSITIVE_INFINITY;

  get size(): number {
    return this.#records.size;
  }

  get(cidr: string): BlockRecord | undefined {
    return this.#records.get(cidr);
  }

  values(): IterableIterator<BlockRecord> {
    return this.#records.values();
  }

  /**
   * Adds a block or updates the one for the same cidr. `rec.cidr` must be
   * canonical. `outerFirst` promises that no block inside this one was added
   * before (bulk loads sorted by prefix length), which skips a full scan.
   * The firewall work is added to `change` (a fresh one by default).
   * `known` is `rec.cidr` already parsed (a bulk load from saved state, which
   * canonicalized it): it saves parsing a million prefixes twice. It is not
   * kept, so a loader may pass the same scratch Cidr every time.
   * `firstWins` leaves an existing block of the same cidr as it is (a
   * restore: of a cidr saved twice, the first counts).
   */
  put(rec: NewRecord, outerFirst = false, change: RecordChange = emptyChange(), known?: Cidr, firstWins = false): RecordChange {
    const parsed = known !== undefined ? { text: rec.cidr, cidr: known } : canonicalCidr(rec.cidr);
    if (parsed === null || parsed.text !== rec.cidr) throw new Error(`not a canonical cidr: ${rec.cidr}`);
    const existing = this.#records.find(rec.cidr, parsed.cidr);
    if (existing && firstWins) return change;
    if (rec.expiresAt !== null && rec.expiresAt < this.#nextExpiry) this.#nextExpiry = rec.expiresAt;
    if (existing) {
      const timeoutChanged = existing.expiresAt !== rec.expiresAt;
      Object.assign(existing, { expiresAt: rec.expiresAt, reason: rec.reason, dl: rec.dl, manual: rec.manual });
      if (existing.coveredBy === null && timeoutChanged) change.replace.push(existing);
      return change;
    }
    const record: BlockRecord = { cidr: rec.cidr, family: parsed.cidr.family, createdAt: rec.createdAt, expiresAt: rec.expiresAt, reason: rec.reason, dl: rec.dl, manual: rec.manual, coveredBy: null };
    this.#records.set(rec.cidr, parsed.cidr, record);
    const outer = this.#installed.covering(parsed.cidr);
    if (outer !== undefined) {
      record.coveredBy = outer;
      return change;
    }
    if (!outerFirst && !isSingleAddress(parsed.cidr)) {
      for (const inner of this.#inside(parsed.cidr)) {
        const other = this.#records.get(inner) as BlockRecord;
        other.coveredBy = record.cidr;
        this.#installed.delete(cidrOf(inner));
        change.uninstall.push(other);
        change.forced.add(other.cidr);
      }
    }
    if (!single4(parsed.cidr)) this.#installed.add(parsed.cidr, record.cidr);
    change.install.push(record);
    return change;
  }

  /** Removes blocks; nested blocks they carried are installed in their place. */
  drop(cidrs: readonly string[]): RecordChange {
    const change = emptyChange();
    const removed = new Map<string, BlockRecord>();
    for (const c of cidrs) {
      const rec = this.#records.get(c);
      if (!rec) continue;
      removed.set(c, rec);
      this.#records.delete(c);
      if (rec.coveredBy === null) {
        this.#installed.delete(cidrOf(c));
        change.uninstall.push(rec);
      }
    }
    if (removed.size === 0) return change;
    const orphans: BlockRecord[] = [];
    for (const rec of this.#records.values()) {
      if (rec.coveredBy === null || !removed.has(rec.coveredBy)) continue;
      // Climb to the nearest surviving container; none left means the block must be installed.
      let up: string | null = rec.coveredBy;
      while (up !== null && removed.has(up)) up = (removed.get(up) as BlockRecord).coveredBy;
      rec.coveredBy = up;
      if (up === null) orphans.push(rec);
    }
    const parsed = new Map(orphans.map((r) => [r, cidrOf(r.cidr)]));
    orphans.sort((a, b) => (parsed.get(a) as Cidr).len - (parsed.get(b) as Cidr).len);
    for (const rec of orphans) {
      const pc = parsed.get(rec) as Cidr;
      const outer = this.#installed.covering(pc);
      if (outer !== undefined) {
        rec.coveredBy = outer;
        continue;
      }
      if (!single4(pc)) this.#installed.add(pc, rec.cidr);
      change.install.push(rec);
    }
    // The firewall may still hold a container (its kernel timeout rounds up): clear it before the nested ones go in.
    if (change.install.length > 0) for (const rec of change.uninstall) change.forced.add(rec.cidr);
    return change;
  }

  /** Cidrs whose block has run out at `now`. Scans only when the earliest expiry has passed. */
  expired(now: number): string[] {
    const out: string[] = [];
    if (now < this.#nextExpiry) return out;
    let next = Number.POSITIVE_INFINITY;
    for (const r of this.#records.values()) {
      if (r.expiresAt === null) continue;
      if (r.expiresAt <= now) out.push(r.cidr);
      else if (r.expiresAt < next) next = r.expiresAt;
    }
    this.#nextExpiry = next;
    return out;
  }

  /** Is `c` inside (or equal to) an installed block? */
  covered(c: Cidr): boolean {
    return this.#covering(c) !== undefined;
  }

  /** Installed blocks equal to, containing or inside `c` (the nested blocks under them overlap it only through them). */
  overlapping(c: Cidr): string[] {
    const outer = this.#covering(c);
    return outer === undefined ? this.#inside(c) : [outer];
  }

  /** The installed block equal to or containing `c`. */
  #covering(c: Cidr): string | undefined {
    const hit = this.#installed.covering(c);
    if (hit !== undefined || !single4(c)) return hit;
    const r = this.#records.single4(c);
    return r !== undefined && r.coveredBy === null ? r.cidr : undefined;
  }

  /** The installed blocks strictly inside `c`. */
  #inside(c: Cidr): string[] {
    const out = this.#installed.inside(c);
    if (c.family === 4 && c.len < 32) for (const r of this.#records.installed4Within(c)) out.push(r.cidr);
    return out;
  }

  /** Blocks the firewall carries. */
  installed(): BlockRecord[] {
    const out: BlockRecord[] = [];
    for (const r of this.#records.values()) if (r.coveredBy === null) out.push(r);
    return out;
  }

  clear(): BlockRecord[] {
    const installed = this.installed();
    this.#records.clear();
    this.#installed = new PrefixIndex();
    return installed;
  }
}

/** IPv4 addresses are not in the installed index (see RecordStore.#installed). */
function single4(c: Cidr): boolean {
  return c.family === 4 && c.len === 32;
}

/** The prefix of a stored (canonical) cidr. */
function cidrOf(text: string): Cidr {
  return (canonicalCidr(text) as { cidr: Cidr }).cidr;
}
