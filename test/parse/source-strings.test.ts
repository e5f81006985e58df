/**
 * SRC= dotted quads come from a cache of strings that stops looking while a
 * flood of new addresses finds nothing in it, and looks again later: the
 * text and its remembered value are right through a flood, repeats after
 * it, and a flood again.
 */
import { describe, expect, it } from 'vitest';
import { knownIPv4, parseIPv4 } from '../../src/net/address.js';
import { createParseContext } from '../../src/parse/context.js';
import { parseBytes } from '../../src/parse/parse-line.js';

const quad = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

describe('source address strings', () => {
  it('read right through floods of new addresses and repeats between them', () => {
    const ctx = createParseContext();
    const srcs: string[] = [];
    let x = 0x01020304;
    const fresh = (): string => quad((x = (Math.imul(x, 1103515245) + 12345) >>> 0) | 0x01000000);
    for (let i = 0; i < 60_000; i++) srcs.push(fresh());
    for (let i = 0; i < 20_000; i++) srcs.push(quad(0x0a000001 + (i % 50)));
    for (let i = 0; i < 50_000; i++) srcs.push(i % 3 === 0 ? quad(0x0a000001 + (i % 7)) : fresh());
    for (const src of srcs) {
      const b = Buffer.from(`Nov 21 03:00:00 fw1 kernel: DROP IN=eth0 OUT= SRC=${src} DST=198.51.100.2 LEN=44 TTL=53 ID=1 PROTO=TCP SPT=5 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0`, 'latin1');
      const r = parseBytes(b, 0, b.length, ctx, true);
      if (typeof r !== 'object' || r === null) throw new Error(`not parsed: ${src}`);
      if (r.src !== src) expect(r.src).toBe(src);
      if (knownIPv4(r.src) !== parseIPv4(src)) expect(knownIPv4(r.src)).toBe(parseIPv4(src));
    }
  });
});
