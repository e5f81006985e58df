/** The stage facade: real embedded GeoIP, a real feed file, a real loopback name server. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Enricher } from '../../src/enrich/index.js';
import { configFrom } from './helpers/config.js';
import { startPtrServer, type DnsServer } from './helpers/dns-server.js';

let dir: string;
let ns: DnsServer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-enrich-facade-'));
  writeFileSync(join(dir, 'bad.txt'), '8.8.4.0/24\n198.51.100.7\n');
  writeFileSync(join(dir, 'worse.txt'), '8.8.4.4\n');
  ns = await startPtrServer({ '8.8.4.4': 'dns.google' });
});
afterAll(async () => {
  await ns.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Enricher', () => {
  const text = (): string => `REPUTATION_FEEDS_DIR ${dir};\nREPUTATION_FEED name=bad source=bad.txt dl=2;\nREPUTATION_FEED name=worse source=worse.txt dl=5;\nDNS_RESOLVERS ${ns.address};\nDNS_TIMEOUT 1;\n`;

  it('gives country and feed matches in one call, and the DNS name on request', async () => {
    const e = await Enricher.open(configFrom(text()), { dns: true });
    expect(e.enrich('8.8.4.4')).toEqual({
      geo: { country: 'US', asn: 15169, asOrg: 'Google LLC', city: null },
      reputation: [{ feed: 'worse', dl: 5, entry: '8.8.4.4' }, { feed: 'bad', dl: 2, entry: '8.8.4.0/24' }],
      reputationDl: 5,
    });
    expect(e.enrich('198.51.100.7')).toEqual({ geo: { country: null, asn: null, asOrg: null, city: null }, reputation: [{ feed: 'bad', dl: 2, entry: '198.51.100.7' }], reputationDl: 2 });
    expect(e.enrich('1.1.1.1')).toEqual({ geo: { country: 'AU', asn: 13335, asOrg: 'Cloudflare, Inc.', city: null }, reputation: [], reputationDl: 0 });
    expect(await e.hostname('8.8.4.4')).toBe('dns.google');
    e.close();
  });

  it('without dns (analyze default) asks no name server', async () => {
    const e = await Enricher.open(configFrom(text()));
    const asked = ns.queries.length;
    expect(e.dns).toBeNull();
    expect(await e.hostname('8.8.4.4')).toBeNull();
    expect(ns.queries.length).toBe(asked);
    e.close();
  });
});
