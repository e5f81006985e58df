/**
 * The Redis key layout (documented in tsad-fleet-notes.txt). Per-source keys
 * carry the source in a hash tag, `tsad:{198.51.100.7}:...`, so a Redis
 * Cluster keeps one source's evidence in one slot (scripts touch them
 * together) and spreads sources over the shards. The shared blocks share the
 * tag `{blocks}` for the same reason.
 */

/** Evidence buckets per window: destinations age out in steps of a quarter window. */
export const BUCKETS = 4;

export class FleetKeys {
  constructor(readonly prefix: string) {}

  /** Distinct destinations of `src` reached in time bucket `b` (HyperLogLog). */
  dsts(src: string, b: number): string {
    return `${this.prefix}:{${src}}:d:${b}`;
  }

  /** Distinct protocol/port pairs of `src` in bucket `b` (HyperLogLog). */
  ports(src: string, b: number): string {
    return `${this.prefix}:{${src}}:p:${b}`;
  }

  /** Sensors that saw `src`: sorted set, score = last publish (epoch ms). */
  seen(src: string): string {
    return `${this.prefix}:{${src}}:seen`;
  }

  /** Each sensor's own figures for `src`: hash, sensor -> JSON. */
  by(src: string): string {
    return `${this.prefix}:{${src}}:by`;
  }

  /** Sources with a fleet level: sorted set, score = level * 1e13 + last update ms. */
  get levels(): string {
    return `${this.prefix}:levels`;
  }

  /** Pub/Sub channel announcing fleet level rises (JSON), so every sensor that saw the source learns it. */
  get rises(): string {
    return `${this.prefix}:rises`;
  }

  /** Heartbeats: hash, sensor -> JSON (last seen, stream position, counters). */
  get sensors(): string {
    return `${this.prefix}:sensors`;
  }

  /** The decision stream. */
  get log(): string {
    return `${this.prefix}:{blocks}:log`;
  }

  /** Live shared blocks: sorted set, score = expiry (epoch ms; PERMANENT for none). */
  get live(): string {
    return `${this.prefix}:{blocks}:live`;
  }

  /** Details of each live block: hash, cidr -> JSON of the decision that made it. */
  get info(): string {
    return `${this.prefix}:{blocks}:info`;
  }

  /** Decision ids seen in the last day: sorted set, score = time; makes a re-sent decision a no-op. */
  get ids(): string {
    return `${this.prefix}:{blocks}:ids`;
  }
}

/** The keys of every bucket that overlaps the window ending in bucket `b` (newest first). */
export function windowBuckets(b: number): number[] {
  const out: number[] = [];
  for (let i = 0; i <= BUCKETS; i++) out.push(b - i);
  return out;
}

/** Score of a block without expiry: the last representable Date (year 275760). */
export const PERMANENT = 8_640_000_000_000_000;

/** Score of the levels index: level first, then recency. */
export const LEVEL_SCALE = 1e13;
