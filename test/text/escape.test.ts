/** The one escaping helper for untrusted text shown to people (terminal, CSV, errors, log, mail). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeLines, escapeText } from '../../src/text/escape.js';

const RAW = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('escapeText / escapeLines', () => {
  it('never lets a control or bidi character through, and changes nothing else', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      const e = escapeText(s);
      expect(e).not.toMatch(RAW);
      if (!RAW.test(s)) expect(e).toBe(s);
      const l = escapeLines(s);
      expect(l.replace(/[\n\t]/g, '')).not.toMatch(RAW);
    }), { seed: 14, numRuns: 500 });
  });

  it('shows what was there', () => {
    expect(escapeText('\u001b[31mA\rB\u0000\u009b\u202eC\u2028')).toBe('\\x1b[31mA\\x0dB\\x00\\x9b\\u202eC\\u2028');
    expect(escapeLines('a\r\nb\tc\rd\u001b')).toBe('a\nb\tc\\x0dd\\x1b');
    expect(escapeText('plain 2001:db8::1 "DROP" ü')).toBe('plain 2001:db8::1 "DROP" ü');
  });
});
