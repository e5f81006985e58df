/**
 * A bounded least-recently-used cache on top of Map's insertion order: a hit
 * moves the key to the end, an insert beyond the bound evicts the oldest key.
 * Used for per-address GeoIP and reverse-DNS results so that memory stays
 * bounded however many sources a daemon sees.
 *
 * The oldest key is found with one live iterator kept across evictions: a
 * fresh `keys()` iterator starts at the front of V8's table and steps over
 * every entry deleted since the table was last compacted, which made each
 * eviction cost ~20 us once the cache was full (a report of a million
 * distinct sources spent most of its time there). Everything before the
 * kept iterator has been evicted, so its next key is the oldest.
 */
export class LruCache<K, V> {
  readonly #max: number;
  readonly #map = new Map<K, V>();
  #oldest: Iterator<K> = this.#map.keys();

  constructor(max: number) {
    this.#max = Math.max(1, Math.floor(max));
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  set(key: K, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#max) {
      let oldest = this.#oldest.next();
      if (oldest.done === true) {
        this.#oldest = this.#map.keys();
        oldest = this.#oldest.next();
      }
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
    this.#oldest = this.#map.keys();
  }
}
