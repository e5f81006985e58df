/**
 * Addresses read from a line's bytes (netfilter-payload.ts, ipv6-bytes.ts):
 * dotted quads are accepted and refused exactly as parseIPv4 does, the
 * full-form IPv6 fast path gives normalizeIPv6's text, the caches answer
 * repeats and collisions with the right address, and the family follows
 * the source address.
 */
import { describe, expect, it } from 'vitest';
import type { Packet } from '../../src/model/packet.js';
import { normalizeIPv6, parseIPv4 } from '../../src/net/address.js';
import { createParseContext, parseBytes, parseLine, type ParseResult } from '../../src/parse/index.js';
import { compressedIPv6, fullIPv6 } from '../../src/parse/ipv6-bytes.js';
import { rng } from '../helpers/rng.js';

const ctx = () => createParseContext({ year: 2026, refTime: Date.UTC(2026, 11, 1) });

function line(src: string, dst = '198.51.100.2'): string {
  return `Nov 21 03:00:00 fw1 kernel: [172800.000014] DROP IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 SRC=${src} DST=${dst} LEN=44 TOS=0x00 PREC=0x00 TTL=53 ID=34173 PROTO=TCP SPT=59638 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0 `;
}

/** The line parsed from bytes (as archives are read), with the record copied out. */
function fromBytes(text: string): ParseResult {
  const b = Buffer.from(text, 'latin1');
  const r = parseBytes(b, 0, b.length, ctx(), true);
  return r !== null && typeof r === 'object' ? { ...r } : r;
}

function packet(r: ParseResult): Packet {
  if (r === null || typeof r !== 'object') throw new Error(`not a packet: ${String(r)}`);
  return r;
}

const hex4 = (v: number, upper = false): string => {
  const t = v.toString(16).padStart(4, '0');
  return upper ? t.toUpperCase() : t;
};

/** A valid dotted quad's value, computed apart from parseIPv4. */
const quadValue = (a: string): number => a.split('.').reduce((v, part) => v * 256 + Number(part), 0);

describe('dotted quads from bytes', () => {
  const cases = [
    '0.0.0.0', '1.2.3.4', '255.255.255.255', '10.0.0.1', '192.0.2.255',
    '256.1.1.1', '1.2.3.256', '01.2.3.4', '1.02.3.4', '1.2.3.004', '00.1.2.3', '1.2.3', '1.2.3.4.5',
    '1.2.3.4x', 'x1.2.3.4', '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', '1234.1.1.1', '1.2.3.-4', '+1.2.3.4',
    '999.999.999.999', '1.2.3.4.', '0.0.0.00',
  ];
  for (const a of cases) {
    it(`SRC=${JSON.stringify(a)} is ${parseIPv4(a.trim()) === null ? 'refused' : 'kept'} as parseIPv4 says`, () => {
      const text = line(a.trim());
      for (const r of [fromBytes(text), parseLine(text, ctx())]) {
        if (parseIPv4(a.trim()) === null) expect(r).toBe('bad-address');
        else {
          expect(packet(r).src).toBe(a.trim());
          expect(packet(r).family).toBe(4);
        }
      }
    });
  }

  it('many addresses through the cache (collisions included) keep their own text', () => {
    const next = rng(7);
    const c = ctx();
    for (let i = 0; i < 200_000; i++) {
      const n = next();
      const a = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      const b = Buffer.from(line(a), 'latin1');
      const r = packet(parseBytes(b, 0, b.length, c, true));
      if (r.src !== a) expect(r.src).toBe(a);
    }
    const z = Buffer.from(line('0.0.0.0'), 'latin1');
    expect(packet(parseBytes(z, 0, z.length, c, true)).src).toBe('0.0.0.0');
  });

  it('addresses seen once, twice and often (noted, then cached, then answered from the cache) keep their own text', () => {
    // A pool small enough that addresses repeat and large enough that slots collide (1 << 16 slots).
    const next = rng(11);
    const pool = Array.from({ length: 150_000 }, () => next());
    const c = ctx();
    for (let i = 0; i < 400_000; i++) {
      const n = pool[next() % (i < 200_000 ? pool.length : 500)] as number;
      const a = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      const b = Buffer.from(line(a), 'latin1');
      const r = packet(parseBytes(b, 0, b.length, c, true));
      if (r.src !== a) expect(r.src).toBe(a);
    }
  });

  it('random tokens of digits and dots as SRC= and DST= are read as parseIPv4 reads them, and parseIPv4 of the text read agrees', () => {
    const next = rng(19);
    const alphabet = '0123456789..........1259x:';
    const c = ctx();
    let kept = 0;
    for (let i = 0; i < 50_000; i++) {
      let a = '';
      const len = 1 + (next() % 17);
      for (let k = 0; k < len; k++) a += alphabet[next() % alphabet.length];
      // Most random tokens are refused: every fourth is made a valid quad, with leading zeros now and then.
      if (i % 4 === 0) a = [next() % 300, next() % 256, next() % 256, next() % 256].map((v) => (next() % 9 === 0 ? `0${v}` : String(v))).join('.');
      const want = parseIPv4(a);
      const other = `${next() % 256}.${next() % 256}.0.${next() % 256}`;
      for (const [src, dst] of [[a, other], [other, a]] as const) {
        const b = Buffer.from(line(src, dst), 'latin1');
        const r = parseBytes(b, 0, b.length, c, true);
        if (want === null) {
          // A refused token may still be another address form (IPv6 with a colon); it is never read as a quad.
          if (typeof r === 'object' && r !== null) expect(parseIPv4(src === a ? r.src : r.dst)).toBeNull();
          continue;
        }
        const p = packet(r);
        expect([p.src, p.dst]).toEqual([src, dst]);
        // The texts just read are remembered with their values (net/address.ts): the answers stay exact.
        expect([parseIPv4(p.src), parseIPv4(p.dst)]).toEqual([quadValue(src), quadValue(dst)]);
        kept++;
      }
    }
    expect(kept).toBeGreaterThan(10_000);
  });
});

