/**
 * Issue 15, the text report as a person reads it: the level counts with
 * --min-dl, why "Tracking N" exceeds them, other programs' lines and the
 * skipped lines by reason (each with a word), the real port sets, the next
 * steps, reverse DNS names with --dns, and danger levels in colour on a
 * terminal only (a real pseudo-terminal through script(1); never when piped).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli } from '../helpers/run-cli.js';
import { startPtrServer, type DnsServer } from '../enrich/helpers/dns-server.js';

const SAMPLE = join(ROOT, 'fixtures/sample/kern.log');
const dir = mkdtempSync(join(tmpdir(), 'tsad-text-'));
const MIXED = join(dir, 'mixed.log');
const ESC = '\x1b[';

// Non-scan traffic a real host logs: mDNS, a late HTTPS segment, a SYN-ACK nobody asked for.
const EXTRA = [
  'Nov 21 11:20:00 fw1 kernel: [ 9001.000001] DROP IN=eth0 OUT= MAC=01:00:5e:00:00:fb:52:54:00:7c:a0:0a:08:00 SRC=192.168.1.20 DST=224.0.0.251 LEN=100 TOS=0x00 PREC=0x00 TTL=255 ID=0 DF PROTO=UDP SPT=5353 DPT=5353 LEN=80 ',
  'Nov 21 11:20:01 fw1 kernel: [ 9002.000001] DROP IN=eth0 OUT= MAC=52:54:00:7c:a0:14:52:54:00:7c:a0:0a:08:00 SRC=203.0.113.200 DST=198.51.100.20 LEN=52 TOS=0x00 PREC=0x00 TTL=57 ID=4242 DF PROTO=TCP SPT=443 DPT=51234 WINDOW=501 RES=0x00 ACK PSH URGP=0 ',
  'Nov 21 11:20:02 fw1 kernel: [ 9003.000001] DROP IN=eth0 OUT= MAC=52:54:00:7c:a0:14:52:54:00:7c:a0:0a:08:00 SRC=203.0.113.201 DST=198.51.100.20 LEN=44 TOS=0x00 PREC=0x00 TTL=57 ID=4243 PROTO=TCP SPT=80 DPT=40000 WINDOW=29200 RES=0x00 ACK SYN URGP=0 ',
];

let dns: DnsServer;

beforeAll(async () => {
  writeFileSync(MIXED, `${readFileSync(SAMPLE, 'utf8')}${EXTRA.join('\n')}\n`);
  dns = await startPtrServer({ '203.0.113.5': 'scanner-5.example.net', '203.0.113.130': 'crawler.example.org' });
});

afterAll(async () => {
  await dns?.close();
});

describe('the text report explains its figures', () => {
  it('--min-dl 3 still counts the lower levels, and says which sources are counted but not listed', async () => {
    const r = await runCli(['analyze', '--min-dl', '3', MIXED]);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toContain('    Level 2: 7 IP addresses\n');
    expect(out).toContain('    Level 3: 6 IP addresses\n');
    // 203.0.113.150's sshd password guessing (service evidence, no packets) is the level 4 source.
    expect(out).toContain('    Level 4: 1 IP addresses\n');
    expect(out).toMatch(/^ {4}Tracking 25 total IP addresses\n {4}\(14 sources at levels 1-5 above; 11 at level 0: seen, too little to score\)\n {4}Sources below level 3 \(--min-dl, MIN_DANGER_LEVEL\) are counted above but not listed: 7 sources at levels 1-2\.$/m);
    // psad's shapes stay: scripts that read them keep working.
    expect(out).toMatch(/^\[\+\] Found 1462 iptables log messages out of 1646 total lines\.$/m);
    expect(out).toMatch(/^ {4}Total scan sources: 7$/m);
    expect(out).not.toContain('SRC:  203.0.113.113,'); // a level 2 source: counted, not listed
  });

  it('mentions other programs\' lines and the skipped lines by reason, each with a word', async () => {
    const out = (await runCli(['analyze', MIXED])).stdout;
    expect(out).toMatch(/^ {4}66 service log lines \(sshd, postfix, dovecot, web, users' patterns\) read as evidence\.$/m);
    expect(out).toMatch(/^ {4}118 lines of other programs \(not firewall log lines\) passed over\.$/m);
    expect(out).toMatch(/^\[\+\] Skipped 3 firewall lines, counted but not scored:$/m);
    expect(out).toMatch(/^ {6}lan-discovery +1 +multicast and broadcast chatter of the LAN/m);
    expect(out).toMatch(/^ {6}backscatter +1 +answers to packets spoofed with this host's address$/m);
    expect(out).toMatch(/^ {6}conntrack-leftover +1 +late packets of closed connections$/m);
  });

  it('shows the real port set, psad\'s protocol counters and the total of destinations', async () => {
    const out = (await runCli(['analyze', MIXED])).stdout;
    const detail = out.slice(out.indexOf('SRC:  2001:db8:bad::/64,'));
    expect(detail).toMatch(/^ {8}Scanned ports: TCP 1000-1100,8080, Pkts: \d+, Ports: 102$/m);
    expect(out).toMatch(/^ {4}Total protocol packet counters:\n {9,}tcp: \d+ pkts\n/m);
    expect(out).toMatch(/^ {4}Total scan destinations: \d+$/m);
  });

  it('ends with the next steps: where to look, how to block, that blocking is off', async () => {
    const out = (await runCli(['analyze', MIXED])).stdout;
    const next = out.slice(out.indexOf('[+] Next steps:'));
    expect(next).toMatch(/^ {4}Look first at: 203\.0\.113\.150 \(DL 4, sshd 66 failures\), 2001:db8:bad::\/64 \(DL 3, SWEEP SYN, nmap\), 203\.0\.113\.130 \(DL 3, CONNECT\)/m);
    expect(next).toMatch(/^ {4}Block one by hand: tsad block 203\.0\.113\.150 /m);
    expect(next).toMatch(/^ {4}Automatic blocking is off \(ENABLE_AUTO_IDS N\): with ENABLE_AUTO_IDS Y the daemon blocks sources from danger level 3 \(AUTO_IDS_DANGER_LEVEL\)\.$/m);
  });

  it('--dns: the reverse DNS names appear in the text', async () => {
    const conf = join(dir, 'dns.conf');
    writeFileSync(conf, `DNS_RESOLVERS ${dns.address};\nDNS_TIMEOUT 2;\n`);
    const out = (await runCli(['analyze', '-c', conf, '--dns', MIXED])).stdout;
    expect(out).toMatch(/^SRC: {2}203\.0\.113\.5, DL: 3, .*\n {4}DNS: scanner-5\.example\.net$/m);
    expect(out).toMatch(/^SRC: {2}203\.0\.113\.130, DL: 3, .*\n {4}DNS: crawler\.example\.org$/m);
    const plain = (await runCli(['analyze', '-c', conf, MIXED])).stdout;
    expect(plain).not.toContain('DNS: ');
  });

  it('colours danger levels on a terminal only', async () => {
    const piped = (await runCli(['analyze', MIXED])).stdout;
    expect(piped).not.toContain(ESC);
    // script(1) gives the command a real pseudo-terminal as its standard output.
    const tty = execFileSync('script', ['-qec', `${process.execPath} ${CLI} analyze ${MIXED}`, '/dev/null'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TERM: 'xterm' } });
    expect(tty).toContain(`SRC:  203.0.113.5, ${ESC}31mDL: 3${ESC}0m, Dsts:`);
    expect(tty).toMatch(new RegExp(`^ {4}\\x1b\\[31mLevel 3: 6 IP addresses\\x1b\\[0m`, 'm'));
    expect(tty).toMatch(/^ +203\.0\.113\.5 .*\x1b\[31m3\x1b\[0m .* 202 /m); // the DL column of Top attackers
    // Colour never reaches a pipe, whatever the terminal variables say.
    const forced = (await runCli(['analyze', MIXED], { env: { FORCE_COLOR: '1', TERM: 'xterm' } })).stdout;
    expect(forced).not.toContain(ESC);
  });
});
