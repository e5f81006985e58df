/**
 * The direct /64 key of an IPv6 source (source-key.ts prefix64) is the text
 * prefixOf() writes, for every way an address can be written; what it does
 * not take (dotted tails, zones, malformed text) it leaves to prefixOf.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { prefix64, SourceKeys } from '../../src/detect/source-key.js';
import { prefixOf } from '../../src/net/address.js';

/** Another way to write the same address: upper case, or leading zeros in its groups. */
const variants = (a: string): string[] => [a, a.toUpperCase(), a.split(':').map((g) => (g === '' || g.includes('.') ? g : g.padStart(4, '0'))).join(':')];

describe('prefix64', () => {
  test('equals prefixOf(addr, 64) for any IPv6 address in any spelling', () => {
    fc.assert(fc.property(fc.ipV6(), (a) => {
      for (const v of variants(a)) {
        const fast = prefix64(v);
        if (fast !== null) expect(fast).toBe(prefixOf(v, 64));
        else expect(v.includes('.')).toBe(true);
      }
    }), { numRuns: 3000 });
  });

  test('edge forms', () => {
    for (const a of ['::', '::1', '1::', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8', '0:0:0:0:1::', '0:0:1::', '2001:db8:0:0:1::', 'fe80::1', '2001:0:0:1::', '0:1:0:1::', '1:0:0:0:1::']) {
      expect(prefix64(a)).toBe(prefixOf(a, 64));
    }
  });

  test('malformed text is left to prefixOf (which keeps it as it is)', () => {
    for (const a of [':', ':::', '1:::2', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', 'g::1', '::ffff:192.0.2.1', 'fe80::1%eth0', '1:2:3:4:5:6:7:8::', ':1:2:3:4:5:6:7', '1:2:3:4:5:6:7:']) {
      expect(prefix64(a)).toBeNull();
    }
    fc.assert(fc.property(fc.array(fc.constantFrom('0', '1', 'a', 'F', ':', ':', '.'), { maxLength: 40 }).map((c) => c.join('')), (a) => {
      const fast = prefix64(a);
      if (fast !== null) expect(fast).toBe(prefixOf(a, 64));
    }), { numRuns: 5000 });
  });

  test('the tracker keys IPv6 sources by /64 as before, link-local and unique-local ones by address', () => {
    const keys = new SourceKeys(32, 64);
    expect(keys.keyOf('2001:db8:1:2:3:4:5:6', 6)).toBe('2001:db8:1:2::/64');
    expect(keys.keyOf('2001:DB8:0:0:3::6', 6)).toBe('2001:db8::/64');
    expect(keys.keyOf('fe80::1', 6)).toBe('fe80::1');
    expect(keys.keyOf('fd00:1::1', 6)).toBe('fd00:1::1');
    expect(keys.keyOf('::ffff:192.0.2.1', 6)).toBe(prefixOf('::ffff:192.0.2.1', 64));
    expect(new SourceKeys(32, 48).keyOf('2001:db8:1:2::5', 6)).toBe('2001:db8:1::/48');
  });
});
