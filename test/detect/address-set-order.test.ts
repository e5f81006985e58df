/**
 * AddressSet keeps IPv4 addresses in a typed list and IPv6 ones apart with
 * their places: against a Set of the texts, random mixes (0.0.0.0, IPv6,
 * repeats, thousands of addresses past several doublings) give the same
 * answers, size and insertion order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AddressSet } from '../../src/detect/address-set.js';

const address = fc.oneof(
  fc.integer({ min: 0, max: 3000 }).map((i) => `10.${i >> 8}.${i & 255}.1`),
  fc.ipV4(),
  fc.constantFrom('0.0.0.0', '255.255.255.255', '2001:db8::1', '2001:db8::2', 'fe80::1'),
  fc.integer({ min: 0, max: 50 }).map((i) => `2001:db8:${i.toString(16)}::5`),
);

describe('AddressSet order', () => {
  it('answers as a Set of the texts, in insertion order', () => {
    fc.assert(
      fc.property(fc.array(address, { maxLength: 4000 }), (list) => {
        const s = new AddressSet();
        const ref = new Set<string>();
        for (const a of list) {
          expect(s.add(a)).toBe(!ref.has(a));
          ref.add(a);
          expect(s.size).toBe(ref.size);
        }
        expect(s.values()).toEqual([...ref]);
      }),
      { numRuns: 60 },
    );
  });
});
