/** Escaping and validation of untrusted text (pure functions). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertSubject } from '../../src/actions/email/alert-view.js';
import { portRangeText, safeAsn, safeCountry, safeSource, safeTool } from '../../src/actions/email/fields.js';
import { bodyLine, escapeHtml, headerValue } from '../../src/actions/email/sanitize.js';
import { source } from './helpers.js';

describe('sanitize', () => {
  it('header values never contain a control character and respect the length', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 4, max: 300 }), (s, max) => {
      const v = headerValue(s, max);
      expect(v).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]/);
      expect(v.length).toBeLessThanOrEqual(max);
    }));
  });

  it('escaped HTML never contains markup characters', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => {
      expect(escapeHtml(s)).not.toMatch(/[<>"']/);
    }));
    expect(escapeHtml('<a href="x">&\'</a>')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
  });

  it('body lines show controls instead of breaking lines', () => {
    expect(bodyLine('a\r\nb\x00\x1b[1m')).toBe('a\\x0d\\x0ab\\x00\\x1b[1m');
    expect(bodyLine('x'.repeat(600), 500)).toHaveLength(500);
    // A cut never splits a surrogate pair.
    expect(bodyLine(`${'x'.repeat(496)}\u{1F600}yyyy`, 500)).toBe(`${'x'.repeat(496)}...`);
  });
});

describe('subject fields', () => {
  it('accept only what the report contract promises', () => {
    expect(safeSource('2001:DB8:0:0::1')).toBe('2001:db8::1');
    expect(safeSource('203.0.113.5/24')).toBe('203.0.113.0/24');
    expect(safeSource('203.0.113.5\r\nBcc: x')).toBeNull();
    expect(safeCountry('cn')).toBeNull();
    expect(safeAsn(-1)).toBeNull();
    expect(safeTool('nmap\n')).toBeNull();
    expect(portRangeText([22, 22])).toBe('22');
    expect(portRangeText([1, 70000])).toBeNull();
  });

  it('a subject is built from validated fields whatever the report holds', () => {
    const anything = fc.oneof(fc.string({ unit: 'binary' }), fc.integer(), fc.constant(null));
    fc.assert(fc.property(anything, anything, anything, anything, fc.array(fc.string({ unit: 'binary' }), { maxLength: 4 }), (src, cc, asn, tool, types) => {
      const s = alertSubject(source({ src: src as string, country: cc as string, asn: asn as number, tool: tool as string, scanTypes: types as never }));
      expect(s).toMatch(/^DL[0-5] [0-9a-f.:/]+|\(invalid source\)/);
      expect(s).not.toMatch(/[\x00-\x1f\x7f]/);
      expect(s.length).toBeLessThanOrEqual(160);
    }));
  });
});
