/**
 * Every line of every real capture (fixtures/captured, nmap scans between
 * namespaces) in every envelope parses, and all envelopes of one capture give
 * the same packets, with timestamps equal to the envelope's precision.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/model/packet.js';
import { createParseContext, finishParse, parseLine } from '../../src/parse/index.js';

const DIR = new URL('../../fixtures/captured/', import.meta.url).pathname;
const manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as { captureBaseTime: string };
const BOOT = Date.parse(manifest.captureBaseTime);

/** File suffix -> timestamp precision in ms (RFC 3164 and journalctl short carry whole seconds). */
const ENVELOPES: Record<string, number> = {
  kmsg: 0.001, 'dmesg.txt': 0.001, 'kern.log': 1000, 'rfc3339.log': 0.001, 'rfc5424.log': 0.001,
  'short.txt': 1000, 'short-iso.txt': 1000, 'short-precise.txt': 0.001, 'json.txt': 0.001, 'export.txt': 0.001,
};

function parseFile(path: string): { packets: Packet[]; skipped: string[] } {
  const ctx = createParseContext({ bootTime: BOOT, refTime: BOOT + 86_400_000 });
  const packets: Packet[] = [];
  const skipped: string[] = [];
  const take = (r: ReturnType<typeof parseLine>) => {
    if (typeof r === 'string') skipped.push(r);
    else if (r !== null) packets.push(r);
  };
  for (const line of readFileSync(path, 'utf8').split('\n')) take(parseLine(line, ctx));
  take(finishParse(ctx));
  return { packets, skipped };
}

const key = (p: Packet) => [p.src, p.dst, p.proto, p.sport, p.dport, p.tcpFlags, p.len, p.ttl, p.id, p.icmpType, p.icmpCode, p.window, p.prefix, p.inIf, p.tcpOpts].join('|');

for (const ruleset of ['nft', 'ipt']) {
  const files = readdirSync(`${DIR}${ruleset}`);
  const scans = [...new Set(files.filter((f) => f.endsWith('.kmsg')).map((f) => f.slice(0, -'.kmsg'.length)))];
  describe(`captured ${ruleset} scans`, () => {
    it('has the full set of scans', () => {
      for (const s of ['syn', 'connect', 'fin', 'xmas', 'null', 'ack', 'maimon', 'window', 'udp', 'proto', 'pingsweep', 'portsweep', 'syn6', 'slow']) expect(scans).toContain(s);
    });
    for (const scan of scans) {
      it(`${scan}: every envelope parses every line to the same packets`, () => {
        const ref = parseFile(`${DIR}${ruleset}/${scan}.kmsg`);
        expect(ref.skipped).toEqual([]);
        const lines = readFileSync(`${DIR}${ruleset}/${scan}.kmsg`, 'utf8').split('\n').filter((l) => l.includes(' SRC=') || l.includes(';DROP'));
        expect(ref.packets.length).toBe(lines.length);
        expect(ref.packets.length).toBeGreaterThan(0);
        for (const [suffix, precision] of Object.entries(ENVELOPES)) {
          const name = `${scan}.${suffix}`;
          if (!files.includes(name) || suffix === 'kmsg') continue;
          const got = parseFile(`${DIR}${ruleset}/${name}`);
          expect(got.skipped, name).toEqual([]);
          expect(got.packets.map(key), name).toEqual(ref.packets.map(key));
          got.packets.forEach((p, i) => {
            const want = (ref.packets[i] as Packet).ts;
            expect(Math.abs(p.ts - want), `${name} line ${i}`).toBeLessThan(precision);
          });
          if (!suffix.startsWith('dmesg') && suffix !== 'json.txt' && suffix !== 'export.txt') {
            expect(got.packets.every((p) => p.host === 'fw1'), name).toBe(true);
          }
        }
      });
    }
  });
}
