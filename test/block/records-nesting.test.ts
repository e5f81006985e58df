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

function check(store: RecordStore, queries: readonly string[] = []): void {
  const all = [...store.values()];
  const installed = all.filter((r) => r.coveredBy === null);
  const parsed = (c: string) => canonicalCidr(c)!.cidr;
  // The lookups the restore and the never-block rules use agree with a scan of every installed block (IPv4 addresses are found through their records, not the index).
  for (const q of queries) {
    const pq = parsed(q);
    const want = installed.filter((a) => covers(parsed(a.cidr), pq) || covers(pq, parsed(a.cidr))).map((a) => a.cidr);
    expect(store.overlapping(pq).sort(), `overlapping ${q}`).toEqual(want.sort());
    expect(store.covered(pq), `covered ${q}`).toBe(installed.some((a) => covers(parsed(a.cidr), pq)));
  }
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
      fc.property(fc.array(fc.oneof(v4, v6), { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 20 }), fc.array(fc.oneof(v4, v6), { maxLength: 8 }), (cidrs, drops, queries) => {
        const store = new RecordStore();
        const texts: string[] = [];
        for (const c of cidrs) {
          const text = canonicalCidr(c)!.text;
          store.put({ cidr: text, createdAt: 0, expiresAt: null, reason: '', dl: null, manual: false });
          texts.push(text);
          check(store, queries);
        }
        for (const d of drops) {
          store.drop([texts[d % texts.length] as string]);
          check(store, [...queries, ...texts]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
