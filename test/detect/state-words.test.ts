/**
 * Port bitmaps are saved as base64 of little-endian 32-bit words. The fast
 * path hands the array's bytes as they are: it must give the bytes of the
 * word-by-word encoding for any words (negative ones too) and for a view
 * that starts inside a larger buffer, and read back what it wrote.
 */
import { describe, expect, it } from 'vitest';
import { StateError, wordsFromBase64, wordsToBase64 } from '../../src/detect/state/state-fields.js';
import { rng } from '../helpers/rng.js';

/** The encoding spelled out: each word written little-endian. */
function byWord(w: Int32Array): string {
  const b = Buffer.alloc(w.length * 4);
  for (let i = 0; i < w.length; i++) b.writeInt32LE(w[i] as number, i * 4);
  return b.toString('base64');
}

describe('port bitmap words in base64', () => {
  it('encodes as word-by-word little-endian bytes and decodes to the same words', () => {
    const next = rng(7);
    for (let round = 0; round < 200; round++) {
      const n = round === 0 ? 0 : round < 100 ? 1 + (next() % 40) : 2048;
      const backing = new Int32Array(n + 8);
      for (let i = 0; i < backing.length; i++) backing[i] = next() | 0;
      // A view that starts inside its buffer, as a bitmap kept in a shared one would.
      const start = next() % 8;
      const w = backing.subarray(start, start + n);
      const text = wordsToBase64(w);
      expect(text).toBe(byWord(w));
      const back = wordsFromBase64(text, 'bits', n);
      expect(Array.from(back)).toEqual(Array.from(w));
      // Its own memory: changing what was decoded leaves the saved words alone.
      if (n > 0) {
        back[0] = (back[0] as number) ^ 1;
        expect(wordsToBase64(back)).not.toBe(text);
      }
    }
  });

  it('refuses text of the wrong length', () => {
    expect(() => wordsFromBase64(wordsToBase64(new Int32Array(3)), 'bits', 4)).toThrow(StateError);
  });
});
