/**
 * Two network namespaces joined by a veth pair, for real scans whose
 * packets the kernel logs. Names carry a random tag so concurrent test runs
 * never meet; destroy() removes them (call it in afterAll, also on failure).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
}

export interface NsPair {
  a: string;
  b: string;
  tag: string;
  v4: { a: string; b: string };
  v6: { a: string; b: string; prefix: string };
  exec(ns: string, cmd: string, args: string[], input?: string): string;
  destroy(): void;
}

export function createNsPair(area: string): NsPair {
  const tag = randomBytes(3).toString('hex');
  const a = `${area}-${tag}-a`;
  const b = `${area}-${tag}-b`;
  // A /64 of our own inside the documentation prefix, so report rows are ours alone.
  const g1 = randomBytes(2).readUInt16BE(0).toString(16);
  const g2 = randomBytes(2).readUInt16BE(0).toString(16);
  const prefix = `2001:db8:${g1}:${g2}`;
  const pair: NsPair = {
    a, b, tag,
    v4: { a: '198.51.100.1', b: '198.51.100.2' },
    v6: { a: `${prefix}::1`, b: `${prefix}::2`, prefix: `${prefix}::/64` },
    exec: (ns, cmd, args, input) => sh('ip', ['netns', 'exec', ns, cmd, ...args], input),
    destroy: () => {
      for (const n of [a, b]) {
        try {
          sh('ip', ['netns', 'del', n]);
        } catch {
          // not created
        }
      }
    },
  };
  try {
    sh('ip', ['netns', 'add', a]);
    sh('ip', ['netns', 'add', b]);
    sh('ip', ['link', 'add', 'va', 'netns', a, 'type', 'veth', 'peer', 'name', 'vb', 'netns', b]);
    for (const [ns, dev, v4, v6] of [[a, 'va', pair.v4.a, pair.v6.a], [b, 'vb', pair.v4.b, pair.v6.b]] as const) {
      sh('ip', ['-n', ns, 'addr', 'add', `${v4}/24`, 'dev', dev]);
      sh('ip', ['-n', ns, 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad']);
      sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  } catch (err) {
    pair.destroy();
    throw err;
  }
  return pair;
}

const NF_LOG_ALL_NETNS = '/proc/sys/net/netfilter/nf_log_all_netns';

/** Lets LOG rules inside namespaces reach the kernel log; returns the restore function. */
export function enableNamespaceLogging(): () => void {
  const before = readFileSync(NF_LOG_ALL_NETNS, 'utf8').trim();
  if (before !== '1') writeFileSync(NF_LOG_ALL_NETNS, '1');
  return () => {
    if (before !== '1') writeFileSync(NF_LOG_ALL_NETNS, before);
  };
}
