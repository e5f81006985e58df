/** The allocation-free address decoder agrees with the shared net library; hits are shared objects. */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { formatIPv6, parseIPv4, parseIPv6 } from '../../src/net/address.js';
import { ScratchAddress } from '../../src/signatures/address-set.js';
import { load, packet, tcpLine } from './helpers.js';

test('IPv6 text in any form decodes to the same groups as parseIPv6', () => {
  const a = new ScratchAddress();
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }), fc.boolean(), (groups, expanded) => {
      const g = Uint16Array.from(groups);
      const text = expanded ? groups.map((x) => x.toString(16).padStart(4, '0')).join(':') : formatIPv6(g);
      a.load(text, 6);
      expect(a.family).toBe(6);
      expect([...a.v6]).toEqual([...(parseIPv6(text) as Uint16Array)]);
    }),
    { numRuns: 2000 },
  );
  for (const bad of ['1::2::3', '12345::', ':1', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', 'g::1', '1:']) {
    a.load(bad, 6);
    expect(a.family, bad).toBe(0);
  }
  a.load('::ffff:192.0.2.1', 6);
  expect([...a.v6]).toEqual([0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201]);
});

test('IPv4 text decodes to the same number as parseIPv4', () => {
  const a = new ScratchAddress();
  fc.assert(
    fc.property(fc.ipV4(), (ip) => {
      a.load(ip, 4);
      expect(a.family).toBe(4);
      expect(a.v4).toBe(parseIPv4(ip));
    }),
  );
  a.load('1.2.3', 4);
  expect(a.family).toBe(0);
});

test('a rule that fires returns the same frozen hit object every time', () => {
  const { set } = load('alert tcp any any -> any 23 (msg:"t"; sid:1;)\n');
  const p = packet(tcpLine('203.0.113.5', '198.51.100.10', 1, 23));
  const a = set.match(p)?.[0];
  const b = set.match(p)?.[0];
  expect(a).toBe(b);
  expect(Object.isFrozen(a)).toBe(true);
  expect(set.match(packet(tcpLine('203.0.113.5', '198.51.100.10', 1, 24)))).toBeNull();
});
