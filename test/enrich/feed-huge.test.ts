/**
 * A feed of 1,000,000 entries (IPv4 hosts, IPv4 /24s, IPv6 /64s and hosts)
 * generated here and served over HTTP: it loads, is saved and reloaded whole,
 * and every listed entry matches. Load and match times are measured by
 * `npm run bench`, not asserted here (a busy machine must not fail a test).
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

  it('downloads, parses, indexes and saves it', async () => {
    set = await FeedSet.load(cfg(), { fetchRemote: true });
    const info = set.list()[0];
    expect(info?.lastError).toBeNull();
    expect(info?.entries).toBeGreaterThan(990_000);
  });

  it('reloads from the saved copy (restart)', async () => {
    const again = await FeedSet.load(cfg());
    expect(again.list()[0]?.entries).toBe(set.list()[0]?.entries);
  });

  it('matches every listed entry and no unlisted address', () => {
    for (const a of listed) expect(set.match(a)).toHaveLength(1);
    // 2001:db9::/32 is outside every generated IPv6 entry (2001:db8::/32, 2a0X::/16).
    for (let i = 0; i < 1000; i++) expect(set.match(`2001:db9::${i.toString(16)}`)).toEqual([]);
  });

  it('a 304 refresh of the huge feed changes nothing', async () => {
    const [r] = await set.update({ force: true });
    expect(r?.status).toBe('unchanged');
    expect(set.list()[0]?.entries).toBeGreaterThan(990_000);
  });
});
