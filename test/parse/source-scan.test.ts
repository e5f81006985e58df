/**
 * scanLine (src/parse/source-scan.ts) reads an IPv6 source from a line's
 * bytes for a partitioned analysis, in full or shortened with `::`: it must
 * accept exactly the addresses parseIPv6 accepts (but for a dotted quad at
 * the end, which it leaves to the parser) and find the same first 64 bits,
 * which pick the source's thread. Checked on random addresses, valid and not.
 */
import { describe, expect, it } from 'vitest';
import { emptyScan, ipv6Head, scanLine } from '../../src/parse/source-scan.js';
import { parseIPv6 } from '../../src/net/address.js';

/** A deterministic pseudo-random sequence (xorshift32). */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** Addresses near valid ones: groups of 0-5 hex digits, `::` zero to twice, stray characters, a dotted quad now and then. */
function addressLike(r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const group = (): string => {
    const n = pick([0, 1, 1, 2, 3, 4, 4, 4, 5]);
    let g = '';
    for (let i = 0; i < n; i++) g += pick([...'0123456789abcdefABCDEF', ...(r() < 0.02 ? ['g', 'x', '.', '-'] : [])]);
    return g;
  };
  const parts: string[] = [];
  const count = Math.floor(r() * 10);
  for (let i = 0; i < count; i++) parts.push(group());
  let text = parts.join(':');
  if (r() < 0.5) {
    const at = Math.floor(r() * (text.length + 1));
    text = `${text.slice(0, at)}::${text.slice(at)}`;
  }
  if (r() < 0.05) text += `:${pick(['1.2.3.4', '300.1.1.1', '10.0.0'])}`;
  if (r() < 0.05) text = `${pick([':', '::', ':::'])}${text}`;
  return text;
}

/** The first 64 bits as scanLine gives them, or null when parseIPv6 rejects the text (or it holds a dotted quad). */
function expected(text: string): [number, number] | null {
  const g = parseIPv6(text);
  if (g === null || text.includes('.')) return null;
  return [(((g[0] as number) << 16) | (g[1] as number)) >>> 0, (((g[2] as number) << 16) | (g[3] as number)) >>> 0];
}

const line = (src: string, dst: string): string =>
  `Nov 21 03:00:00 fw1 kernel: [172800.004690] DROP IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:86:dd SRC=${src} DST=${dst} LEN=60 TC=0 HOPLIMIT=53 FLOWLBL=0 PROTO=TCP SPT=57797 DPT=1433 WINDOW=1024 RES=0x00 SYN URGP=0`;

describe('scanLine: IPv6 sources', () => {
  it('accepts what parseIPv6 accepts, with the same first 64 bits, on 40,000 random addresses', () => {
    const r = random(19);
    let valid = 0;
    for (let i = 0; i < 40_000; i++) {
      const text = addressLike(r);
      const want = expected(text);
      if (want !== null) valid++;
      const b = Buffer.from(line(text, '2001:db8::2'), 'latin1');
      const sc = emptyScan();
      // A token that is an IPv4 address is the IPv4 reader's (none of these is one).
      const got = scanLine(b, 0, b.length, sc) ? [sc.family, sc.src, sc.lo] : null;
      expect(got, text).toEqual(want === null ? null : [6, ...want]);
      if (want !== null) expect(sc.plainInbound, text).toBe(true);
    }
    // The generator makes both kinds.
    expect(valid).toBeGreaterThan(5_000);
    expect(valid).toBeLessThan(35_000);
  });

  it('reads the usual forms', () => {
    const head = (t: string): [number, number] | null => {
      const b = Buffer.from(line(t, '2001:db8::2'), 'latin1');
      const sc = emptyScan();
      const c = Buffer.from(` ${t} `, 'latin1');
      expect(ipv6Head(c, 1, c.length - 1), t).toBe(scanLine(b, 0, b.length, sc));
      return ipv6Head(c, 1, c.length - 1) ? [sc.src, sc.lo] : null;
    };
    expect(head('2a01:0:0:0::b409')).toEqual([0x2a010000, 0]);
    expect(head('2001:0db8:d8dd:389c:0000:0000:0000:0020')).toEqual([0x20010db8, 0xd8dd389c]);
    expect(head('::1')).toEqual([0, 0]);
    expect(head('::')).toEqual([0, 0]);
    expect(head('fe80::1:2:3:4:5')).toEqual([0xfe800000, 1]);
    expect(head('1:2:3:4:5:6:7::8')).toBeNull();
    expect(head('1::2::3')).toBeNull();
    expect(head('::ffff:1.2.3.4')).toBeNull();
    expect(head('12345::1')).toBeNull();
  });

  it('a shortened destination is read too (the line may be skipped by other threads)', () => {
    const b = Buffer.from(line('2a02:f1b:b06c:0::9e6f', '2001:db8::2'), 'latin1');
    const sc = emptyScan();
    expect(scanLine(b, 0, b.length, sc)).toBe(true);
    expect(b.latin1Slice(sc.dstFrom, sc.dstTo)).toBe('2001:db8::2');
  });
});
