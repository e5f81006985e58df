/**
 * A feed of 1,000,000 entries (IPv4 hosts, IPv4 /24s, IPv6 /64s and hosts)
 * generated here and served over HTTP: it must load in seconds and match in
 * microseconds. The figures are printed for the project notes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedSet } from '../../src/enrich/feed-set.js';
import { formatIPv4 } from '../../src/net/address.js';
import { configFrom } from './helpers/config.js';
import { startFeedServer, type FeedServer } from './helpers/http-server.js';

const N = 1_000_000;
let srv: FeedServer;
let dir: string;
const listed: string[] = [];

/** Deterministic pseudo-random 32-bit numbers (xorshift). */
function* numbers(seed: number): Generator<number> {
  let x = seed >>> 0;
  for (;;) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    yield x >>> 0;
  }
}

function buildList(): string {
  const lines: string[] = ['# generated test feed'];
  const rnd = numbers(2463534242);
  for (let i = 0; i < N; i++) {
    const r = rnd.next().value as number;
    const kind = i % 20;
    let e: string;
    if (kind < 17) e = formatIPv4(r);
    else if (kind === 17) e = `${formatIPv4(r & 0xffffff00)}/24`;
    else if (kind === 18) e = `2001:db8:${(r >>> 16).toString(16)}:${(r & 0xffff).toString(16)}::/64`;
    else e = `2a0${i % 10}:${(r >>> 16).toString(16)}::${(r & 0xffff).toString(16)}`;
    lines.push(e);
    if (i % 1000 === 0) listed.push(e.split('/')[0] as string);
  }
  return `${lines.join('\n')}\n`;
}

beforeAll(async () => {
  srv = await startFeedServer();
  dir = mkdtempSync(join(tmpdir(), 'tsad-enrich-huge-'));
  srv.set('/huge.txt', { body: buildList(), etag: '"huge-1"' });
});
afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a 1,000,000-entry feed', () => {
  let set: FeedSet;
  const cfg = (): ReturnType<typeof configFrom> => configFrom(`REPUTATION_FEEDS_DIR ${dir};\nREPUTATION_FEED name=huge source=${srv.url('/huge.txt')};\n`);

  it('downloads, parses, indexes and saves in seconds', async () => {
    global.gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    set = await FeedSet.load(cfg(), { fetchRemote: true });
    const ms = performance.now() - t0;
    const heapMb = (process.memoryUsage().heapUsed - heap0) / 1048576;
    const info = set.list()[0];
    console.log(`1M-entry feed: download+parse+index+save ${ms.toFixed(0)} ms, ${info?.entries} distinct entries, heap +${heapMb.toFixed(0)} MB`);
    expect(info?.lastError).toBeNull();
    expect(info?.entries).toBeGreaterThan(990_000);
    expect(ms).toBeLessThan(30_000);
  });

  it('reloads from the saved copy (restart) in seconds', async () => {
    const t0 = performance.now();
    const again = await FeedSet.load(cfg());
    const ms = performance.now() - t0;
    console.log(`1M-entry feed: load from saved copy ${ms.toFixed(0)} ms`);
    expect(again.list()[0]?.entries).toBe(set.list()[0]?.entries);
    expect(ms).toBeLessThan(30_000);
  });

  it('matches in microseconds, hits and misses', () => {
    const misses: string[] = [];
    const rnd = numbers(88172645);
    for (let i = 0; i < 200_000; i++) misses.push(i % 4 === 0 ? `2001:db9::${(i & 0xffff).toString(16)}` : formatIPv4(rnd.next().value as number));
    for (const a of listed) expect(set.match(a)).toHaveLength(1);
    const time = (addrs: string[], rounds: number): number => {
      const t0 = process.hrtime.bigint();
      let found = 0;
      for (let r = 0; r < rounds; r++) for (const a of addrs) found += set.match(a).length;
      expect(found).toBeGreaterThanOrEqual(0);
      return Number(process.hrtime.bigint() - t0) / (addrs.length * rounds);
    };
    time(misses.slice(0, 10000), 1); // warm up
    const hitNs = time(listed, 50);
    const missNs = time(misses, 1);
    console.log(`1M-entry feed: match() ${hitNs.toFixed(0)} ns per hit, ${missNs.toFixed(0)} ns per miss (random IPv4/IPv6)`);
    expect(hitNs).toBeLessThan(20_000);
    expect(missNs).toBeLessThan(20_000);
  });

  it('a 304 refresh of the huge feed is cheap', async () => {
    const t0 = performance.now();
    const [r] = await set.update({ force: true });
    expect(r?.status).toBe('unchanged');
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
