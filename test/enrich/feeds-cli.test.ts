/** `tsad feeds update|list|test` through commander, against a real local HTTP server. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFeeds } from '../../src/cli/commands/feeds.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { startFeedServer, type FeedServer } from './helpers/http-server.js';

let srv: FeedServer;
let dir: string;
let confPath: string;

beforeAll(async () => {
  srv = await startFeedServer();
  dir = mkdtempSync(join(tmpdir(), 'tsad-enrich-cli-'));
  confPath = join(dir, 'tsad.conf');
  srv.set('/top.txt', { body: '# top ten\n061.177.172.013\thost.example.net\n198.051.100.007\t\n', etag: '"t1"' });
  srv.set('/block.txt', { body: 'Start\tEnd\tNetblock\n203.0.113.0\t203.0.113.255\t24\n', etag: '"b1"' });
  writeFileSync(confPath, [
    `REPUTATION_FEEDS_DIR ${dir}/feeds;`,
    `REPUTATION_FEED name=dshield-top source=${srv.url('/top.txt')} format=dshield-top10 dl=3;`,
    `REPUTATION_FEED name=dshield-block source=${srv.url('/block.txt')} format=dshield-block block=Y;`,
    '',
  ].join('\n'));
});
afterAll(async () => {
  await srv.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ out: string; err: unknown }> {
  const program = new Command('tsad').exitOverride().configureOutput({ writeErr: () => undefined });
  registerFeeds(program);
  let out = '';
  const orig = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stdout.write;
  let err: unknown = null;
  try {
    await program.parseAsync(['node', 'tsad', 'feeds', ...args]);
  } catch (e) {
    err = e;
  } finally {
    process.stdout.write = orig;
  }
  return { out, err };
}

describe('tsad feeds', () => {
  it('list before any update shows feeds with no entries', async () => {
    const { out, err } = await run('list', '-c', confPath);
    expect(err).toBeNull();
    expect(out).toContain('dshield-top: DL 3, 0 entries, dshield-top10, refresh 12h, block N');
    expect(out).toContain('never fetched');
  });

  it('update downloads every feed and reports counts', async () => {
    const { out, err } = await run('update', '-c', confPath);
    expect(err).toBeNull();
    expect(out).toBe('dshield-top: updated, 2 entries (+2 -0)\ndshield-block: updated, 1 entries (+1 -0)\n');
    const again = await run('update', '--config', confPath, '--feed', 'dshield-top');
    expect(again.out).toBe('dshield-top: unchanged, 2 entries\n');
  });

  it('test ADDR says which feed lists it and as which entry', async () => {
    expect((await run('test', '-c', confPath, '198.51.100.7')).out).toBe("198.51.100.7: listed in 'dshield-top' (DL 3) as 198.51.100.7\n");
    expect((await run('test', '-c', confPath, '203.0.113.99')).out).toBe("203.0.113.99: listed in 'dshield-block' (DL 4) as 203.0.113.0/24\n");
    expect((await run('test', '-c', confPath, '192.0.2.1')).out).toBe('192.0.2.1: not listed in any feed\n');
    const json = JSON.parse((await run('test', '-c', confPath, '--json', '61.177.172.13')).out) as unknown;
    expect(json).toEqual({ address: '61.177.172.13', matches: [{ feed: 'dshield-top', dl: 3, entry: '61.177.172.13' }] });
  });

  it('list --json shows the saved copies', async () => {
    const infos = JSON.parse((await run('list', '-c', confPath, '--json')).out) as { name: string; entries: number; origin: string }[];
    expect(infos.map((i) => [i.name, i.entries, i.origin])).toEqual([['dshield-top', 2, 'cache'], ['dshield-block', 1, 'cache']]);
  });

  it('a failed feed is reported, the others still updated, and the command fails (exit 1)', async () => {
    srv.set('/top.txt', { body: '', status: 503 });
    srv.set('/block.txt', { body: 'Start\tEnd\tNetblock\n203.0.113.0\t203.0.113.255\t24\n198.51.100.0\t198.51.100.255\t24\n', etag: '"b2"' });
    const { out, err } = await run('update', '-c', confPath);
    expect(out).toContain('dshield-top: failed, 2 entries\n    error: http://127.0.0.1:');
    expect(out).toContain('HTTP 503');
    expect(out).toContain('dshield-block: updated, 2 entries (+1 -0)');
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe('1 of 2 feeds could not be updated or saved: dshield-top');
    expect((await run('test', '-c', confPath, '198.51.100.7')).out).toContain("listed in 'dshield-top'");
  });

  it('usage errors: a bad address, an unknown feed', async () => {
    expect((await run('test', '-c', confPath, '999.1.1.1')).err).toBeInstanceOf(UsageError);
    expect((await run('update', '-c', confPath, '--feed', 'nope')).err).toBeInstanceOf(UsageError);
  });

  it('with no feeds configured it says so', async () => {
    const empty = join(dir, 'empty.conf');
    writeFileSync(empty, '');
    expect((await run('list', '-c', empty)).out).toBe('no reputation feeds are configured (REPUTATION_FEED)\n');
    const off = join(dir, 'off.conf');
    writeFileSync(off, 'ENABLE_REPUTATION_FEEDS N;\n');
    expect((await run('update', '-c', off)).out).toBe('reputation feeds are disabled (ENABLE_REPUTATION_FEEDS N)\n');
  });
});
