import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PortSet } from '../../src/detect/port-set.js';

/** The obvious rendering: sort, merge neighbours. */
function naive(ports: number[], limit: number): string {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.length > limit ? `${parts.slice(0, limit).join(',')},...` : parts.join(',');
}

describe('PortSet.toString()', () => {
  it('equals the naive rendering in range and bitmap modes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 65535 }), { maxLength: 600 }), fc.integer({ min: 1, max: 80 }), (ports, limit) => {
        const set = new PortSet();
        for (const p of ports) set.add(p);
        expect(set.toString(limit)).toBe(naive(ports, limit));
      }),
      { numRuns: 300 },
    );
  });

  it('renders a wide sparse set (bitmap form) correctly', () => {
    const set = new PortSet();
    const ports: number[] = [];
    for (let p = 0; p < 65536; p += 97) {
      set.add(p);
      ports.push(p);
    }
    expect(set.toString(3)).toBe('0,97,194,...');
    expect(set.toString(ports.length)).toBe(naive(ports, ports.length));
  });
});
