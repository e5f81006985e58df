/**
 * DST= of the last two destinations is answered from what was kept (the
 * token neither scanned nor read again), with its value remembered for
 * parseIPv4: lines that switch among a few destinations, IPv6 among them,
 * and tokens that begin like a kept one, read as when each is new.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { knownIPv4, parseIPv4 } from '../../src/net/address.js';
import { createParseContext } from '../../src/parse/context.js';
import { parseBytes } from '../../src/parse/parse-line.js';
import type { Packet } from '../../src/model/packet.js';

const DSTS = ['198.51.100.2', '198.51.100.20', '198.51.100.200', '10.0.0.1', '1.2.3.4', '2001:db8::2', '198.51.100.2x', '198.51.100.02', '198.51.100.2.5'];

function line(dst: string): string {
  const v6 = dst.includes(':');
  const src = v6 ? '2001:db8:7::9' : '203.0.113.9';
  return `Nov 21 03:00:00 fw1 kernel: DROP IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 SRC=${src} DST=${dst} LEN=44 TOS=0x00 PREC=0x00 TTL=53 ID=1 PROTO=TCP SPT=5 DPT=23 WINDOW=1024 RES=0x00 SYN URGP=0`;
}

describe('kept destinations', () => {
  it('read every DST= as a fresh parse would, in any order, at the end of a line too', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...DSTS), fc.boolean()), { maxLength: 60 }), (list) => {
        const ctx = createParseContext();
        const fresh = createParseContext();
        for (const [dst, last] of list) {
          // DST= last on the line: the token ends at the line's end, not at a space.
          const text = last ? `Nov 21 03:00:00 fw1 kernel: DROP IN=eth0 OUT= SRC=203.0.113.9 PROTO=ICMP TYPE=8 CODE=0 LEN=84 DST=${dst}` : line(dst);
          const b = Buffer.from(`junk ${text}\n`, 'latin1');
          const r = parseBytes(b, 5, b.length - 1, ctx, true);
          const want = typeof r === 'object' && r !== null ? { ...(r as Packet) } : r;
          const alone = Buffer.from(text, 'latin1');
          const ref = parseBytes(alone, 0, alone.length, fresh, true);
          expect(want).toEqual(typeof ref === 'object' && ref !== null ? { ...(ref as Packet) } : ref);
          if (typeof r === 'object' && r !== null && !dst.includes(':')) {
            expect(r.dst).toBe(dst);
            expect(knownIPv4(r.dst)).toBe(parseIPv4(dst));
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
