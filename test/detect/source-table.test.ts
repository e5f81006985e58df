/**
 * SourceTable (the tracker's index of sources) behaves as the Map it
 * replaced: the same sources under the same keys, walked in first-seen
 * order, deletable while walked; IPv4 keys (0.0.0.0 and 255.255.255.255
 * included) in the integer table, the others in a Map.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SourceState } from '../../src/detect/source-state.js';
import { SourceTable } from '../../src/detect/source-table.js';

const source = (key: string): SourceState => new SourceState(key, key.includes(':') ? 6 : 4, key.includes('/'), Date.UTC(2026, 0, 1), false);

const keys = fc.oneof(
  fc.ipV4(),
  fc.constantFrom('0.0.0.0', '255.255.255.255', '10.0.0.1', '10.0.1.0'),
  fc.ipV4().map((a) => `${a.replace(/\.\d+$/, '.0')}/24`),
  fc.constantFrom('2001:db8::1', '2001:db8:1:2::/64', 'fe80::1', '::ffff:192.0.2.1'),
);

describe('SourceTable', () => {
  it('matches a Map under random adds, lookups and deletes (also while walking)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('add', 'delete', 'walk-delete'), keys), { maxLength: 3000 }), (ops) => {
        const t = new SourceTable();
        const m = new Map<string, SourceState>();
        for (const [op, key] of ops) {
          if (op === 'add') {
            if (!m.has(key)) {
              const s = source(key);
              m.set(key, s);
              t.add(s);
            }
          } else if (op === 'delete') {
            expect(t.delete(key)).toBe(m.delete(key));
          } else {
            // Delete every other source while walking, as eviction does.
            let n = 0;
            for (const s of t.values()) if (n++ % 2 === 0) t.delete(s.key);
            n = 0;
            for (const k of [...m.keys()]) if (n++ % 2 === 0) m.delete(k);
          }
          expect(t.size).toBe(m.size);
          expect(t.get(key)).toBe(m.get(key));
        }
        expect([...t.values()]).toEqual([...m.values()]);
        for (const [k, s] of m) expect(t.get(k)).toBe(s);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps 200,000 IPv4 sources findable through growth, deletes and compaction', () => {
    const t = new SourceTable();
    const all: SourceState[] = [];
    for (let i = 0; i < 200_000; i++) {
      const s = source(`${(i * 2654435761) >>> 24}.${((i * 2654435761) >>> 16) & 255}.${((i * 2654435761) >>> 8) & 255}.${(i * 2654435761) & 255}`);
      if (t.get(s.key) !== undefined) continue;
      t.add(s);
      all.push(s);
    }
    for (let i = 0; i < all.length; i += 3) t.delete((all[i] as SourceState).key);
    for (let i = 0; i < 5000; i++) t.add(source(`203.0.${i >> 8}.${i & 255}`.replace(/\.(\d+)$/, (_m, d: string) => `.${Number(d)}`)));
    let n = 0;
    for (let i = 0; i < all.length; i++) {
      const s = all[i] as SourceState;
      expect(t.get(s.key)).toBe(i % 3 === 0 ? undefined : s);
      if (i % 3 !== 0) n++;
    }
    expect(t.size).toBe(n + 5000);
    expect([...t.values()].slice(0, 3)).toEqual([all[1], all[2], all[4]]);
  });
});
