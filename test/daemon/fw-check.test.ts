/**
 * `tsad fw-check` against real rulesets loaded into a network namespace:
 * nftables with user chains and verdict maps, ufw-style and docker-style
 * iptables chains, a log rule that can never run, NFLOG, and no logging at
 * all. The check must follow jumps and say what is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { requireRoot } from '../helpers/run-cli.js';
import { cliScript } from './helpers/daemon-proc.js';
import { sh } from './helpers/netns.js';

const root = requireRoot('fw-check in a namespace');
const NS = `dmnfw-${randomBytes(3).toString('hex')}`;
let dir: string;

beforeAll(() => {
  if (!root) return;
  dir = mkdtempSync(join(tmpdir(), 'tsad-daemon-fwcheck-'));
  sh('ip', ['netns', 'add', NS]);
});
afterAll(() => {
  if (!root) return;
  try {
    sh('ip', ['netns', 'del', NS]);
  } catch {
    // not created
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Result {
  code: number;
  json: { ok: boolean; missing: string[]; notes: string[]; logs: Array<{ backend: string; kind: string; prefix: string | null; hook: string; families: number[]; path: string[] }> };
}

function inNs(cmd: string, args: string[], input?: string): string {
  return sh('ip', ['netns', 'exec', NS, cmd, ...args], input);
}

function reset(): void {
  inNs('nft', ['flush', 'ruleset']);
  inNs('sysctl', ['-qw', 'net.ipv4.ip_forward=0']);
}

function fwCheck(conf?: string): Result {
  const args = ['netns', 'exec', NS, process.execPath, cliScript(), 'fw-check', '--json', ...(conf ? ['-c', conf] : [])];
  try {
    return { code: 0, json: JSON.parse(sh('ip', args)) as Result['json'] };
  } catch (err) {
    const e = err as { status: number; stdout: string };
    return { code: e.status, json: JSON.parse(e.stdout) as Result['json'] };
  }
}

describe.skipIf(!root)('tsad fw-check', () => {
  it('no log rule anywhere: exit 1 and both families reported missing', () => {
    reset();
    inNs('nft', ['-f', '-'], 'table inet f {\n chain input { type filter hook input priority 0; policy drop; }\n}\n');
    const r = fwCheck();
    expect(r.code).toBe(1);
    expect(r.json.ok).toBe(false);
    expect(r.json.missing.join('\n')).toMatch(/IPv4 input: no log rule/);
    expect(r.json.missing.join('\n')).toMatch(/IPv6 input: no log rule/);
  });

  it('nftables: follows jumps and verdict maps into user chains', () => {
    reset();
    inNs('nft', ['-f', '-'], [
      'table inet f {',
      ' map zone { type ifname : verdict; elements = { "va" : jump from_wan } }',
      ' chain input { type filter hook input priority 0; policy drop; ct state established accept; iifname vmap @zone; }',
      ' chain from_wan { tcp dport 22 accept; jump drop_log; }',
      ' chain drop_log { log prefix "DROP " ; drop; }',
      '}',
    ].join('\n'));
    const r = fwCheck();
    expect(r.code).toBe(0);
    expect(r.json.missing).toEqual([]);
    const log = r.json.logs.find((l) => l.prefix === 'DROP ');
    expect(log?.path).toEqual(['inet f input', 'inet f from_wan', 'inet f drop_log']);
    expect(log?.families).toEqual([4, 6]);
  });

  it('iptables ufw-style and ip6tables chains, with the prefix from iptables-save', () => {
    reset();
    for (const [bin, chain] of [['iptables', 'ufw'], ['ip6tables', 'ufw6']] as const) {
      inNs(bin, ['-N', `${chain}-before-input`]);
      inNs(bin, ['-N', `${chain}-logging-deny`]);
      inNs(bin, ['-A', 'INPUT', '-j', `${chain}-before-input`]);
      inNs(bin, ['-A', `${chain}-before-input`, '-m', 'conntrack', '--ctstate', 'ESTABLISHED', '-j', 'ACCEPT']);
      inNs(bin, ['-A', `${chain}-before-input`, '-j', `${chain}-logging-deny`]);
      inNs(bin, ['-A', `${chain}-logging-deny`, '-m', 'limit', '--limit', '3/min', '-j', 'LOG', '--log-prefix', '[UFW BLOCK] ']);
    }
    const r = fwCheck();
    expect(r.code).toBe(0);
    expect(r.json.missing).toEqual([]);
    const v4 = r.json.logs.find((l) => l.families.length === 1 && l.families[0] === 4 && l.kind === 'LOG');
    expect(v4?.prefix).toBe('[UFW BLOCK] ');
    expect(v4?.path).toEqual(['filter INPUT', 'filter ufw-before-input', 'filter ufw-logging-deny']);
    expect(r.json.logs.some((l) => l.families[0] === 6 && l.kind === 'LOG')).toBe(true);
  });

  it('a log rule after an unconditional accept never runs; forwarding without a forward log rule is reported', () => {
    reset();
    inNs('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    inNs('iptables', ['-A', 'INPUT', '-j', 'ACCEPT']);
    inNs('iptables', ['-A', 'INPUT', '-j', 'LOG', '--log-prefix', 'NEVER ']);
    inNs('ip6tables', ['-A', 'INPUT', '-j', 'LOG']);
    const r = fwCheck();
    expect(r.json.logs.some((l) => l.prefix === 'NEVER ')).toBe(false);
    expect(r.json.missing.join('\n')).toMatch(/IPv4 input: no log rule/);
    expect(r.json.missing.join('\n')).toMatch(/IPv4 forward: forwarding is on/);
    expect(r.code).toBe(0); // IPv6 input is logged
  });

  it('docker-style FORWARD chains, NFLOG and FW_MSG_SEARCH notes', () => {
    reset();
    inNs('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    inNs('iptables', ['-N', 'DOCKER-USER']);
    inNs('iptables', ['-A', 'FORWARD', '-j', 'DOCKER-USER']);
    inNs('iptables', ['-A', 'DOCKER-USER', '-j', 'NFLOG', '--nflog-group', '5', '--nflog-prefix', 'FWD']);
    inNs('iptables', ['-A', 'INPUT', '-j', 'LOG', '--log-prefix', 'IN-REJECT ']);
    const conf = join(dir, 'tsad.conf');
    writeFileSync(conf, 'FW_SEARCH_ALL N;\nFW_MSG_SEARCH DROP;\n');
    const r = fwCheck(conf);
    expect(r.code).toBe(0);
    expect(r.json.logs.find((l) => l.kind === 'NFLOG')?.hook).toBe('forward');
    expect(r.json.notes.join('\n')).toContain('--source ulogd:PATH');
    expect(r.json.notes.join('\n')).toContain('prefix "IN-REJECT "');
    expect(r.json.missing.join('\n')).not.toMatch(/IPv4 forward/);
  });
});