describe('full-form IPv6 from bytes', () => {
  it('matches normalizeIPv6 on random groups, zero runs, ties and IPv4-mapped addresses', () => {
    const next = rng(42);
    const shapes: Array<(i: number) => number> = [
      () => next() & 0xffff,
      () => (next() & 3) === 0 ? next() & 0xffff : 0,
      () => (next() & 1) === 0 ? 0 : next() & 0xf,
      () => [0, 1, 0x10, 0x100, 0x1000, 0xffff, 0xabc][next() % 7] as number,
    ];
    for (let t = 0; t < 20_000; t++) {
      const shape = shapes[t % shapes.length] as (i: number) => number;
      const g = Array.from({ length: 8 }, (_, i) => shape(i));
      if (t % 97 === 0) g.splice(0, 6, 0, 0, 0, 0, 0, 0xffff);
      const text = g.map((v) => hex4(v, t % 5 === 0)).join(':');
      const b = Buffer.from(`x${text}y`, 'latin1');
      expect(fullIPv6(b, 1)).toBe(normalizeIPv6(text));
    }
    expect(fullIPv6(Buffer.from('0000:0000:0000:0000:0000:0000:0000:0000'), 0)).toBe('::');
    expect(fullIPv6(Buffer.from('0000:0000:0000:0000:0000:ffff:c000:0201'), 0)).toBe('::ffff:192.0.2.1');
    expect(fullIPv6(Buffer.from('2001:0db8:0000:0000:0001:0000:0000:0001'), 0)).toBe('2001:db8::1:0:0:1');
  });

  it('compressed forms read from bytes match normalizeIPv6, and random tokens are never read differently', () => {
    const next = rng(77);
    for (let t = 0; t < 20_000; t++) {
      const g = Array.from({ length: 8 }, () => ((next() & 1) === 0 ? 0 : next() & [0xf, 0xff, 0xffff][next() % 3]!));
      if (t % 97 === 0) g.splice(0, 6, 0, 0, 0, 0, 0, 0xffff);
      // Compress a random run (possibly empty or of nonzero groups, which is still a valid token for a parser) with `::`.
      const at = next() % 9;
      const len = Math.min(8 - at, next() % 9);
      const parts = g.map((v) => (t % 5 === 0 ? v.toString(16).toUpperCase() : v.toString(16)));
      const text = len === 0 && t % 2 === 0 ? parts.join(':') : `${parts.slice(0, at).join(':')}::${parts.slice(at + len).join(':')}`;
      const b = Buffer.from(`x${text}y`, 'latin1');
      const got = compressedIPv6(b, 1, 1 + text.length);
      const want = normalizeIPv6(text);
      if (want !== null && text.length <= 39) expect([text, got]).toEqual([text, want]);
      else if (got !== null) expect([text, got]).toEqual([text, want]);
    }
    const alphabet = '0123456789abcdefABCDEF:::::.%';
    for (let t = 0; t < 50_000; t++) {
      let text = '';
      const n = 1 + (next() % 20);
      for (let k = 0; k < n; k++) text += alphabet[next() % alphabet.length];
      const got = compressedIPv6(Buffer.from(text, 'latin1'), 0, text.length);
      if (got !== null && got !== normalizeIPv6(text)) expect([text, got]).toEqual([text, normalizeIPv6(text)]);
    }
    for (const [t, want] of [['::', '::'], ['::1', '::1'], ['1::', '1::'], ['2a04:958:ef34:2::ea22', '2a04:958:ef34:2::ea22'], ['1:0:0:2::', '1:0:0:2::'], ['0:0::0:1', '::1']] as const) {
      expect(compressedIPv6(Buffer.from(t), 0, t.length)).toBe(want);
    }
    for (const t of [':', ':::', '1:::2', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4::5:6:7:8', '12345::1', '::1:', ':1::', '::ffff:1.2.3.4', 'fe80::1%eth0']) {
      expect(compressedIPv6(Buffer.from(t), 0, t.length)).toBeNull();
    }
  });

  it('leaves every other 39-byte token to the general parser', () => {
    for (const t of [
      '2001:0db8:0000:0000:0000:0000:0000:000g', '2001:0db8:0000:0000:0000:0000:0000-0001', '2001:0db8::0000:0000:0000:0000:00001',
      '2001:0db8:0000:0000:0000:0000:0000.0001', ':001:0db8:0000:0000:0000:0000:0000:0001', '2001.0db8.0000.0000.0000.0000.0000.0001',
    ]) expect(fullIPv6(Buffer.from(t), 0)).toBeNull();
  });

  const v6 = [
    '2001:0db8:d8dd:389c:0000:0000:0000:0020', '2001:0DB8:0000:0000:0000:0000:0000:0002', '::1', '2001:db8::2', '::ffff:192.0.2.1',
    'fe80:0000:0000:0000:0000:0000:0000:0001', '2001:0db8:0000:0000:0000:0000:0000:00001', '2001:0db8:0000:0000:0000:0000:0000:000g',
    '2001:db8:::1', '2001:0db8:0000:0000:0000:0000:0000', '1:2:3:4:5:6:7:8:9', '::ffff:256.1.1.1', '12345::1', 'a:b', ':',
    '0000:0000:0000:0000:0000:0000:0000:0000', '2001:0db8:0000:0000:0000:0000:0000:0002:', '2001:0db8:0000:0000:0000:0000:0000:0002x',
  ];
  for (const a of v6) {
    it(`SRC=${a} parses as normalizeIPv6 says, twice (the second from the cache)`, () => {
      const want = normalizeIPv6(a);
      const c = ctx();
      const b = Buffer.from(line(a, '2001:0db8:0000:0000:0000:0000:0000:0002'), 'latin1');
      for (let k = 0; k < 2; k++) {
        const r = parseBytes(b, 0, b.length, c, true);
        if (want === null) expect(r).toBe('bad-address');
        else {
          expect(packet(r).src).toBe(want);
          expect(packet(r).family).toBe(6);
          expect(packet(r).dst).toBe('2001:db8::2');
        }
      }
      const t = parseLine(line(a, '2001:0db8:0000:0000:0000:0000:0000:0002'), ctx());
      if (want === null) expect(t).toBe('bad-address');
      else expect(packet(t).src).toBe(want);
    });
  }

  it('a token longer than any address is refused', () => {
    expect(fromBytes(line(`2001:${'0'.repeat(60)}::1`))).toBe('bad-address');
  });
});

describe('IPv6 tokens seen just before', () => {
  it('lines of one chunk, IPv6 and IPv4 interleaved, repeats and look-alikes (one a prefix of another), read as normalizeIPv6 says', () => {
    const next = rng(29);
    const full = (g: number[]): string => g.map((v) => hex4(v)).join(':');
    const pool = [
      full([0x2001, 0xdb8, 0, 0, 0, 0, 0, 2]), full([0x2001, 0xdb8, 0xd8dd, 0x389c, 0, 0, 0, 0x20]), '2001:db8::1', '2001:db8::12', '2001:db8::123',
      '2001:DB8::1', 'fe80::1', '::1', '2001:db8::1x', '2001:db8:::1', full([0xfe80, 0, 0, 0, 0, 0, 0, 1]),
    ];
    const texts: Array<[string, string]> = [];
    for (let i = 0; i < 4000; i++) {
      const v4 = next() % 4 === 0;
      const rand = (): string => (next() % 3 === 0 ? full(Array.from({ length: 8 }, () => (next() % 3 === 0 ? 0 : next() & 0xffff))) : (pool[next() % pool.length] as string));
      texts.push(v4 ? [`10.0.${next() & 255}.${next() & 255}`, '198.51.100.2'] : [rand(), rand()]);
    }
    const lines = texts.map(([s, d]) => line(s, d).replace('MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 ', s.includes(':') ? 'MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:86:dd ' : 'MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 '));
    const chunk = Buffer.from(`${lines.join('\n')}\n`, 'latin1');
    const c = ctx();
    let start = 0;
    for (let i = 0; i < lines.length; i++) {
      const end = chunk.indexOf(10, start);
      const r = parseBytes(chunk, start, end, c, true);
      start = end + 1;
      const [s, d] = texts[i] as [string, string];
      const want = (a: string): string | null => (a.includes(':') ? normalizeIPv6(a) : parseIPv4(a) === null ? null : a);
      if (want(s) === null || want(d) === null) {
        if (r !== 'bad-address') expect([s, d, r]).toEqual([s, d, 'bad-address']);
        continue;
      }
      const p = packet(r);
      if (p.src !== want(s) || p.dst !== want(d) || p.mac !== (s.includes(':') ? '00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:86:dd' : '00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00')) {
        expect([s, d, p.src, p.dst, p.mac]).toEqual([s, d, want(s), want(d), 'the MAC of the line']);
      }
      expect(p.dport).toBe(23);
    }
  });
});
