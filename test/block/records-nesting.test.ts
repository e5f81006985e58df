/**
 * The record store finds nested blocks through its prefix index (IPv4 keys
 * as int32, IPv6 as bit strings) instead of parsing every record: whatever
 * the order blocks come and go in, the installed ones never overlap and every
 * other one names a block that contains it, a chain that ends at an installed one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalCidr, covers } from '../../src/actions/block/cidr.js';
import { RecordStore } from '../../src/actions/block/records.js';

const v4 = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 32 })).map(([a, b, c, len]) => `${a === 0 ? 200 : a === 1 ? 10 : a === 2 ? 128 : 255}.${b}.${c}.${b ^ c}/${len}`);
const v6 = fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 128 })).map(([a, b, len]) => `2001:db8:${a.toString(16)}:${b.toString(16)}::${(a ^ b).toString(16)}/${len}`);

function check(store: RecordStore): void {
  const all = [...store.values()];
  const installed = all.filter((r) => r.coveredBy === null);
  const parsed = (c: string) => canonicalCidr(c)!.cidr;
  for (const a of installed) for (const b of installed) if (a !== b) expect(covers(parsed(a.cidr), parsed(b.cidr)), `${a.cidr} and ${b.cidr} both installed`).toBe(false);
  for (const r of all) {
    // coveredBy names a block that contains it; the chain of them ends at an installed one.
    let up = r;
    for (let hops = 0; up.coveredBy !== null; hops++) {
      const outer = store.get(up.coveredBy);
      expect(outer, `${up.cidr} covered by ${up.coveredBy}, which is gone`).toBeDefined();
      expect(covers(parsed(up.coveredBy), parsed(up.cidr))).toBe(true);
      expect(hops).toBeLessThan(all.length);
      up = outer!;
    }
  }
}

describe('nested blocks in the record store', () => {
  it('keeps installed blocks disjoint and covered ones inside an installed one, over any order of puts and drops', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(v4, v6), { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 20 }), (cidrs, drops) => {
        const store = new RecordStore();
        const texts: string[] = [];
        for (const c of cidrs) {
          const text = canonicalCidr(c)!.text;
          store.put({ cidr: text, createdAt: 0, expiresAt: null, reason: '', dl: null, manual: false });
          texts.push(text);
          check(store);
        }
        for (const d of drops) {
          store.drop([texts[d % texts.length] as string]);
          check(store);
        }
      }),
      { numRuns: 300 },
    );
  });
});
