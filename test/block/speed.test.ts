/**
 * The blocking bench's work, checked for correctness on the real nftables in
 * a namespace (src/bench/block-bench.ts): 100,000 blocks load in one
 * transaction, a saved blocks.json of them is restored the way a daemon
 * restart does it and they are all in the kernel afterwards, and
 * each single block is in the kernel set when block() resolves (the bench
 * looks each one up with `nft get element`, which fails otherwise). How long
 * that takes is a figure of `npm run bench`, never asserted here: a busy
 * machine must not fail a test.
 */
import { describe, expect, it } from 'vitest';
import { runBlockBench } from '../../src/bench/block-bench.js';
import { netnsAvailable } from './netns.js';

const ok = await netnsAvailable();

describe.skipIf(!ok)('blocking at scale (nftables, namespace)', () => {
  it('loads 100,000 blocks in one transaction, restores them, and each single block is in the kernel when block() resolves', async () => {
    const r = await runBlockBench(`blkspeed${process.pid}`, { count: 100_000, samples: 5, loadRuns: 1 });
    expect(r.count).toBe(100_000);
    // Counted after the restart path (blocks.json -> fromJSON -> reconcile): every saved block is in the kernel.
    expect(r.loaded).toBe(100_000);
    expect(r.sampled.found).toBe(r.sampled.checked);
    expect(r.loadRunsMs).toHaveLength(1);
    expect(r.samples).toBe(5);
  }, 240_000);

  it('loads and restores 100,000 blocks through ipset restore the same way', async () => {
    const r = await runBlockBench(`blkspeedi${process.pid}`, { count: 100_000, samples: 3, loadRuns: 1, backend: 'ipset' });
    expect(r.loaded).toBe(100_000);
    expect(r.sampled.found).toBe(r.sampled.checked);
  }, 240_000);
});
