/**
 * line-bytes.ts helpers kept for speed, against the plain forms they stand
 * for: shortText against latin1Slice, findText (Horspool's search) against
 * a plain search, and the Interner (which compares a value to the last one
 * by its bytes) against the text of the bytes.
 */
import { describe, expect, it } from 'vitest';
import { bytesLine, findText, Interner, shortText, tokenEnd } from '../../src/parse/line-bytes.js';
import { rng } from '../helpers/rng.js';

describe('shortText', () => {
  it('is latin1Slice for every length, short tokens and others', () => {
    const next = rng(3);
    const b = Buffer.alloc(4096);
    for (let i = 0; i < b.length; i++) b[i] = 32 + (next() % 95);
    for (let i = 0; i < 20_000; i++) {
      const from = next() % 4000;
      const to = from + (next() % 24);
      const s = shortText(b, from, to);
      if (s !== b.latin1Slice(from, to)) expect(s).toBe(b.latin1Slice(from, to));
    }
  });
});

describe('findText', () => {
  it('finds the first occurrence wholly inside [from, end), as a plain search does', () => {
    const next = rng(5);
    const alphabet = 'IN=OUT:kernl SRCDPT ';
    const needles = ['IN=', 'OUT=', 'kernel:', 'DPT=', 'SRC=', ' DST=', ' PROTO=', 'I', 'NN', '==', 'IN=IN'];
    const plain = (b: Buffer, t: string, from: number, end: number): number => {
      for (let i = from; i + t.length <= end; i++) if (b.latin1Slice(i, i + t.length) === t) return i;
      return -1;
    };
    let found = 0;
    for (let i = 0; i < 30_000; i++) {
      let text = '';
      const len = next() % 80;
      for (let k = 0; k < len; k++) text += alphabet[next() % alphabet.length];
      const t = needles[next() % needles.length] as string;
      // Half the texts hold the needle (once or twice), anywhere, possibly cut by the bounds.
      const copies = i % 2 === 0 ? 0 : 1 + (next() & 1);
      for (let k = 0; k < copies; k++) {
        const at = next() % (text.length + 1);
        text = text.slice(0, at) + t + text.slice(at);
      }
      const b = Buffer.from(text, 'latin1');
      const from = next() % (text.length + 1);
      const end = from + (next() % (text.length - from + 1));
      const want = plain(b, t, from, end);
      const got = findText(b, t, from, end);
      if (got !== want) expect([text, t, from, end, got]).toEqual([text, t, from, end, want]);
      if (want >= 0) found++;
    }
    expect(found).toBeGreaterThan(3_000);
  });
});

describe('Interner', () => {
  it('answers the text of the bytes for repeats, changes, equal lengths, long values and slot collisions', () => {
    bytesLine();
    const next = rng(11);
    const names = new Interner();
    // A few values (some longer than the bytes kept for the last one), mostly repeated, some differing in one late byte.
    const values = ['eth0', 'eth1', 'eth10', '00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00', '00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:01', 'x'.repeat(64), `${'x'.repeat(64)}y`, `${'x'.repeat(64)}z`, 'DROP', 'DROQ'];
    const b = Buffer.alloc(256);
    let last = values[0] as string;
    for (let i = 0; i < 20_000; i++) {
      const v = next() % 3 === 0 ? (values[next() % values.length] as string) : next() % 7 === 0 ? `v${next() % 10_000}` : last;
      const at = next() % 100;
      b.fill(120);
      b.write(v, at, 'latin1');
      const got = names.get(b, at, at + v.length);
      if (got !== v) expect(got).toBe(v);
      last = v;
    }
  });
});

describe('Interner.token', () => {
  it('answers the token up to the next space or the end, and where it ends, as a scan does (recent values, look-alikes, prefixes of each other)', () => {
    bytesLine();
    const next = rng(13);
    const names = new Interner();
    const values = ['eth0', 'eth01', 'eth', 'e', '00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00', '00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:86:dd', '00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:86:dd:01', 'x'.repeat(70), 'x'.repeat(64)];
    const b = Buffer.alloc(256);
    for (let i = 0; i < 30_000; i++) {
      const v = next() % 9 === 0 ? `v${next() % 50}` : (values[next() % values.length] as string);
      const at = next() % 100;
      b.fill(120);
      // Followed by a space, by more text (a longer token), or cut by the line's end.
      const after = next() % 3;
      b.write(v, at, 'latin1');
      if (after === 0) b[at + v.length] = 32;
      const end = after === 2 ? at + v.length : at + v.length + 1 + (next() % 5);
      let want = at;
      while (want < end && b[want] !== 32) want++;
      const got = names.token(b, at, end);
      if (got !== b.latin1Slice(at, want) || tokenEnd !== want) expect([got, tokenEnd]).toEqual([b.latin1Slice(at, want), want]);
    }
  });
});
