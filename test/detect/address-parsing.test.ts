import { describe, expect, it } from 'vitest';
import { normalizeIPv6 } from '../../src/net/address.js';
import { AddressSet } from '../../src/detect/address-set.js';

describe('IPv6 text (one pass, no slices)', () => {
  it.each([
    ['2001:0db8:d8dd:389c:0000:0000:0000:0020', '2001:db8:d8dd:389c::20'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['FE80::A', 'fe80::a'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['1::2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
  ])('%s reads as %s', (text, want) => {
    expect(normalizeIPv6(text)).toBe(want);
  });

  it.each([':::', '1:::2', '1::2::3', '::1:', ':1::2', '1:2:3:4:5:6:7:8:9', '1::2:3:4:5:6:7:8', '1:2:3:4:5:6:7', '12345::', '::1.2.3.04', '1.2.3.4::', '::1.2.3.4:5', '1:2:3:4:5:6:7:8:', 'g::1', ':'])('%s is refused', (text) => {
    expect(normalizeIPv6(text)).toBeNull();
  });
});

describe('AddressSet (sources of a signature)', () => {
  it('keeps insertion order across IPv4 and IPv6 and counts each address once', () => {
    const s = new AddressSet();
    for (const a of ['10.0.0.1', '2001:db8::1', '0.0.0.0', '255.255.255.255', '10.0.0.1', '2001:db8::1', '0.0.0.0', '192.0.2.7']) s.add(a);
    expect(s.size).toBe(5);
    expect(s.values()).toEqual(['10.0.0.1', '2001:db8::1', '0.0.0.0', '255.255.255.255', '192.0.2.7']);
  });

  it('stays exact past its table growing', () => {
    const s = new AddressSet();
    for (let i = 0; i < 5000; i++) expect(s.add(`10.${i >> 8}.${i & 255}.1`)).toBe(true);
    for (let i = 0; i < 5000; i++) expect(s.add(`10.${i >> 8}.${i & 255}.1`)).toBe(false);
    expect(s.size).toBe(5000);
    expect(s.values()[4999]).toBe('10.19.135.1');
  });
});
