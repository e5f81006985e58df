/** The per-packet cost of matching stays flat from 200 to 10,000 rules (the index works). */
import { expect, test } from 'vitest';
import { benchSignatures } from '../../src/bench/signatures-bench.js';

test('matching cost per packet does not grow with the number of rules', () => {
  const [small, large] = benchSignatures([200, 10_000], 50_000, 5);
  console.log(`signatures bench: ${small?.rules} rules ${small?.nsPerPacket.toFixed(0)} ns/packet; ${large?.rules} rules ${large?.nsPerPacket.toFixed(0)} ns/packet`);
  expect(small?.rules).toBe(200);
  expect(large?.rules).toBe(10_000);
  // Brute force would be ~50x slower at 10,000 rules; allow noise from a shared machine.
  expect((large?.nsPerPacket as number) / (small?.nsPerPacket as number)).toBeLessThan(3);
}, 120_000);
