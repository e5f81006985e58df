/** Parsers of tool output and the never-block rules on canned host facts (pure logic). */
import { describe, expect, it } from 'vitest';
import { parseDefaultRoutes, parseIpAddr, parseLocalRoutes, parseProcNetTcp, parseResolvConf, parseSsPeers } from '../../src/actions/block/host-facts.js';
import { parseSetElements, structureComplete } from '../../src/actions/block/backends/nftables.js';
import { parseIpsetSave } from '../../src/actions/block/backends/ipset.js';
import { chainsHooked, parseSave } from '../../src/actions/block/backends/xtables.js';
import { denyPattern, parseDenyLine } from '../../src/actions/block/backends/hosts-deny.js';
import { byAddress, canonicalCidr, mappedIPv4, overlaps, radixOrder } from '../../src/actions/block/cidr.js';
import { NeverBlock } from '../../src/actions/block/never-block.js';
import { displayCommand } from '../../src/actions/block/runner.js';
import type { Runner } from '../../src/actions/block/types.js';
import { cfg } from './helpers.js';

const IP_ADDR = JSON.stringify([
  { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }, { family: 'inet6', local: '::1' }] },
  { ifname: 'eth0', addr_info: [{ family: 'inet', local: '192.0.2.10', prefixlen: 24, broadcast: '192.0.2.255' }, { family: 'inet6', local: 'fe80::1%eth0' }, { local: 'junk' }] },
  { ifname: 'noaddr' },
]);

describe('host facts', () => {
  it('reads ip -j addr, routes (multipath too), resolv.conf, ss and /proc/net/tcp', () => {
    expect(parseIpAddr(IP_ADDR)).toEqual({
      own: [{ addr: '127.0.0.1', dev: 'lo' }, { addr: '::1', dev: 'lo' }, { addr: '192.0.2.10', dev: 'eth0' }, { addr: 'fe80::1', dev: 'eth0' }],
      broadcasts: ['192.0.2.255'],
    });
    expect(parseDefaultRoutes('[{"dst":"default","gateway":"192.0.2.1","dev":"eth0"},{"dst":"default","nexthops":[{"gateway":"192.0.2.2"},{"gateway":"fe80::1%eth0"}]},{"dst":"default","via":{"family":"inet6","host":"2001:db8::1"}}]')).toEqual(['192.0.2.1', '192.0.2.2', 'fe80::1', '2001:db8::1']);
    expect(parseDefaultRoutes('')).toEqual([]);
    expect(parseResolvConf('# x\nnameserver 192.0.2.53\nnameserver 2001:DB8::53 \nsearch example\nnameserver bogus\n')).toEqual(['192.0.2.53', '2001:db8::53']);
    expect(parseSsPeers('0 0 192.0.2.10:22 198.51.100.7:51000\n0 0 [2001:db8::10]:22 [2001:db8::7]:40000 users:(("sshd",pid=1))\n0 0 [::ffff:192.0.2.10]:22 [::ffff:203.0.113.5]:1\n')).toEqual([
      '198.51.100.7',
      '2001:db8::7',
      '::ffff:203.0.113.5',
      '203.0.113.5',
    ]);
    const tcp = '  sl  local_address rem_address   st\n   0: 0A0200C0:0016 076433C6:C738 01 0\n   1: 0A0200C0:0016 0864336C:C739 0A 0\n   2: 0A0200C0:1F90 0964336C:C73A 01 0\n';
    expect(parseProcNetTcp(tcp, new Set([22]))).toEqual(['198.51.100.7']);
    const tcp6 = '  sl\n   0: 00000000000000000000000001000000:0016 B80D0120000000000000000007000000:C738 01 0\n';
    expect(parseProcNetTcp(tcp6, new Set([22]))).toEqual(['2001:db8::7']);
  });
});

