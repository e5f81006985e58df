/**
 * The rule index keeps the work per packet flat from 200 to 10,000 rules:
 * the number of candidate rules a packet is checked against (explain() lists
 * exactly the rules match() tries) barely grows, where brute force would try
 * all 10,000. Counts, not time: the ns/packet figures are in `npm run bench`.
 */
import { expect, test } from 'vitest';
import { benchPackets, benchRuleSources } from '../../src/bench/signatures-bench.js';
import { defaultConfig } from '../../src/config/load.js';
import { buildRules } from '../../src/signatures/build-rules.js';
import { SignatureSet } from '../../src/signatures/signature-set.js';
import { varsFromConfig } from '../../src/signatures/vars.js';

function meanCandidates(size: number, packets: ReturnType<typeof benchPackets>): { rules: number; mean: number } {
  const { rules } = buildRules(benchRuleSources(size), varsFromConfig(defaultConfig()), new Map());
  const set = new SignatureSet(rules);
  let n = 0;
  for (const p of packets) n += set.explain(p).length;
  return { rules: set.size, mean: n / packets.length };
}

test('candidate rules per packet do not grow with the number of rules', () => {
  const packets = benchPackets(4096);
  const small = meanCandidates(200, packets);
  const large = meanCandidates(10_000, packets);
  console.log(`signatures: ${small.rules} rules ${small.mean.toFixed(1)} candidates/packet; ${large.rules} rules ${large.mean.toFixed(1)} candidates/packet`);
  expect(small.rules).toBe(200);
  expect(large.rules).toBe(10_000);
  // 50 times the rules; the generated ones are keyed by port, so a packet meets only a few more.
  expect(large.mean).toBeLessThan(small.mean + 5);
  expect(large.mean).toBeLessThan(large.rules / 100);
}, 120_000);
