import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FeedSet } from '../../src/enrich/feed-set.js';
import { cacheFileName } from '../../src/enrich/feed-cache.js';
import { ConfigError } from '../../src/config/errors.js';
import { configFrom } from './helpers/config.js';
import { startFeedServer, type FeedServer } from './helpers/http-server.js';

let srv: FeedServer;
let dir: string;

beforeAll(async () => {
  srv = await startFeedServer();
});
afterAll(async () => {
  await srv.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-enrich-feeds-'));
  srv.requests.length = 0;
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function conf(feeds: string[], extra = ''): ReturnType<typeof configFrom> {
  return configFrom(`REPUTATION_FEEDS_DIR ${dir};\n${feeds.map((f) => `REPUTATION_FEED ${f};`).join('\n')}\n${extra}`);
}

/** A port on 127.0.0.1 with nothing listening. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const LIST_A = '# list A\n198.51.100.10\n198.51.100.11\n203.0.113.0/24\n2001:db8:a::/48\n';

describe('remote feed over HTTP', () => {
  it('downloads, saves the copy atomically, and serves matches', async () => {
    srv.set('/a.txt', { body: LIST_A, etag: '"v1"' });
    const set = await FeedSet.load(conf([`name=feed-a source=${srv.url('/a.txt')} dl=3`]), { fetchRemote: true });
    expect(set.list()[0]).toMatchObject({ name: 'feed-a', entries: 4, origin: 'source', lastError: null, dl: 3 });
    expect(set.match('198.51.100.10')).toEqual([{ feed: 'feed-a', dl: 3, entry: '198.51.100.10' }]);
    expect(set.match('203.0.113.77')).toEqual([{ feed: 'feed-a', dl: 3, entry: '203.0.113.0/24' }]);
    expect(set.match('2001:db8:a:ffff::1')).toEqual([{ feed: 'feed-a', dl: 3, entry: '2001:db8:a::/48' }]);
    expect(set.match('2001:db8:b::1')).toEqual([]);
    expect(readdirSync(dir)).toEqual([cacheFileName('feed-a')]); // no temp files left behind
    expect(readFileSync(join(dir, cacheFileName('feed-a')), 'utf8')).toContain(LIST_A);
  });

  it('does not download unless asked (analyze), and then uses the saved copy', async () => {
    srv.set('/a.txt', { body: LIST_A, etag: '"v1"' });
    const cfg = conf([`name=feed-a source=${srv.url('/a.txt')}`]);
    const none = await FeedSet.load(cfg);
    expect(srv.requests).toHaveLength(0);
    expect(none.list()[0]).toMatchObject({ entries: 0, origin: 'none', fetchedAt: null });
    await (await FeedSet.load(cfg, { fetchRemote: true })).update({ force: true });
    const n = srv.requests.length;
    const cached = await FeedSet.load(cfg);
    expect(srv.requests).toHaveLength(n);
    expect(cached.list()[0]).toMatchObject({ entries: 4, origin: 'cache' });
    expect(cached.match('198.51.100.11')).toHaveLength(1);
  });

  it('sends If-None-Match; a 304 keeps the list', async () => {
    srv.set('/a.txt', { body: LIST_A, etag: '"v1"' });
    const set = await FeedSet.load(conf([`name=feed-a source=${srv.url('/a.txt')}`]), { fetchRemote: true });
    const [r] = await set.update({ force: true });
    expect(r).toEqual({ feed: 'feed-a', status: 'unchanged', entries: 4, added: 0, removed: 0, error: null });
    expect(srv.requests.map((q) => [q.headers['if-none-match'], q.status])).toEqual([[undefined, 200], ['"v1"', 304]]);
    // After a restart the saved validators are used too.
    const again = await FeedSet.load(conf([`name=feed-a source=${srv.url('/a.txt')}`]));
    expect((await again.update({ force: true }))[0]?.status).toBe('unchanged');
    expect(srv.requests.at(-1)?.headers['if-none-match']).toBe('"v1"');
  });

  it('sends If-Modified-Since when the server gives only Last-Modified', async () => {
    const lm = 'Wed, 01 Jan 2025 00:00:00 GMT';
    srv.set('/lm.txt', { body: LIST_A, lastModified: lm });
    const set = await FeedSet.load(conf([`name=lm source=${srv.url('/lm.txt')}`]), { fetchRemote: true });
    expect((await set.update({ force: true }))[0]?.status).toBe('unchanged');
    expect(srv.requests.at(-1)?.headers['if-modified-since']).toBe(lm);
  });

  it('changed content replaces the list and reports the difference', async () => {
    srv.set('/a.txt', { body: LIST_A, etag: '"v1"' });
    const set = await FeedSet.load(conf([`name=feed-a source=${srv.url('/a.txt')}`]), { fetchRemote: true });
    srv.set('/a.txt', { body: '198.51.100.10\n198.51.100.99\n192.0.2.0/25\n', etag: '"v2"' });
    const [r] = await set.update({ force: true });
    expect(r).toEqual({ feed: 'feed-a', status: 'updated', entries: 3, added: 2, removed: 3, error: null });
    expect(set.match('198.51.100.99')).toHaveLength(1);
    expect(set.match('198.51.100.11')).toEqual([]);
    expect(set.match('203.0.113.1')).toEqual([]);
  });

  it.each([
    ['HTTP 500', { body: '', status: 500 }, /HTTP 500/],
    ['HTTP 404', { body: '', status: 404 }, /HTTP 404/],
    ['an HTML page with status 200', { body: '<html>\n<body>\nService temporarily unavailable\n</body>\n</html>\n', etag: '"err"' }, /no usable entries/],
    ['an empty body', { body: '', etag: '"empty"' }, /no usable entries/],
    ['mostly garbage', { body: `198.51.100.5\n${'%%%\n'.repeat(50)}`, etag: '"junk"' }, /50 malformed lines against 1 entries/],
  ])('%s keeps the last good copy and reports it', async (_what, doc, msg) => {
    srv.set('/a.txt', { body: LIST_A, etag: '"v1"' });
    const set = await FeedSet.load(conf([`name=feed-a source=${srv.url('/a.txt')}`]), { fetchRemote: true });
    srv.set('/a.txt', doc);
    const [r] = await set.update({ force: true });
    expect(r?.status).toMatch(/^(failed|rejected)$/);
    expect(r?.entries).toBe(4);
    expect(r?.error).toMatch(msg);
    expect(set.list()[0]?.lastError).toMatch(msg);
    expect(set.match('198.51.100.10')).toHaveLength(1);
    // The saved copy is still the good one.
    const restarted = await FeedSet.load(conf([`name=feed-a source=${srv.url('/a.txt')}`]));
    expect(restarted.list()[0]?.entries).toBe(4);
  });

  it('connection refused is a failure with the reason', async () => {
    const port = await closedPort();
    const set = await FeedSet.load(conf([`name=gone source=http://127.0.0.1:${port}/x.txt`]), { fetchRemote: true });
    expect(set.list()[0]).toMatchObject({ entries: 0, origin: 'none' });
    expect(set.list()[0]?.lastError).toMatch(/ECONNREFUSED/);
  });

  it('a server that never answers times out (REPUTATION_FEED_TIMEOUT)', async () => {
    srv.set('/hang.txt', { body: '', hang: true });
    const set = await FeedSet.load(conf([`name=slow source=${srv.url('/hang.txt')}`], 'REPUTATION_FEED_TIMEOUT 1;'), { fetchRemote: true });
    expect(set.list()[0]?.lastError).toMatch(/timed out/);
  });

  it('a download over REPUTATION_FEED_MAX_BYTES is refused', async () => {
    srv.set('/big.txt', { body: '198.51.100.1\n'.repeat(1000), etag: '"big"' });
    const set = await FeedSet.load(conf([`name=big source=${srv.url('/big.txt')}`], 'REPUTATION_FEED_MAX_BYTES 2048;'), { fetchRemote: true });
    expect(set.list()[0]?.lastError).toMatch(/over REPUTATION_FEED_MAX_BYTES \(2048\)/);
  });

  it('a saved copy of another source is not used', async () => {
    srv.set('/a.txt', { body: LIST_A, etag: '"v1"' });
    await FeedSet.load(conf([`name=feed-a source=${srv.url('/a.txt')}`]), { fetchRemote: true });
    const moved = await FeedSet.load(conf([`name=feed-a source=${srv.url('/other.txt')}`]));
    expect(moved.list()[0]?.entries).toBe(0);
  });

  it('a damaged saved copy is ignored', async () => {
    writeFileSync(join(dir, cacheFileName('feed-a')), '#tsad-feed-cache v1 {not json\n198.51.100.10\n');
    const set = await FeedSet.load(conf([`name=feed-a source=${srv.url('/a.txt')}`]));
    expect(set.list()[0]?.entries).toBe(0);
  });

  it('a cache directory that cannot be written leaves the list in use and says so', async () => {
    srv.set('/a.txt', { body: LIST_A, etag: '"v1"' });
    writeFileSync(join(dir, 'not-a-dir'), '');
    const set = await FeedSet.load(conf([`name=feed-a source=${srv.url('/a.txt')}`]), { fetchRemote: true, cacheDir: join(dir, 'not-a-dir') });
    expect(set.list()[0]).toMatchObject({ entries: 4 });
    expect(set.list()[0]?.lastError).toMatch(/cannot save the copy in .*not-a-dir \((ENOTDIR|EEXIST)\)/);
  });
});

describe('refresh schedule', () => {
  it('update() without force only checks feeds whose interval has passed', async () => {
    srv.set('/a.txt', { body: LIST_A, etag: '"v1"' });
    // The test's own clock (a fixed moment): nothing depends on how long the fetch takes.
    const at = Date.UTC(2026, 0, 1);
    const set = await FeedSet.load(conf([`name=feed-a source=${srv.url('/a.txt')} refresh=2h`, `name=manual source=${srv.url('/a.txt')} refresh=0`]), { fetchRemote: true, now: at });
    expect(set.list().find((f) => f.name === 'feed-a')?.checkedAt).toBe(new Date(at).toISOString());
    expect(set.msUntilDue(at)).toBe(2 * 3600_000);
    expect(set.msUntilDue(at + 2 * 3600_000 - 1)).toBe(1);
    expect(await set.update({ now: at + 2 * 3600_000 - 1 })).toEqual([]);
    const later = await set.update({ now: at + 2 * 3600_000 });
    expect(later.map((r) => [r.feed, r.status])).toEqual([['feed-a', 'unchanged']]);
    expect((await set.update({ force: true, names: ['manual'] })).map((r) => r.feed)).toEqual(['manual']);
  });

  it('a failed feed is retried after 15 minutes, not at its full interval', async () => {
    srv.set('/f.txt', { body: '', status: 503 });
    const at = Date.UTC(2026, 0, 1);
    const set = await FeedSet.load(conf([`name=f source=${srv.url('/f.txt')} refresh=1d`]), { fetchRemote: true, now: at });
    expect(set.msUntilDue(at)).toBe(900_000);
    expect(await set.update({ now: at + 899_999 })).toEqual([]);
    expect((await set.update({ now: at + 900_000 }))[0]?.status).toBe('failed');
  });

  it('concurrent updates run one after the other', async () => {
    srv.set('/a.txt', { body: LIST_A, etag: '"v1"' });
    const set = await FeedSet.load(conf([`name=feed-a source=${srv.url('/a.txt')}`]));
    const [a, b] = await Promise.all([set.update({ force: true }), set.update({ force: true })]);
    expect(a[0]?.status).toBe('updated');
    expect(b[0]?.status).toBe('unchanged');
  });
});

describe('local file feeds', () => {
  it('psad\'s form reads a file in REPUTATION_FEEDS_DIR; changes are picked up; a bad file keeps the last good list', async () => {
    writeFileSync(join(dir, 'et-block.txt'), '198.51.100.1\n198.51.100.2\n');
    const cfg = conf(['"ET Block IPs",4,IP,newline,60,N,et-block.txt,"wget -q -O et-block.txt http://example.invalid/x"']);
    const set = await FeedSet.load(cfg);
    expect(set.list()[0]).toMatchObject({ name: 'ET Block IPs', entries: 2, origin: 'source', source: join(dir, 'et-block.txt') });
    expect(set.match('198.51.100.2')).toEqual([{ feed: 'ET Block IPs', dl: 4, entry: '198.51.100.2' }]);

    writeFileSync(join(dir, 'et-block.txt'), '198.51.100.2\n198.51.100.3\n198.51.100.4\n');
    utimesSync(join(dir, 'et-block.txt'), new Date(), new Date(Date.now() + 5000));
    expect((await set.update({ force: true }))[0]).toMatchObject({ status: 'updated', entries: 3, added: 2, removed: 1 });
    expect((await set.update({ force: true }))[0]?.status).toBe('unchanged');

    writeFileSync(join(dir, 'et-block.txt'), '<html>oops</html>\n');
    expect((await set.update({ force: true }))[0]?.status).toBe('rejected');
    expect(set.match('198.51.100.4')).toHaveLength(1);
    // Restart with the bad file: the saved copy is used.
    const restarted = await FeedSet.load(cfg);
    expect(restarted.list()[0]).toMatchObject({ entries: 3, origin: 'cache' });
    expect(restarted.list()[0]?.lastError).toMatch(/no usable entries/);
  });

  it('a missing file is reported, not thrown', async () => {
    const set = await FeedSet.load(conf([`name=nofile source=${join(dir, 'absent.txt')}`]));
    expect(set.list()[0]?.lastError).toMatch(/absent\.txt: cannot read \(ENOENT\)/);
    expect(set.match('198.51.100.1')).toEqual([]);
  });
});

describe('matching across feeds', () => {
  async function twoFeeds(): Promise<FeedSet> {
    writeFileSync(join(dir, 'low.txt'), '198.51.100.0/24\n2001:db8::/32\n');
    writeFileSync(join(dir, 'high.txt'), '198.51.100.7\n203.0.113.9\n');
    return FeedSet.load(conf(['name=low source=low.txt dl=2 block=Y', 'name=high source=high.txt dl=5']));
  }

  it('each feed answers with its own longest entry, highest DL first', async () => {
    const set = await twoFeeds();
    expect(set.match('198.51.100.7')).toEqual([
      { feed: 'high', dl: 5, entry: '198.51.100.7' },
      { feed: 'low', dl: 2, entry: '198.51.100.0/24' },
    ]);
  });

  it('no cross-address leakage: a source in no feed gets no match, whatever was matched before (psad bug)', async () => {
    const set = await twoFeeds();
    const listed = ['198.51.100.7', '203.0.113.9', '2001:db8::1'];
    const clean = ['192.0.2.55', '203.0.113.10', '2001:db9::1', '192.168.10.55'];
    for (let round = 0; round < 50; round++) {
      for (const a of listed) expect(set.match(a).length).toBeGreaterThan(0);
      for (const a of clean) expect(set.match(a)).toEqual([]);
    }
    // Results are fresh objects: changing one does not change the next.
    const first = set.match('203.0.113.9');
    first.push({ feed: 'injected', dl: 5, entry: '0.0.0.0/0' });
    expect(set.match('203.0.113.9')).toEqual([{ feed: 'high', dl: 5, entry: '203.0.113.9' }]);
    expect(set.match('192.0.2.55')).toEqual([]);
  });

  it('invalid addresses match nothing', async () => {
    const set = await twoFeeds();
    expect(set.match('198.51.100.700')).toEqual([]);
    expect(set.match('')).toEqual([]);
  });

  it('proactiveBlockList() holds the entries of block=Y feeds only', async () => {
    const set = await twoFeeds();
    expect(set.proactiveBlockList()).toEqual(['198.51.100.0/24', '2001:db8::/32']);
  });

  it('ENABLE_REPUTATION_FEEDS N loads nothing', async () => {
    writeFileSync(join(dir, 'low.txt'), '198.51.100.0/24\n');
    const set = await FeedSet.load(conf(['name=low source=low.txt'], 'ENABLE_REPUTATION_FEEDS N;'));
    expect(set.feeds).toEqual([]);
    expect(set.match('198.51.100.1')).toEqual([]);
  });

  it('two feeds with one name are a configuration error', async () => {
    await expect(FeedSet.load(conf(['name=x source=a.txt', 'name=x source=b.txt']))).rejects.toBeInstanceOf(ConfigError);
  });
});