describe('the local routing table', () => {
  // `ip -j route show table local` for an address added without brd (ip addr shows no broadcast then).
  const v4 = '[{"type":"local","dst":"10.99.0.1","dev":"d0","protocol":"kernel","scope":"host","prefsrc":"10.99.0.1","flags":[]},{"type":"broadcast","dst":"10.99.0.255","dev":"d0","protocol":"kernel","scope":"link","prefsrc":"10.99.0.1","flags":[]},{"type":"local","dst":"198.51.100.0/24","dev":"lo","protocol":"static","scope":"host","flags":[]}]';
  const v6 = '[{"type":"anycast","dst":"2001:db8:1::","dev":"d0","protocol":"kernel","metric":0,"flags":[]},{"type":"local","dst":"2001:db8:1::1","dev":"d0","protocol":"kernel","metric":0,"flags":[]},{"type":"multicast","dst":"ff00::/8","dev":"d0","protocol":"kernel","metric":256,"flags":[]}]';

  it('gives own addresses (local, anycast, AnyIP prefixes) and broadcast addresses', () => {
    expect(parseLocalRoutes(v4)).toEqual({ own: [{ addr: '10.99.0.1', dev: 'd0' }, { addr: '198.51.100.0/24', dev: 'lo' }], broadcasts: ['10.99.0.255'] });
    expect(parseLocalRoutes(v6)).toEqual({ own: [{ addr: '2001:db8:1::', dev: 'd0' }, { addr: '2001:db8:1::1', dev: 'd0' }], broadcasts: [] });
    expect(parseLocalRoutes('[{"type":"broadcast","dst":"x"},{"type":"local"},7]')).toEqual({ own: [], broadcasts: [] });
  });

  it('makes the subnet broadcast of an address without brd a hard never-block rule', async () => {
    const answers: Record<string, string> = {
      'ip -j addr show': '[{"ifname":"d0","addr_info":[{"family":"inet","local":"10.99.0.1","prefixlen":24}]}]',
      'ip -j route show table local': v4,
      'ip -j -6 route show table local': v6,
    };
    const run: Runner = async (cmd, args) => ({ stdout: answers[[cmd, ...args].join(' ')] ?? '[]', stderr: '' });
    const nb = await NeverBlock.discover(cfg(), { run, resolvConf: '/nonexistent' });
    expect(nb.check('10.99.0.255', { force: true })).toBe('broadcast (10.99.0.255)');
    expect(nb.check('198.51.100.77', { force: true })).toBe('own address on lo (198.51.100.0/24)');
    expect(nb.check('2001:db8:1::', { force: true })).toBe('own address on d0 (2001:db8:1::)');
    expect(nb.check('10.99.0.7')).toBeNull();
  });
});

describe('never-block rules on canned facts', () => {
  const answers: Record<string, string> = {
    'ip -j addr show': IP_ADDR,
    'ip -j route show default': '[{"dst":"default","gateway":"192.0.2.1"}]',
    'ip -j -6 route show default': '[{"dst":"default","gateway":"fe80::2"}]',
  };
  const run: Runner = async (cmd, args) => {
    const out = answers[[cmd, ...args].join(' ')];
    if (out !== undefined) return { stdout: out, stderr: '' };
    if (cmd === 'ss') return { stdout: '0 0 192.0.2.10:22 198.51.100.22:5000\n', stderr: '' };
    throw new Error(`unexpected ${cmd}`);
  };

  it('refuses with a reason, per kind, and honours the switches and --force', async () => {
    const nb = await NeverBlock.discover(cfg({ BLOCK_WHITELIST: '203.0.113.0/25' }), { run, resolvConf: '/nonexistent', dl0: ['198.51.100.128/26'], ignored: (c) => (c === '198.51.100.99' ? 'auto_dl 0 (predicate)' : null) });
    expect(nb.check('192.0.2.1')).toBe('default gateway (192.0.2.1)');
    expect(nb.check('fe80::2')).toBe('default gateway (fe80::2)');
    expect(nb.check('198.51.100.22')).toBe('peer of an established SSH session (198.51.100.22)');
    // A source that failed to log in to sshd: its open connection is a guesser's, not an admin's session.
    expect(nb.check('198.51.100.22', { sshFailures: true })).toBeNull();
    expect(nb.check('192.0.2.1', { sshFailures: true })).toBe('default gateway (192.0.2.1)');
    expect(nb.check('203.0.113.7')).toBe('BLOCK_WHITELIST (203.0.113.0/25)');
    expect(nb.check('203.0.113.0/16')).toBe('203.0.0.0/16 contains 203.0.113.0/25 (BLOCK_WHITELIST)');
    expect(nb.check('198.51.100.130')).toBe('auto_dl danger level 0 (198.51.100.128/26)');
    expect(nb.check('198.51.100.99')).toBe('auto_dl 0 (predicate)');
    expect(nb.check('192.0.2.0/24')).toBe('192.0.2.0/24 contains 192.0.2.10 (own address on eth0)');
    expect(nb.check('192.0.2.255')).toBe('broadcast (192.0.2.255)');
    expect(nb.check('127.1.2.3')).toBe('loopback (127.0.0.0/8)');
    expect(nb.check('::ffff:192.0.2.10')).toBe('own address on eth0 (192.0.2.10)');
    expect(nb.check('198.51.100.7')).toBeNull();
    expect(nb.check('2001:db8::7')).toBeNull();
    expect(nb.check('not-an-ip')).toMatch(/not an address/);
    expect(nb.check('192.0.2.1', { force: true })).toBeNull();
    expect(nb.check('198.51.100.99', { force: true })).toBeNull();
    expect(nb.check('192.0.2.10', { force: true })).toMatch(/own address/);
    const off = await NeverBlock.discover(cfg({ BLOCK_PROTECT_GATEWAYS: 'N', BLOCK_PROTECT_SSH_PEERS: 'N' }), { run, resolvConf: '/nonexistent' });
    expect(off.check('192.0.2.1')).toBeNull();
    expect(off.check('198.51.100.22')).toBeNull();
    expect(off.describe().every((d) => d.hard)).toBe(true);
  });
});

