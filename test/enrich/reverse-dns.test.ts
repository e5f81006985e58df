/**
 * Reverse DNS against a real name server on loopback, started here (a UDP
 * responder speaking the DNS wire format), through node's own resolver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReverseDns, cleanHostname } from '../../src/enrich/reverse-dns.js';
import { ptrName, startPtrServer, startSilentServer, type DnsServer } from './helpers/dns-server.js';

let ns: DnsServer;
let silent: DnsServer;

beforeAll(async () => {
  ns = await startPtrServer({
    '198.51.100.7': 'scanner-7.example.net',
    '203.0.113.9': 'Mixed-Case.Example.ORG',
    '2001:db8::7': 'v6-host.example.com',
    '192.0.2.66': 'evil;rm -rf /.example.net',
    '192.0.2.67': 'x\u001b[31mred.example.net',
  });
  silent = await startSilentServer();
});
afterAll(async () => {
  await ns.close();
  await silent.close();
});

describe('ReverseDns', () => {
  it('resolves IPv4 and IPv6 PTR names through the configured server', async () => {
    const dns = new ReverseDns({ timeoutMs: 2000, servers: [ns.address] });
    expect(await dns.lookup('198.51.100.7')).toBe('scanner-7.example.net');
    expect(await dns.lookup('2001:db8::7')).toBe('v6-host.example.com');
    expect(await dns.lookup('203.0.113.9')).toBe('mixed-case.example.org');
    expect(ns.queries).toContain('7.100.51.198.in-addr.arpa');
    expect(ns.queries.some((q) => q.endsWith('.8.b.d.0.1.0.0.2.ip6.arpa'))).toBe(true);
  });

  it('an address with no PTR record gets null, and that answer is cached', async () => {
    const dns = new ReverseDns({ timeoutMs: 2000, servers: [ns.address] });
    expect(dns.peek('198.51.100.8')).toBeUndefined();
    expect(await dns.lookup('198.51.100.8')).toBeNull();
    expect(dns.peek('198.51.100.8')).toBeNull();
  });

  it('caches answers: a second lookup asks nothing', async () => {
    const dns = new ReverseDns({ timeoutMs: 2000, servers: [ns.address] });
    await dns.lookup('198.51.100.7');
    const asked = ns.queries.length;
    expect(await dns.lookup('198.51.100.7')).toBe('scanner-7.example.net');
    expect(dns.peek('198.51.100.7')).toBe('scanner-7.example.net');
    expect(ns.queries.length).toBe(asked);
  });

  it('concurrent lookups of one address share one query', async () => {
    const dns = new ReverseDns({ timeoutMs: 2000, servers: [ns.address] });
    const before = ns.queries.filter((q) => q === '9.113.0.203.in-addr.arpa').length;
    const all = await Promise.all([1, 2, 3, 4, 5].map(() => dns.lookup('203.0.113.9')));
    expect(new Set(all)).toEqual(new Set(['mixed-case.example.org']));
    expect(ns.queries.filter((q) => q === '9.113.0.203.in-addr.arpa').length - before).toBe(1);
  });

  it('answers expire after ttlMs', async () => {
    const dns = new ReverseDns({ timeoutMs: 2000, servers: [ns.address], ttlMs: 50 });
    await dns.lookup('198.51.100.7');
    await new Promise((r) => setTimeout(r, 80));
    expect(dns.peek('198.51.100.7')).toBeUndefined();
  });

  it('the cache is bounded', async () => {
    const dns = new ReverseDns({ timeoutMs: 2000, servers: [ns.address], cacheSize: 2 });
    await dns.lookup('198.51.100.7');
    await dns.lookup('203.0.113.9');
    await dns.lookup('198.51.100.8');
    expect(dns.peek('198.51.100.7')).toBeUndefined();
    expect(dns.peek('198.51.100.8')).toBeNull();
  });

  it('names an attacker put in a PTR record that are not host names are dropped', async () => {
    const dns = new ReverseDns({ timeoutMs: 2000, servers: [ns.address] });
    expect(await dns.lookup('192.0.2.66')).toBeNull();
    expect(await dns.lookup('192.0.2.67')).toBeNull();
  });

  it('a server that never answers costs the timeout, then null, never a rejection', async () => {
    const dns = new ReverseDns({ timeoutMs: 300, servers: [silent.address] });
    expect(dns.peek('198.51.100.7')).toBeUndefined();
    expect(await dns.lookup('198.51.100.7')).toBeNull();
    // The timeout's effect, not its duration: the query reached the server, and the failure is now the cached answer.
    expect(silent.queries).toContain(ptrName('198.51.100.7'));
    expect(dns.peek('198.51.100.7')).toBeNull();
    const asked = silent.queries.length;
    // The failure is remembered briefly: no second query, so no second wait.
    expect(await dns.lookup('198.51.100.7')).toBeNull();
    expect(silent.queries.length).toBe(asked);
  });

  it('lookups do not block the event loop while waiting', async () => {
    const dns = new ReverseDns({ timeoutMs: 400, servers: [silent.address] });
    let ticks = 0;
    const iv = setInterval(() => ticks++, 20);
    await dns.lookup('203.0.113.50');
    clearInterval(iv);
    // Timers ran while the lookup waited (a blocking lookup would allow none); how many depends on the load.
    expect(ticks).toBeGreaterThan(0);
  });

  it('invalid addresses give null without a query', async () => {
    const dns = new ReverseDns({ timeoutMs: 300, servers: [ns.address] });
    const asked = ns.queries.length;
    expect(await dns.lookup('not-an-ip')).toBeNull();
    expect(ns.queries.length).toBe(asked);
  });

  it('close() ends queries in flight with null', async () => {
    const dns = new ReverseDns({ timeoutMs: 5000, servers: [silent.address] });
    const p = dns.lookup('198.51.100.99');
    dns.close();
    expect(await p).toBeNull();
  });
});

describe('cleanHostname', () => {
  it.each([
    ['host.example.com.', 'host.example.com'],
    ['Host-1.Example.COM', 'host-1.example.com'],
    ['_dmarc.example.com', '_dmarc.example.com'],
    ['a', 'a'],
    ['-bad.example.com', null],
    ['bad..example.com', null],
    ['evil example.com', null],
    ['$(reboot).example.com', null],
    [`${'a'.repeat(64)}.example.com`, null],
    ['', null],
  ])('%j -> %j', (input, out) => {
    expect(cleanHostname(input)).toBe(out);
  });
});
