/**
 * The blocking bench's work, checked for correctness on the real nftables in
 * a namespace (src/bench/block-bench.ts): 100,000 blocks load in one
 * transaction and are all in the kernel, a saved set of them is restored, and
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
    const r = await runBlockBench(`blkspeed${process.pid}`, 100_000, 5, 1);
    expect(r.count).toBe(100_000);
    expect(r.loaded).toBe(100_000);
    expect(r.loadRunsMs).toHaveLength(1);
    expect(r.samples).toBe(5);
  }, 120_000);
});
