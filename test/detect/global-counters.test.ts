/**
 * GlobalCounters counts runs of packets with the same log prefix and
 * protocol apart and settles them before any reader: every count must be
 * what one Map update per packet gives, however runs, the 1000-prefix cap,
 * skipped packets, saves, restores and threads' parts interleave.
 */
import { describe, expect, it } from 'vitest';
import { GlobalCounters } from '../../src/detect/global-counters.js';
import type { Packet } from '../../src/model/packet.js';
import { pkt } from './packet-builder.js';

const OTHER = '(other prefixes)';
const CAP = 1000;

/** The counts by the rules the counters implement, one packet at a time. */
class Naive {
  prefixes = new Map<string, number>();
  protocols = new Map<string, number>();
  ports = new Map<string, number>();
  add(p: Packet): void {
    if (p.prefix !== '') {
      const key = this.prefixes.has(p.prefix) || this.prefixes.size < CAP ? p.prefix : OTHER;
      this.prefixes.set(key, (this.prefixes.get(key) ?? 0) + 1);
    }
    this.protocols.set(p.proto, (this.protocols.get(p.proto) ?? 0) + 1);
    if (p.proto === 'tcp' || p.proto === 'udp') this.ports.set(`${p.proto}/${p.dport}`, (this.ports.get(`${p.proto}/${p.dport}`) ?? 0) + 1);
  }
}

function sorted(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) out[k] = v;
  return out;
}

function portsOf(c: GlobalCounters): Map<string, number> {
  return new Map(c.topPorts(1_000_000).map((t) => [`${t.proto}/${t.port}`, t.packets]));
}

/** Packets in runs: the same prefix and protocol for a while, now and then a new prefix (past the cap). */
function stream(n: number, seed: number): Packet[] {
  let x = seed;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const out: Packet[] = [];
  let prefix = 'DROP';
  let proto = 'tcp';
  let fresh = 0;
  for (let i = 0; i < n; i++) {
    const r = next() % 100;
    if (r < 8) prefix = next() % 3 === 0 ? `P${fresh++}` : ['DROP', 'ACCEPT', '', '[UFW BLOCK]'][next() % 4] as string;
    if (r >= 90) proto = ['tcp', 'udp', 'icmp'][next() % 3] as string;
    out.push(pkt({ prefix, proto, dport: proto === 'icmp' ? -1 : 1 + (next() % 50), src: `203.0.113.${next() % 200}` }));
  }
  return out;
}

describe('global counters: runs of a prefix and a protocol', () => {
  it('give the counts of one update per packet, past the prefix cap, with skipped packets between', () => {
    const packets = stream(60_000, 99);
    const c = new GlobalCounters();
    const naive = new Naive();
    packets.forEach((p, i) => {
      if (i % 7 === 3) {
        c.skipped(p, 'auto-dl-ignore'); // counted as psad did: prefix and traffic
        naive.add(p);
      } else {
        c.observe(p, null);
        naive.add(p);
      }
      if (i % 9_973 === 0) {
        expect(c.logPrefixes()).toEqual(sorted(naive.prefixes));
        expect(c.protocols()).toEqual(sorted(naive.protocols));
      }
    });
    expect(naive.prefixes.has(OTHER)).toBe(true);
    expect(c.logPrefixes()).toEqual(sorted(naive.prefixes));
    expect(c.protocols()).toEqual(sorted(naive.protocols));
    expect(portsOf(c)).toEqual(naive.ports);
    expect(c.prefixNames).toBe(naive.prefixes.size);
  });

  it('are saved with the counters, and a restore drops the counts of the replaced ones', () => {
    const packets = stream(20_000, 5);
    const c = new GlobalCounters();
    const naive = new Naive();
    for (const p of packets.slice(0, 10_000)) {
      c.observe(p, null);
      naive.add(p);
    }
    const saved = c.exportState();
    const restored = new GlobalCounters();
    restored.importState(saved);
    expect(restored.logPrefixes()).toEqual(sorted(naive.prefixes));
    expect(restored.protocols()).toEqual(sorted(naive.protocols));
    // Counting on after a restore, also in the instance that was saved mid-run.
    for (const p of packets.slice(10_000)) {
      c.observe(p, null);
      restored.observe(p, null);
      naive.add(p);
    }
    for (const x of [c, restored]) {
      expect(x.logPrefixes()).toEqual(sorted(naive.prefixes));
      expect(x.protocols()).toEqual(sorted(naive.protocols));
      expect(portsOf(x)).toEqual(naive.ports);
    }
    // A restore in the middle of a run replaces its counts too.
    const d = new GlobalCounters();
    for (const p of packets.slice(0, 500)) d.observe(p, null);
    d.importState(saved);
    expect(d.exportState()).toEqual(saved);
  });

  it('add up across threads (parts and absorb) as in one counter', () => {
    const packets = stream(30_000, 77);
    const one = new GlobalCounters();
    const a = new GlobalCounters(undefined, { prefixOrder: true });
    const b = new GlobalCounters(undefined, { prefixOrder: true });
    const head = new GlobalCounters(undefined, { prefixes: true });
    packets.forEach((p, i) => {
      one.observe(p, null);
      const t = i % 3 === 0 ? a : b;
      t.seq = i;
      t.observe(p, null);
    });
    head.absorb(a.part());
    head.absorb(b.part());
    expect(head.logPrefixes()).toEqual(one.logPrefixes());
    expect(head.protocols()).toEqual(one.protocols());
    expect(head.topPorts(100)).toEqual(one.topPorts(100));
  });
});