describe('tool output parsers', () => {
  it('reads nft -j set listings and checks the table structure', () => {
    const set = '{"nftables":[{"metainfo":{}},{"set":{"name":"block_v6","elem":["2001:db8::5",{"prefix":{"addr":"2001:db8:1::","len":48}},{"elem":{"val":"2001:db8::6","timeout":60,"expires":42}},{"elem":{"val":{"prefix":{"addr":"2001:db8:2::","len":64}},"timeout":9,"expires":3}},{"range":["2001:db8::1","2001:db8::3"]}]}}]}';
    expect(parseSetElements(set, 6)).toEqual([
      { cidr: '2001:db8::5', family: 6, expiresInSec: null },
      { cidr: '2001:db8:1::/48', family: 6, expiresInSec: null },
      { cidr: '2001:db8::6', family: 6, expiresInSec: 42 },
      { cidr: '2001:db8:2::/64', family: 6, expiresInSec: 3 },
    ]);
    const rule = (chain: string) => ({ rule: { chain } });
    const full = { nftables: [{ set: { name: 'block_v4' } }, { set: { name: 'block_v6' } }, rule('input'), rule('input'), rule('forward'), rule('forward'), rule('forward'), rule('forward'), rule('output'), rule('output')] };
    expect(structureComplete(JSON.stringify(full))).toBe(true);
    expect(structureComplete(JSON.stringify({ nftables: full.nftables.slice(0, 9) }))).toBe(false);
    expect(structureComplete('{"nftables":[]}')).toBe(false);
  });

  it('reads ipset save and iptables-save', () => {
    expect(parseIpsetSave('create tsad-block-v4 hash:net family inet timeout 0\nadd tsad-block-v4 198.51.100.0/24 timeout 30\nadd tsad-block-v4 203.0.113.5 timeout 0\n', 4)).toEqual([
      { cidr: '198.51.100.0/24', family: 4, expiresInSec: 30 },
      { cidr: '203.0.113.5', family: 4, expiresInSec: null },
    ]);
    const save = '*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j X\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:TSAD_BLOCK_INPUT - [0:0]\n:TSAD_BLOCK_OUTPUT - [0:0]\n:TSAD_BLOCK_FORWARD - [0:0]\n-A INPUT -j TSAD_BLOCK_INPUT\n-A OUTPUT -j TSAD_BLOCK_OUTPUT\n-A FORWARD -j TSAD_BLOCK_FORWARD\nCOMMIT\n';
    const s = parseSave(save);
    expect(s.rules).toEqual(['-A INPUT -j TSAD_BLOCK_INPUT', '-A OUTPUT -j TSAD_BLOCK_OUTPUT', '-A FORWARD -j TSAD_BLOCK_FORWARD']);
    expect(chainsHooked(s)).toBe(true);
    expect(chainsHooked(parseSave(save.replace('-A OUTPUT -j TSAD_BLOCK_OUTPUT\n', '')))).toBe(false);
  });

  it('writes and reads hosts.deny patterns', () => {
    for (const [c, p] of [['198.51.100.7', '198.51.100.7'], ['198.51.100.0/24', '198.51.100.0/255.255.255.0'], ['10.0.0.0/9', '10.0.0.0/255.128.0.0'], ['2001:db8::1', '[2001:db8::1]'], ['2001:db8::/32', '[2001:db8::]/32']]) {
      expect(denyPattern(c as string)).toBe(p);
      expect(parseDenyLine(`ALL: ${p}`)).toBe(c);
    }
    expect(parseDenyLine('sshd: 198.51.100.7')).toBeNull();
  });

  it('canonicalizes cidrs and tests overlap', () => {
    expect(canonicalCidr('198.51.100.77/24')?.text).toBe('198.51.100.0/24');
    expect(canonicalCidr('2001:DB8:0:0::1/128')?.text).toBe('2001:db8::1');
    expect(canonicalCidr('198.51.100.1/255.255.255.0')?.text).toBe('198.51.100.0/24');
    expect(canonicalCidr('198.51.100.1/33')).toBeNull();
    const c = (s: string) => canonicalCidr(s)!.cidr;
    expect(overlaps(c('198.51.100.0/24'), c('198.51.100.9'))).toBe(true);
    expect(overlaps(c('198.51.100.9'), c('198.51.100.0/24'))).toBe(true);
    expect(overlaps(c('198.51.100.0/25'), c('198.51.100.128/25'))).toBe(false);
    expect(overlaps(c('::/0'), c('198.51.100.1'))).toBe(false);
    expect(mappedIPv4(c('::ffff:198.51.100.0/120'))).toEqual(c('198.51.100.0/24'));
    expect(displayCommand('nft', ['-f', '-', "it's"])).toBe(`nft -f - 'it'\\''s'`);
  });
});

