/**
 * Evidence waiting to be sent, merged per source: while Redis is away a busy
 * source costs one entry however many batches mention it, so the queue only
 * overflows when more distinct sources than FLEET_QUEUE_MAX are pending; then
 * the least recently updated source is dropped and counted.
 */
import { normalizeAddress } from '../net/address.js';
import { canonicalCidrText } from './validate.js';

/** What the daemon publishes for one source (this sensor's view, absolute figures). */
export interface EvidenceItem {
  /** Address or aggregated prefix, as the detect stage reports it. */
  src: string;
  /** Destinations reached (all, or those new since the last publish: re-sending is harmless). */
  dsts: readonly string[];
  /** Destination ports as `tcp/22`, `udp/53`, `sctp/9` (optional). */
  ports?: readonly string[];
  /** This sensor's packet count for the source (a total, not an increment). */
  packets: number;
  /** This sensor's danger level for the source (0-5). */
  dl: number;
  /** This sensor's distinct destination count (defaults to dsts.length). */
  destinations?: number;
  signatures?: ReadonlyArray<{ sid: number; hits: number }>;
  /** Epoch ms of the last packet (defaults to now). */
  lastSeen?: number;
}

export interface PendingEvidence {
  src: string;
  dsts: Set<string>;
  ports: Set<string>;
  packets: number;
  dl: number;
  destinations: number;
  sigs: Map<number, number>;
  lastSeen: number;
}

/** Destinations or ports kept per source between two sends. */
export const MAX_SET = 1000;
/** Signatures kept per source in the shared figures. */
export const MAX_SIGS = 16;

const PORT = /^[a-z0-9]{1,8}\/\d{1,5}$/;

export class EvidenceQueue {
  readonly #items = new Map<string, PendingEvidence>();
  dropped = 0;
  invalid = 0;
  truncated = 0;

  constructor(readonly max: number) {}

  get size(): number {
    return this.#items.size;
  }

  /** Merges a new item in (its figures replace older ones; sets are unioned). */
  add(item: EvidenceItem, now: number): void {
    if (canonicalCidrText(item.src) === null || !(item.dl >= 0 && item.dl <= 5)) {
      this.invalid++;
      return;
    }
    const p = this.#take(item.src) ?? this.#empty(item.src);
    this.#union(p.dsts, item.dsts, (d) => normalizeAddress(d) === d);
    this.#union(p.ports, item.ports ?? [], (x) => PORT.test(x));
    p.packets = Math.max(0, Math.floor(item.packets));
    p.dl = Math.floor(item.dl);
    p.destinations = Math.max(0, Math.floor(item.destinations ?? Math.max(p.destinations, item.dsts.length)));
    p.lastSeen = item.lastSeen ?? now;
    for (const s of item.signatures ?? []) if (Number.isSafeInteger(s.sid) && s.hits > 0) p.sigs.set(s.sid, Math.floor(s.hits));
    this.#put(p);
  }

  /**
   * One packet's worth, for a per-packet hook: no arrays allocated. `port` is
   * `tcp/22` or null; the figures are this sensor's current totals.
   */
  note(src: string, dst: string, port: string | null, packets: number, dl: number, destinations: number, lastSeen: number): void {
    let p = this.#items.get(src);
    if (p === undefined) {
      if (canonicalCidrText(src) === null) {
        this.invalid++;
        return;
      }
      p = this.#empty(src);
      this.#put(p);
    }
    if (!p.dsts.has(dst)) this.#union(p.dsts, [dst], (d) => normalizeAddress(d) === d);
    if (port !== null && !p.ports.has(port)) this.#union(p.ports, [port], (x) => PORT.test(x));
    p.packets = packets;
    p.dl = dl >= 0 && dl <= 5 ? dl : p.dl;
    p.destinations = destinations;
    p.lastSeen = lastSeen;
  }

  /** Everything waiting, oldest first, as items add() takes back (saved with the daemon state). */
  items(): EvidenceItem[] {
    return [...this.#items.values()].map((p) => ({ src: p.src, dsts: [...p.dsts], ports: [...p.ports], packets: p.packets, dl: p.dl, destinations: p.destinations, signatures: [...p.sigs].map(([sid, hits]) => ({ sid, hits })), lastSeen: p.lastSeen }));
  }

  /** Removes and returns up to `n` of the oldest entries. */
  take(n: number): PendingEvidence[] {
    const out: PendingEvidence[] = [];
    for (const [k, v] of this.#items) {
      if (out.length >= n) break;
      out.push(v);
      this.#items.delete(k);
    }
    return out;
  }

  /** Puts back entries whose send failed; anything queued for the source since is newer and wins. */
  putBack(items: readonly PendingEvidence[]): void {
    for (const old of items) {
      const cur = this.#items.get(old.src);
      if (cur === undefined) {
        this.#put(old);
        continue;
      }
      this.#union(cur.dsts, old.dsts, () => true);
      this.#union(cur.ports, old.ports, () => true);
      for (const [sid, hits] of old.sigs) if (!cur.sigs.has(sid)) cur.sigs.set(sid, hits);
    }
  }

  #take(src: string): PendingEvidence | undefined {
    const p = this.#items.get(src);
    if (p !== undefined) this.#items.delete(src); // re-inserted last: most recently updated
    return p;
  }

  #put(p: PendingEvidence): void {
    this.#items.set(p.src, p);
    while (this.#items.size > this.max) {
      this.#items.delete(this.#items.keys().next().value as string);
      this.dropped++;
    }
  }

  #empty(src: string): PendingEvidence {
    return { src, dsts: new Set(), ports: new Set(), packets: 0, dl: 0, destinations: 0, sigs: new Map(), lastSeen: 0 };
  }

  #union(into: Set<string>, from: Iterable<string>, ok: (s: string) => boolean): void {
    for (const x of from) {
      if (into.has(x)) continue;
      if (into.size >= MAX_SET) {
        this.truncated++;
        return;
      }
      if (ok(x)) into.add(x);
      else this.invalid++;
    }
  }
}

function strings(v: unknown): string[] | null {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
}

function count(v: unknown): number | null {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
}

/**
 * An item saved by items() before a restart, in the shape add() takes (which
 * then checks addresses, ports and levels); null when the shape is wrong.
 */
export function savedEvidence(v: unknown): EvidenceItem | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const dsts = strings(o.dsts);
  const ports = strings(o.ports ?? []);
  const packets = count(o.packets);
  const dl = count(o.dl);
  const destinations = count(o.destinations);
  const lastSeen = count(o.lastSeen);
  if (typeof o.src !== 'string' || dsts === null || ports === null || packets === null || dl === null || destinations === null || lastSeen === null) return null;
  const sigs = Array.isArray(o.signatures) ? o.signatures : [];
  const signatures = sigs.flatMap((s: unknown) => {
    const sid = count((s as { sid?: unknown } | null)?.sid);
    const hits = count((s as { hits?: unknown } | null)?.hits);
    return sid === null || hits === null ? [] : [{ sid, hits }];
  });
  return { src: o.src, dsts, ports, packets, dl, destinations, signatures, lastSeen };
}

/** This sensor's figures for a source as stored in Redis (a small JSON object). */
export function detailJson(p: PendingEvidence): string {
  const sigs = [...p.sigs].sort((a, b) => b[1] - a[1]).slice(0, MAX_SIGS);
  // Whole milliseconds: ulogd's time stamps carry microseconds, which readers reject.
  return JSON.stringify({ t: Math.floor(p.lastSeen), p: p.packets, dl: p.dl, n: p.destinations, s: sigs });
}
