import { describe, expect, it } from 'vitest';
import { isoTime } from '../../src/text/iso-time.js';

describe('isoTime', () => {
  it('gives exactly what Date#toISOString gives', () => {
    const edges = [
      0, 1, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */, 951_868_800_000, 4_107_542_400_000 /* 2100-03-01 */,
      1_700_000_000_123, 253_402_300_799_999, 253_402_300_800_000, -1, -86_400_001, -62_198_755_200_000, 8.64e15, -8.64e15, 1.5, 1e12 + 0.25,
    ];
    for (const ms of edges) expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString());
    // Random times over the whole four-digit range, and a dense run over leap days.
    let x = 12345;
    for (let i = 0; i < 20_000; i++) {
      x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
      const ms = Math.floor((x / 2 ** 31) * 253_402_300_800_000);
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
    for (let day = 10_000; day < 12_000; day++) {
      const ms = day * 86_400_000 + ((day * 7_919_993) % 86_400_000);
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('throws as Date does for a time that is no time', () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
