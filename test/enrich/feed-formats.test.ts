import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFeedText, rangeToCidrs, rejectReason } from '../../src/enrich/feed-parse.js';
import { cidrContains, formatCidr, parseCidr, parseIPv4, type Cidr } from '../../src/net/address.js';
import type { FeedFormat } from '../../src/config/keys/enrich.js';

const FIX = join(import.meta.dirname, '../../fixtures/enrich');
const read = (name: string): string => readFileSync(join(FIX, name), 'utf8');

describe('feed formats (fixtures)', () => {
  it.each<[string, FeedFormat, string[], number, number]>([
    ['dshield-block.txt', 'dshield-block', ['198.51.100.0/24', '203.0.113.0/24', '45.148.10.0/24', '192.0.2.0/25'], 0, 0],
    ['dshield-top10.txt', 'dshield-top10', ['61.177.172.13', '198.51.100.7', '203.0.113.200', '2001:db8:77::5'], 0, 0],
    ['firehol.netset', 'firehol', ['100.64.0.0/10', '198.18.0.0/15', '203.0.113.64/26', '192.0.2.99'], 0, 0],
    ['emerging-threats.txt', 'emerging-threats', ['198.51.100.23', '198.51.100.24', '203.0.113.77', '192.0.2.128/25', '2001:db8:bad::/48'], 0, 0],
    [
      'plain-mixed.txt', 'plain',
      ['198.51.100.1', '198.51.100.0/28', '203.0.113.10/31', '203.0.113.12/31', '2001:db8:1::/64', '2001:db8::abcd'],
      2, // "this line is not an address", "1.2.3.4/33"
      3, // 0.0.0.0/0, 10.0.0.0/7, ::/0
    ],
  ])('%s as %s', async (file, format, entries, malformed, tooBroad) => {
    const p = await parseFeedText(read(file), format);
    expect(p.entries).toEqual(entries);
    expect(p.map.size).toBe(entries.length);
    expect(p.malformed).toBe(malformed);
    expect(p.tooBroad).toBe(tooBroad);
    expect(rejectReason(p)).toBeNull();
  });

  it('names the malformed lines by number', async () => {
    const p = await parseFeedText(read('plain-mixed.txt'), 'plain');
    expect(p.problems).toEqual(['line 12: not an address or CIDR: "this line is not an address"', 'line 13: not an address or CIDR: "1.2.3.4/33"']);
  });

  it('matches by longest prefix within a feed, IPv4 and IPv6', async () => {
    const p = await parseFeedText(read('plain-mixed.txt'), 'plain');
    expect(p.map.match('198.51.100.1')?.prefix).toBe('198.51.100.1');
    expect(p.map.match('198.51.100.9')?.prefix).toBe('198.51.100.0/28');
    expect(p.map.has('198.51.100.16')).toBe(false);
    expect(p.map.has('203.0.113.13')).toBe(true);
    expect(p.map.has('203.0.113.14')).toBe(false);
    expect(p.map.match('2001:db8:1:0:ffff::1')?.prefix).toBe('2001:db8:1::/64');
    expect(p.map.has('2001:db8:1:1::1')).toBe(false);
    expect(p.map.has('2001:0db8::ABCD')).toBe(true);
    expect(p.map.has('0.0.0.1')).toBe(false); // 0.0.0.0/0 was refused
  });

  it('an HTML error page, an empty body or only comments are rejected', async () => {
    const html = '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body>\n<h1>Bad Gateway</h1>\n</body>\n</html>\n';
    expect(rejectReason(await parseFeedText(html, 'plain'))).toMatch(/^no usable entries \(line 1: not an address or CIDR: "<!DOCTYPE html>"/);
    expect(rejectReason(await parseFeedText('', 'plain'))).toBe('no usable entries');
    expect(rejectReason(await parseFeedText('# nothing today\n', 'firehol'))).toBe('no usable entries');
    expect(rejectReason(await parseFeedText('0.0.0.0/0\n', 'plain'))).toBe('no usable entries, 1 too broad');
    const mostlyJunk = `192.0.2.1\n${'garbage\n'.repeat(5)}`;
    expect(rejectReason(await parseFeedText(mostlyJunk, 'plain'))).toMatch(/^5 malformed lines against 1 entries/);
  });

  it('a list in the wrong format is rejected rather than half read', async () => {
    // block.txt read as a top-10 list still finds addresses; the reverse finds nothing.
    expect(rejectReason(await parseFeedText(read('dshield-top10.txt'), 'dshield-block'))).not.toBeNull();
  });

  it('CRLF line ends and a BOM are fine', async () => {
    const p = await parseFeedText('\ufeff192.0.2.1\r\n192.0.2.2\r\n', 'plain');
    expect(p.entries).toEqual(['192.0.2.1', '192.0.2.2']);
  });
});

describe('IPv4 ranges to CIDRs', () => {
  it('covers exactly the range', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(5000), (start, span) => {
        const end = Math.min(0xffffffff, start + span);
        const cidrs = rangeToCidrs(start, end) as Cidr[];
        let next = start;
        for (const c of cidrs) {
          const first = parseIPv4(formatCidr(c).split('/')[0] as string) as number;
          expect(first).toBe(next);
          next = first + 2 ** (32 - c.len);
        }
        expect(next).toBe(end + 1);
        expect(cidrs.length).toBeLessThanOrEqual(62);
      }),
      { numRuns: 300 },
    );
    expect(rangeToCidrs(10, 9)).toBeNull();
  });
});

describe('feed matching agrees with a linear scan (the psad way)', () => {
  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
  const v6 = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 }).map((g) => g.map((x) => x.toString(16)).join(':'));
  const entry = fc.oneof(
    fc.tuple(v4, fc.integer({ min: 8, max: 32 })).map(([a, l]) => `${a}/${l}`),
    fc.tuple(v6, fc.integer({ min: 16, max: 128 })).map(([a, l]) => `${a}/${l}`),
  );

  it('for random lists and addresses, including addresses inside listed nets', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 40 }), fc.array(fc.oneof(v4, v6), { maxLength: 40 }), async (list, probes) => {
        const p = await parseFeedText(list.join('\n'), 'plain');
        const cidrs = list.map((e) => parseCidr(e) as Cidr);
        // Probe the listed networks' own addresses too, so hits are common.
        const all = [...probes, ...list.map((e) => e.split('/')[0] as string)];
        for (const a of all) expect(p.map.has(a)).toBe(cidrs.some((c) => cidrContains(c, a)));
      }),
      { numRuns: 200 },
    );
  });
});
