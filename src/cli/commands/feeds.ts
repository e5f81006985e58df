/**
 * `tsad feeds update|list|test ADDR`: refresh the reputation feeds now (for
 * cron, or before a first `analyze`), show what is loaded, and check one
 * address. update exits 1 when a feed failed or was rejected (its last good
 * copy stays in use), after reporting every feed.
 */
import type { Command } from 'commander';
import type { Config } from '../../config/keys/index.js';
import { loadConfig } from '../../config/load.js';
import { FeedSet, type FeedInfo, type FeedUpdateResult } from '../../enrich/index.js';
import { normalizeAddress } from '../../net/address.js';
import { UsageError } from '../usage-error.js';

interface CommonOpts {
  config?: string;
  json?: boolean;
}

function duration(sec: number): string {
  if (sec === 0) return 'manual';
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) if (sec % size === 0) return `${sec / size}${unit}`;
  return `${sec}s`;
}

/** Why there is nothing to do, or null when feeds are configured. */
function nothingToDo(cfg: Config): string | null {
  if (!cfg.ENABLE_REPUTATION_FEEDS) return 'reputation feeds are disabled (ENABLE_REPUTATION_FEEDS N)';
  if (cfg.REPUTATION_FEED.length === 0) return 'no reputation feeds are configured (REPUTATION_FEED)';
  return null;
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function formatResult(r: FeedUpdateResult): string {
  const diff = r.status === 'updated' ? ` (+${r.added} -${r.removed})` : '';
  const head = `${r.feed}: ${r.status}, ${r.entries} entries${diff}`;
  return r.error === null ? head : `${head}\n    ${r.status === 'updated' ? 'warning' : 'error'}: ${r.error}`;
}

async function update(opts: CommonOpts & { feed?: string[] }): Promise<void> {
  const cfg = loadConfig(opts.config);
  const idle = nothingToDo(cfg);
  if (idle !== null) {
    if (opts.json === true) printJson([]);
    else process.stdout.write(`${idle}\n`);
    return;
  }
  const set = await FeedSet.load(cfg, { cacheOnly: true });
  const names = opts.feed;
  const unknown = names?.filter((n) => !set.feeds.some((f) => f.name === n)) ?? [];
  if (unknown.length > 0) throw new UsageError(`no feed named ${unknown.map((n) => `"${n}"`).join(', ')} (see "tsad feeds list")`);
  const results = await set.update(names === undefined ? { force: true } : { force: true, names });
  if (opts.json === true) printJson(results);
  else for (const r of results) process.stdout.write(`${formatResult(r)}\n`);
  const bad = results.filter((r) => r.error !== null);
  if (bad.length > 0) throw new Error(`${bad.length} of ${results.length} feeds could not be updated or saved: ${bad.map((r) => r.feed).join(', ')}`);
}

function formatInfo(f: FeedInfo): string {
  const fetched = f.fetchedAt === null ? 'never fetched' : `fetched ${f.fetchedAt}${f.origin === 'cache' ? ' (saved copy)' : ''}`;
  const lines = [
    `${f.name}: DL ${f.dl}, ${f.entries} entries, ${f.format}, refresh ${duration(f.refreshSec)}, block ${f.block ? 'Y' : 'N'}`,
    `    source: ${f.source}`,
    `    ${fetched}${f.malformed > 0 ? `, ${f.malformed} malformed lines skipped` : ''}`,
  ];
  if (f.lastError !== null) lines.push(`    error: ${f.lastError}`);
  return lines.join('\n');
}

async function list(opts: CommonOpts): Promise<void> {
  const cfg = loadConfig(opts.config);
  const idle = nothingToDo(cfg);
  const infos = idle === null ? (await FeedSet.load(cfg)).list() : [];
  if (opts.json === true) printJson(infos);
  else process.stdout.write(idle !== null ? `${idle}\n` : `${infos.map(formatInfo).join('\n')}\n`);
}

async function test(addr: string, opts: CommonOpts): Promise<void> {
  const norm = normalizeAddress(addr);
  if (norm === null) throw new UsageError(`"${addr}" is not an IPv4 or IPv6 address`);
  const cfg = loadConfig(opts.config);
  const idle = nothingToDo(cfg);
  const matches = idle === null ? (await FeedSet.load(cfg)).match(norm) : [];
  if (opts.json === true) {
    printJson({ address: norm, matches });
    return;
  }
  if (idle !== null) process.stdout.write(`${idle}\n`);
  if (matches.length === 0) process.stdout.write(`${norm}: not listed in any feed\n`);
  for (const m of matches) process.stdout.write(`${norm}: listed in '${m.feed}' (DL ${m.dl}) as ${m.entry}\n`);
}

export function registerFeeds(program: Command): void {
  const cmd = program.command('feeds').description('reputation feeds: update them now, list them, or test an address');
  const cfgOpt = ['-c, --config <file>', 'configuration file (default: built-in defaults)'] as const;
  cmd
    .command('update')
    .description('download or re-read every feed now (conditional requests); a bad download keeps the last good copy and exits 1')
    .option(...cfgOpt)
    .option('--feed <name...>', 'only these feeds')
    .option('--json', 'print the results as JSON')
    .action(async (opts: CommonOpts & { feed?: string[] }) => update(opts));
  cmd
    .command('list')
    .description('show each feed: entries, source, when fetched, last error (no download)')
    .option(...cfgOpt)
    .option('--json', 'print as JSON')
    .action(async (opts: CommonOpts) => list(opts));
  cmd
    .command('test')
    .description('show which feeds list an address (and as which entry), from the saved copies')
    .argument('<addr>', 'IPv4 or IPv6 address')
    .option(...cfgOpt)
    .option('--json', 'print as JSON')
    .action(async (addr: string, opts: CommonOpts) => test(addr, opts));
}
