import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PortSet } from '../../src/detect/port-set.js';
import { DestinationTable } from '../../src/detect/destination-table.js';
import { HyperLogLog } from '../../src/detect/hyperloglog.js';
import { parseTcpOptions, tcpOptionsOsLike, layoutBytes } from '../../src/detect/tcp-options.js';
import { invalidIcmp } from '../../src/detect/icmp-types.js';
import { ipOptionNames } from '../../src/detect/ip-options.js';

describe('PortSet', () => {
  test('agrees with a Set for any sequence of ports', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 20, max: 200 })), { maxLength: 3000 }), (ports) => {
      const a = new PortSet();
      const b = new Set<number>();
      for (const p of ports) expect(a.add(p)).toBe(!b.has(p) && (b.add(p), true));
      expect(a.count).toBe(b.size);
      if (b.size > 0) {
        expect(a.min).toBe(Math.min(...b));
        expect(a.max).toBe(Math.max(...b));
      }
      for (let p = 0; p < 300; p++) expect(a.has(p)).toBe(b.has(p));
      for (const p of b) expect(a.has(p)).toBe(true);
    }), { numRuns: 60 });
  });

  test('text and saved form agree with a Set, also for runs of adjacent ports and after a restore', () => {
    const text = (ports: Set<number>): string => {
      const sorted = [...ports].sort((x, y) => x - y);
      const parts: string[] = [];
      for (let i = 0; i < sorted.length; ) {
        let j = i;
        while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
        parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
        i = j + 1;
      }
      return parts.length > 64 ? `${parts.slice(0, 64).join(',')},...` : parts.join(',');
    };
    const run = fc.tuple(fc.integer({ min: 0, max: 65_500 }), fc.integer({ min: 1, max: 30 }), fc.boolean());
    fc.assert(fc.property(fc.array(run, { maxLength: 40 }), (runs) => {
      const a = new PortSet();
      const b = new Set<number>();
      for (const [start, len, down] of runs) {
        for (let k = 0; k < len; k++) {
          const p = down ? start + len - 1 - k : start + k;
          expect(a.add(p)).toBe(!b.has(p) && (b.add(p), true));
        }
        expect(a.toString()).toBe(text(b));
      }
      const copy = new PortSet();
      copy.restorePorts(a.portSnapshot());
      expect(copy.toString()).toBe(text(b));
      expect(copy.count).toBe(b.size);
      for (const p of b) expect(copy.has(p)).toBe(true);
      const snap = a.portSnapshot();
      if (b.size === 1) expect(snap).toEqual({ port: [...b][0] });
      if (b.size > 1 && text(b).split(',').length === 1) expect(snap).toEqual({ ranges: Uint16Array.of(a.min, a.max) });
    }), { numRuns: 200 });
  });

  test('a second range below or above the first, then up to five ranges: order, text and saved form', () => {
    // The array made for a second range has room for four; the fifth grows it.
    for (const [ports, text, ranges] of [
      [[500, 501, 100], '100,500-501', [100, 100, 500, 501]],
      [[500, 499, 900], '499-500,900', [499, 500, 900, 900]],
      [[500, 900, 100, 700], '100,500,700,900', [100, 100, 500, 500, 700, 700, 900, 900]],
      [[500, 900, 100, 700, 300], '100,300,500,700,900', [100, 100, 300, 300, 500, 500, 700, 700, 900, 900]],
      [[500, 900, 100, 700, 300, 800, 600, 400, 200], '100,200,300,400,500,600,700,800,900', null],
    ] as const) {
      const s = new PortSet();
      for (const p of ports) s.add(p);
      expect(s.toString(), ports.join()).toBe(text);
      expect(s.portSnapshot()).toEqual({ ranges: Uint16Array.from(ranges ?? [100, 100, 200, 200, 300, 300, 400, 400, 500, 500, 600, 600, 700, 700, 800, 800, 900, 900]) });
    }
  });

  test('ranges of high ports (the top bit of a packed range) join, save and restore', () => {
    const s = new PortSet();
    for (const p of [65535, 40000, 65533, 32767, 32768, 65534, 0, 40001]) s.add(p);
    expect(s.toString()).toBe('0,32767-32768,40000-40001,65533-65535');
    expect([s.min, s.max, s.count]).toEqual([0, 65535, 8]);
    expect(s.has(65534) && s.has(32768) && !s.has(32769) && !s.has(65532)).toBe(true);
    const snap = s.portSnapshot();
    expect(snap).toEqual({ ranges: Uint16Array.of(0, 0, 32767, 32768, 40000, 40001, 65533, 65535) });
    const copy = new PortSet();
    copy.restorePorts(snap);
    copy.add(32769);
    copy.add(65532);
    expect(copy.toString()).toBe('0,32767-32769,40000-40001,65532-65535');
  });

  test('contiguous scans stay one range; text form', () => {
    const s = new PortSet();
    for (let p = 1000; p <= 1500; p++) s.add(p);
    s.add(22);
    s.add(80);
    expect(s.toString()).toBe('22,80,1000-1500');
    expect(s.count).toBe(503);
  });
});