describe('address order (the order nft is given interval set elements in)', () => {
  it('orders IPv4 by number (not as text), then IPv6 by value, prefixes by their network, ties in their first order', () => {
    const items = ['2001:db8::1', '10.0.0.2', '9.255.255.255', '2001:db8::/64', '198.51.100.0/24', '255.255.255.255', '0.0.0.0/0', '2001:db8:0:1::', 'fe80::1', '::', '10.0.0.2', '100.64.0.1', '2001:db8::1'].map((cidr, i) => ({ cidr, i }));
    expect(byAddress(items, (x) => x.cidr).map((x) => `${x.cidr}#${x.i}`)).toEqual([
      '0.0.0.0/0#6',
      '9.255.255.255#2',
      '10.0.0.2#1',
      '10.0.0.2#10',
      '100.64.0.1#11',
      '198.51.100.0/24#4',
      '255.255.255.255#5',
      '::#9',
      '2001:db8::/64#3',
      '2001:db8::1#0',
      '2001:db8::1#12',
      '2001:db8:0:1::#7',
      'fe80::1#8',
    ]);
    expect(byAddress([], (x: string) => x)).toEqual([]);
  });

  it('sorts keys of 16-bit digits like a comparison sort would, on every digit', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xffff;
    const n = 5000;
    const keys = new Uint16Array(3 * n);
    // Few values per digit, so ties on the high digits are decided by the lower ones.
    for (let i = 0; i < keys.length; i++) keys[i] = i % 3 === 2 ? rnd() : rnd() % 4;
    const order = [...radixOrder(keys, 3)];
    const want = [...Array(n).keys()].sort((a, b) => {
      for (let d = 0; d < 3; d++) if (keys[a * 3 + d] !== keys[b * 3 + d]) return (keys[a * 3 + d] as number) - (keys[b * 3 + d] as number);
      return a - b;
    });
    expect(order).toEqual(want);
  });
});
