/**
 * The example logging rulesets in etc/firewall/ load (nft -c, then nft -f;
 * iptables-restore / ip6tables-restore --test, then for real) inside a
 * namespace, and do what they promise: a SYN scan from the peer namespace is
 * logged with the prefix "DROP " and TCP options, the accepted service port
 * is not logged, and the log is rate limited (burst 20, 10 a second).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { enableNetnsLogging, KmsgWatch, netnsAvailable, Pair, V4, V6 } from './netns.js';

const ROOT = new URL('../../', import.meta.url);
const text = (name: string): string => readFileSync(new URL(`etc/firewall/${name}`, ROOT), 'utf8');
const NFT = new URL('etc/firewall/tsad-logging.nft', ROOT).pathname;

const available = await netnsAvailable();
let pair: Pair | undefined;

afterEach(async () => {
  await pair?.destroy();
  pair = undefined;
});

/** SYN-scans ports 1-300 of B from A. */
async function scan(p: Pair, family: 4 | 6): Promise<void> {
  const target = family === 4 ? V4.b : V6.b;
  await p.run(p.a, ['nmap', ...(family === 6 ? ['-6'] : []), '-sS', '-n', '-Pn', '-T5', '--max-retries', '0', '-p', '1-300', target]);
}

function fullV6(addr: string): string {
  const [head, tail] = addr.split('::') as [string, string];
  const h = head.split(':');
  const t = tail.split(':');
  return [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t].map((g) => g.padStart(4, '0')).join(':');
}

/** Scans over IPv4, then IPv6, while watching the kernel log. */
async function scanBoth(p: Pair): Promise<{ lines: string[] }> {
  const watch = new KmsgWatch(p);
  try {
    await scan(p, 4);
    await scan(p, 6);
    await new Promise((r) => setTimeout(r, 100));
    return { lines: watch.stop() };
  } catch (err) {
    watch.stop();
    throw err;
  }
}

/**
 * What a scan of 300 ports (port 22 accepted) may log under the rate limit:
 * some, never all (how many depends on the scan's duration, which a loaded
 * machine stretches, so no bound is derived from the clock).
 */
function expectRateLimited(lines: string[], family: 4 | 6): void {
  // The kernel writes IPv6 addresses in full: 2001:0db8:0061:0000:...
  const src = family === 4 ? `SRC=${V4.a} ` : `SRC=${fullV6(V6.a)} `;
  const mine = lines.filter((l) => l.includes(src));
  // nft's inet rule shares one bucket between the IPv4 and the IPv6 scan, so the second gets only the refill.
  expect(mine.length).toBeGreaterThanOrEqual(5);
  expect(mine.length).toBeLessThan(299);
  for (const l of mine) {
    expect(l).toMatch(/DROP IN=\S+ OUT= /);
    expect(l).toMatch(/PROTO=TCP /);
    expect(l).not.toMatch(/ DPT=22 /);
  }
  // --log-tcp-options / flags tcp options: nmap's SYN carries an MSS option.
  expect(mine.some((l) => / OPT \([0-9A-F]+\)/.test(l))).toBe(true);
}

describe.skipIf(!available)('example firewall rulesets (in network namespaces)', () => {
  it('the files keep their promises: rate-limited LOG with prefix "DROP " before the final drop, lo and established first', () => {
    const nft = text('tsad-logging.nft');
    expect(nft).not.toMatch(/^\s*flush ruleset/m);
    for (const name of ['tsad-logging.iptables', 'tsad-logging.ip6tables']) {
      const rules = text(name).split('\n').filter((l) => l.startsWith('-A INPUT'));
      expect(rules[0]).toBe('-A INPUT -i lo -j ACCEPT');
      expect(rules[1]).toContain('--ctstate RELATED,ESTABLISHED -j ACCEPT');
      expect(rules.at(-2)).toMatch(/-m limit --limit 10\/s --limit-burst 20 -j LOG --log-prefix "DROP "/);
      expect(rules.at(-1)).toBe('-A INPUT -j DROP');
      for (const log of text(name).split('\n').filter((l) => l.includes('-j LOG'))) expect(log).toContain('-m limit');
    }
    for (const log of nft.split('\n').filter((l) => /\blog\b/.test(l) && !l.trim().startsWith('#'))) expect(log).toContain('limit rate 10/second burst 20 packets log prefix "DROP "');
  });

  it('nftables: nft -c accepts it, it loads (twice: reloading replaces the table) and logs a scan rate limited', async () => {
    await enableNetnsLogging();
    pair = await Pair.create();
    await pair.run(pair.b, ['nft', '-c', '-f', NFT]);
    await pair.run(pair.b, ['nft', '-f', NFT]);
    await pair.run(pair.b, ['nft', '-f', NFT]);
    const { stdout } = await pair.run(pair.b, ['nft', 'list', 'ruleset']);
    expect(stdout.match(/^table /gm)).toEqual(['table ']);
    expect(stdout).toMatch(/policy drop;[\s\S]*iifname "lo" accept[\s\S]*ct state established,related accept[\s\S]*limit rate 10\/second burst 20 packets log prefix "DROP "/);
    const { lines } = await scanBoth(pair);
    expectRateLimited(lines, 4);
    expectRateLimited(lines, 6);
  });

  it('iptables and ip6tables: --test accepts them, they load and log a scan rate limited', async () => {
    await enableNetnsLogging();
    pair = await Pair.create();
    await pair.run(pair.b, ['iptables-restore', '--test'], text('tsad-logging.iptables'));
    await pair.run(pair.b, ['ip6tables-restore', '--test'], text('tsad-logging.ip6tables'));
    await pair.run(pair.b, ['iptables-restore'], text('tsad-logging.iptables'));
    await pair.run(pair.b, ['ip6tables-restore'], text('tsad-logging.ip6tables'));
    const { stdout } = await pair.run(pair.b, ['iptables', '-S', 'INPUT']);
    expect(stdout).toContain('-P INPUT DROP');
    const { lines } = await scanBoth(pair);
    expectRateLimited(lines, 4);
    expectRateLimited(lines, 6);
  });

  it('a broken ruleset is refused by the same checks (the checks can fail)', async () => {
    pair = await Pair.create();
    await expect(pair.run(pair.b, ['iptables-restore', '--test'], text('tsad-logging.iptables').replace(/^(-A INPUT .*)--limit-burst 20/m, '$1--limit-burst x'))).rejects.toThrow();
    await expect(pair.run(pair.b, ['nft', '-c', '-f', '/dev/stdin'], text('tsad-logging.nft').replace(/^(\s+limit rate .*)burst 20 packets/m, '$1burst twenty packets'))).rejects.toThrow();
  });
});
