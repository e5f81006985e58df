/**
 * The shipped signatures on real kernel LOG lines: nmap scans between two
 * network namespaces, captured by fixtures/capture/capture.sh through both
 * iptables (with --log-tcp-options/--log-tcp-sequence) and nftables.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Packet } from '../../src/model/packet.js';
import { createParseContext, parseLine } from '../../src/parse/index.js';
import { loadSignatureSet } from '../../src/signatures/index.js';
import { config } from './helpers.js';

const DIR = join(import.meta.dirname, '../../fixtures/captured');
const { set } = loadSignatureSet({ paths: ['shipped'], cfg: config({ SNORT_RULE_DL_FILE: '""' }) });

function capture(fw: string, name: string): Packet[] {
  const ctx = createParseContext({ year: 2026 });
  const out: Packet[] = [];
  for (const line of readFileSync(join(DIR, fw, `${name}.kern.log`), 'utf8').split('\n')) {
    const p = parseLine(line, ctx);
    if (p !== null && typeof p !== 'string') out.push(p);
  }
  expect(out.length, `${fw}/${name}`).toBeGreaterThan(0);
  return out;
}

const sidsOf = (p: Packet) => (set.match(p) ?? []).map((h) => h.sid);

describe.each(['ipt', 'nft'])('%s captures', (fw) => {
  test.each([
    ['fin', 621, 'SCAN FIN'],
    ['null', 623, 'SCAN NULL (psad never matched it)'],
    ['xmas', 1228, 'SCAN nmap XMAS'],
    ['syn', 120002, 'SYN with a 1024-byte window'],
    ['syn6', 120002, 'the same over IPv6'],
    ['pingsweep', 469, 'ICMP PING NMAP'],
    ['pingsweep6', 120301, 'ICMPv6 PING NMAP'],
  ])('%s: every packet fires sid %i (%s)', (name, sid) => {
    for (const p of capture(fw, name)) expect(sidsOf(p), p.raw).toContain(sid);
  });

  test('an ordinary ping (IPv4 and IPv6) fires nothing', () => {
    for (const p of [...capture(fw, 'ping'), ...capture(fw, 'ping6')]) expect(set.match(p), p.raw).toBeNull();
  });

  test('nmap -O: the T5, T7, U1 and IE probes are named', () => {
    const seen = new Set(capture(fw, 'os').flatMap(sidsOf));
    for (const sid of [120005, 1228, 120006, 365]) expect(seen).toContain(sid);
    expect(seen).not.toContain(625);
  });

  test('nmap -sU: the probes that carry a service payload are named by service', () => {
    const seen = new Set(capture(fw, 'udp').flatMap(sidsOf));
    for (const sid of [120433, 120407, 120434, 120435, 120437]) expect(seen).toContain(sid);
  });

  test('a SYN scan over 1000-1100 names the Doly 1.5 port (1015) and nothing else port-specific', () => {
    const hits = capture(fw, 'syn').flatMap((p) => sidsOf(p).filter((s) => s !== 120002).map((s) => [s, p.dport]));
    expect(hits.length).toBeGreaterThan(0);
    for (const h of hits) expect(h).toEqual([1985, 1015]);
  });
});
