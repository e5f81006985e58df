/**
 * Real scans, real kernel: nmap in namespace A scans namespace B, whose
 * iptables LOG rule writes to /dev/kmsg; B also tries to reach IRC and SMTP
 * out. The lines go through parseLine and the shipped signatures. Needs root
 * (skipped on a laptop; under CI=true a missing prerequisite fails).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createParseContext, parseLine } from '../../src/parse/index.js';
import type { Packet } from '../../src/model/packet.js';
import { loadSignatureSet } from '../../src/signatures/index.js';
import { config } from './helpers.js';

const tools = ['ip', 'iptables', 'nmap'].every((t) => spawnSync('which', [t]).status === 0);
const root = process.getuid?.() === 0;
if (process.env.CI === 'true' && !(root && tools)) throw new Error('live scan test needs root, ip, iptables and nmap (CI=true forbids skipping)');
const run = root && tools;

const A = `tsadsig${process.pid}a`;
const B = `tsadsig${process.pid}b`;
const TAG = `TSADSIG${process.pid} `;
const SYSCTL = '/proc/sys/net/netfilter/nf_log_all_netns';
let sysctlWas = '';

const sh = (...args: string[]) => execFileSync(args[0] as string, args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
const inNs = (ns: string, ...args: string[]) => sh('ip', 'netns', 'exec', ns, ...args);

beforeAll(() => {
  if (!run) return;
  sysctlWas = readFileSync(SYSCTL, 'utf8').trim();
  if (sysctlWas !== '1') writeFileSync(SYSCTL, '1');
  sh('ip', 'netns', 'add', A);
  sh('ip', 'netns', 'add', B);
  sh('ip', 'link', 'add', 'va', 'netns', A, 'type', 'veth', 'peer', 'name', 'vb', 'netns', B);
  inNs(A, 'ip', 'addr', 'add', '198.51.100.10/24', 'dev', 'va');
  inNs(B, 'ip', 'addr', 'add', '198.51.100.20/24', 'dev', 'vb');
  for (const [ns, dev] of [[A, 'va'], [B, 'vb']] as const) {
    inNs(ns, 'ip', 'link', 'set', dev, 'up');
    inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
  }
  inNs(B, 'iptables', '-A', 'INPUT', '-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT');
  inNs(B, 'iptables', '-A', 'INPUT', '-i', 'vb', '-j', 'LOG', '--log-prefix', TAG, '--log-tcp-options');
  inNs(B, 'iptables', '-A', 'INPUT', '-i', 'vb', '-j', 'DROP');
  inNs(B, 'iptables', '-A', 'OUTPUT', '-o', 'vb', '-p', 'tcp', '-m', 'multiport', '--dports', '25,6667', '-j', 'LOG', '--log-prefix', TAG);
  inNs(B, 'iptables', '-A', 'OUTPUT', '-o', 'vb', '-p', 'tcp', '-m', 'multiport', '--dports', '25,6667', '-j', 'DROP');
});

afterAll(() => {
  if (!run) return;
  for (const ns of [A, B]) spawnSync('ip', ['netns', 'del', ns]);
  if (sysctlWas !== '' && sysctlWas !== '1') writeFileSync(SYSCTL, sysctlWas);
});

/** Runs `act`, then returns the parsed packets our LOG rule wrote meanwhile. */
function captured(act: () => void): Packet[] {
  const fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(8192);
  const drain = (keep: string[]) => {
    for (;;) {
      let n = 0;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') return;
        if (code === 'EPIPE') continue;
        throw err;
      }
      const rec = buf.toString('utf8', 0, n);
      const msg = rec.slice(rec.indexOf(';') + 1).split('\n')[0] ?? '';
      if (msg.startsWith(TAG)) keep.push(msg);
    }
  };
  const lines: string[] = [];
  try {
    drain([]);
    act();
    drain(lines);
  } finally {
    closeSync(fd);
  }
  const ctx = createParseContext();
  return lines.map((l) => parseLine(l, ctx)).filter((p): p is Packet => p !== null && typeof p !== 'string');
}

test.skipIf(!run)('nmap scans and outbound bot traffic fire the shipped signatures', () => {
  const { set } = loadSignatureSet({ paths: ['shipped'], cfg: config({ SNORT_RULE_DL_FILE: '""', HOME_NET: '198.51.100.20', EXTERNAL_NET: '!$HOME_NET', SMTP_SERVERS: '198.51.100.25' }) });
  const nmap = (...args: string[]) => inNs(A, 'nmap', '-n', '-Pn', '--max-retries', '0', '--host-timeout', '30s', ...args, '198.51.100.20');
  const packets = captured(() => {
    nmap('-sS', '-p', '23,445,1433,2323,3389,6379,9200,27017,31337,12345,2375');
    nmap('-sF', '-p', '1000-1004');
    nmap('-sX', '-p', '1000-1004');
    nmap('-sN', '-p', '1000-1004');
    nmap('-sU', '-p', '161');
    // SQL Server browser ping (one byte 0x02) and a datagram of the Slammer worm's size (376 bytes).
    inNs(A, 'bash', '-c', "printf '\\x02' > /dev/udp/198.51.100.20/1434; head -c 376 /dev/zero > /dev/udp/198.51.100.20/1434");
    for (const port of ['6667', '25']) spawnSync('ip', ['netns', 'exec', B, 'timeout', '2', 'bash', '-c', `exec 3<>/dev/tcp/198.51.100.10/${port}`]);
  });
  const hits = new Map<number, number>();
  for (const p of packets) for (const h of set.match(p) ?? []) hits.set(h.sid, (hits.get(h.sid) ?? 0) + 1);
  const want: Array<[number, string]> = [
    [120410, 'telnet 23'], [120411, 'Mirai 2323'], [120405, 'SMB 445'], [120403, 'SQL Server 1433'], [120404, 'RDP 3389'],
    [120418, 'Redis'], [120420, 'Elasticsearch'], [120419, 'MongoDB'], [120426, 'Docker API'], [120110, 'elite 31337'],
    [120102, 'netbus'], [621, 'FIN'], [1228, 'nmap XMAS'], [623, 'NULL'], [120402, 'MS-SQL browser ping'], [120401, 'Slammer'], [120433, 'SNMP'],
    [120601, 'egress IRC'], [120603, 'egress SMTP'], [120002, 'SYN window 1024'],
  ];
  expect(packets.length).toBeGreaterThan(20);
  expect(want.filter(([sid]) => !hits.has(sid)).map(([, what]) => what)).toEqual([]);
}, 180_000);
