/**
 * LruCache against a model (an array in recency order) under random gets,
 * sets and deletes: the same keys survive, in the same order of eviction.
 * The cache keeps one iterator across evictions; this checks it never
 * evicts anything but the least recently used key.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LruCache } from '../../src/enrich/lru-cache.js';

type Op = { op: 'get' | 'set' | 'delete' | 'clear'; key: number };

describe('LruCache', () => {
  it('evicts exactly the least recently used key (model check)', () => {
    const op = fc.record({ op: fc.constantFrom('get', 'get', 'set', 'set', 'set', 'delete', 'clear'), key: fc.integer({ min: 0, max: 40 }) }) as fc.Arbitrary<Op>;
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 400 }), (max, ops) => {
      const cache = new LruCache<number, number>(max);
      let model: number[] = []; // least recent first
      for (const { op: o, key } of ops) {
        if (o === 'get') {
          const hit = model.includes(key);
          expect(cache.get(key)).toBe(hit ? key * 10 : undefined);
          if (hit) model = [...model.filter((k) => k !== key), key];
        } else if (o === 'set') {
          cache.set(key, key * 10);
          model = [...model.filter((k) => k !== key), key];
          if (model.length > max) model.shift();
        } else if (o === 'delete') {
          cache.delete(key);
          model = model.filter((k) => k !== key);
        } else {
          cache.clear();
          model = [];
        }
        expect(cache.size).toBe(model.length);
      }
      for (let k = 0; k <= 40; k++) expect(cache.get(k) !== undefined).toBe(model.includes(k));
    }), { numRuns: 300 });
  });
});