describe('DestinationTable', () => {
  const toucher = (t: DestinationTable) => (dst: string, ts: number): void => {
    const d = t.touch(dst, ts, ts - 100, 1000);
    if (d !== null) d.dstSeen = ts;
  };

  test('ages destinations out of the window (small table)', () => {
    const t = new DestinationTable();
    const touch = toucher(t);
    touch('a', 0);
    touch('b', 10);
    touch('c', 20);
    touch('a', 50);
    expect(t.active).toBe(3);
    touch('d', 115); // cutoff 15: b (10) goes, a was refreshed at 50
    expect([...t.keys()].sort()).toEqual(['a', 'c', 'd']);
    touch('e', 160); // cutoff 60: c and a go
    expect([...t.keys()].sort()).toEqual(['d', 'e']);
    expect(t.active).toBe(2);
    expect(t.peak).toBe(3);
    expect(t.distinct()).toBe(5);
  });

  test('ages destinations out in last-seen order (large table)', () => {
    const t = new DestinationTable();
    const touch = toucher(t);
    for (let i = 0; i < 20; i++) touch(`h${i}`, i);
    touch('h0', 50);
    expect(t.active).toBe(20);
    expect(t.wouldPrune(5)).toBe(true);
    touch('x', 110); // cutoff 10: h1..h9 go, h0 was refreshed at 50
    expect([...t.keys()]).toEqual([...Array.from({ length: 10 }, (_, i) => `h${i + 10}`), 'h0', 'x']);
    expect(t.active).toBe(12);
    expect(t.distinct()).toBe(21);
  });

  test('the table is its own first destination until a second one arrives', () => {
    const t = new DestinationTable();
    const d = t.touch('x', 0, -Infinity, 10);
    expect(d).toBe(t);
    expect(t.touch('y', 1, -Infinity, 10)).not.toBe(t);
    expect(t.touch('x', 2, -Infinity, 10)).toBe(t);
  });

  test('a full table refuses new destinations and estimates the count', () => {
    const t = new DestinationTable();
    for (let i = 0; i < 300; i++) t.touch(`10.0.${i >> 8}.${i & 255}`, i, -Infinity, 50);
    expect(t.active).toBe(50);
    expect(t.overflowPackets).toBe(250);
    expect(t.exact).toBe(false);
    expect(Math.abs(t.distinct() - 300)).toBeLessThan(20);
  });
});

test('HyperLogLog stays within a few percent', () => {
  for (const n of [10, 100, 1000, 20000]) {
    const h = new HyperLogLog();
    for (let i = 0; i < n; i++) h.add(`2001:db8::${i.toString(16)}`);
    expect(Math.abs(h.estimate() - n) / n).toBeLessThan(0.08);
  }
});

describe('TCP options', () => {
  test('layouts of common stacks', () => {
    expect(parseTcpOptions('020405B40402080A61A19162000000000103030A')).toEqual({ layout: 'M,S,T,N,W', mss: 1460, wscale: 10 });
    expect(parseTcpOptions('020405B4010303080101 0402'.replace(' ', ''))).toEqual({ layout: 'M,N,W,N,N,S', mss: 1460, wscale: 8 });
    expect(parseTcpOptions('020405b4')).toEqual({ layout: 'M', mss: 1460, wscale: -1 });
    expect(parseTcpOptions('')).toEqual({ layout: '', mss: -1, wscale: -1 });
    expect(parseTcpOptions('0204')).toBeNull();
    expect(parseTcpOptions('02040')).toBeNull();
    expect(parseTcpOptions('ZZ')).toBeNull();
  });

  test('OS-like options (SACK, timestamps, window scale)', () => {
    expect(tcpOptionsOsLike('020405B4')).toBe(false);
    expect(tcpOptionsOsLike('020405B40402')).toBe(true);
    expect(tcpOptionsOsLike('0103030A')).toBe(true);
    expect(tcpOptionsOsLike('')).toBe(false);
  });

  test('layout byte lengths are padded to 4', () => {
    expect(layoutBytes(['M', 'S', 'T', 'N', 'W'])).toBe(20);
    expect(layoutBytes(['M', 'N', 'W', 'N', 'N', 'S'])).toBe(12);
    expect(layoutBytes(['M', 'N', 'W', 'N', 'N', 'T', 'S', 'E'])).toBe(24);
    expect(layoutBytes([])).toBe(0);
  });
});

describe('ICMP tables', () => {
  test('ICMPv4', () => {
    expect(invalidIcmp(4, 8, 0)).toBeNull();
    expect(invalidIcmp(4, 3, 13)).toBeNull();
    expect(invalidIcmp(4, 42, 0)).toBeNull();
    expect(invalidIcmp(4, 8, 1)).toBe('Invalid ICMP code: 1 for ICMP "Echo Request"');
    expect(invalidIcmp(4, 44, 0)).toBe('Invalid ICMP type: 44');
  });

  test('ICMPv6, including the types psad lacked', () => {
    for (const [t, c] of [[137, 0], [143, 0], [155, 0x8a], [161, 4], [4, 10], [1, 8], [138, 255]]) expect(invalidIcmp(6, t as number, c as number)).toBeNull();
    expect(invalidIcmp(6, 135, 22)).toBe('Invalid ICMP6 code: 22 for ICMP6 "Neighbor Solicitation"');
    expect(invalidIcmp(6, 162, 0)).toBe('Invalid ICMP6 type: 162');
  });
});

test('IP option names', () => {
  expect(ipOptionNames('830700000000000000')).toEqual(['lsrr']);
  expect(ipOptionNames('01940400')).toEqual(['ralert']);
  expect(ipOptionNames('0727040000000000000000000000000000000000000000000000000000000000000000000000000000')).toEqual(['rr']);
});
