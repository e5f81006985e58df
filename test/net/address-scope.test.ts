/**
 * addressScope() of a dotted quad the log parser has just read answers from
 * the remembered value (rememberIPv4): the same scope as reading the text.
 */
import { expect, it } from 'vitest';
import { addressScope } from '../../src/net/address-scope.js';
import { rememberIPv4 } from '../../src/net/address.js';
import { rng } from '../helpers/rng.js';

const quadValue = (a: string): number => a.split('.').reduce((v, part) => v * 256 + Number(part), 0);

it('gives the scope of the text for remembered addresses (every range edge and random ones)', () => {
  const next = rng(17);
  const edges = [
    '0.0.0.0', '0.255.255.255', '1.0.0.0', '9.255.255.255', '10.0.0.0', '10.255.255.255', '11.0.0.0', '100.63.255.255', '100.64.0.0',
    '100.127.255.255', '100.128.0.0', '126.255.255.255', '127.0.0.1', '128.0.0.0', '169.253.255.255', '169.254.0.1', '169.255.0.0',
    '172.15.255.255', '172.16.0.0', '172.31.255.255', '172.32.0.0', '192.167.255.255', '192.168.0.1', '192.169.0.0', '223.255.255.255',
    '224.0.0.0', '239.255.255.255', '240.0.0.0', '255.255.255.254', '255.255.255.255', '198.51.100.2',
  ];
  const randoms = Array.from({ length: 5000 }, () => [next() & 255, next() & 255, next() & 255, next() & 255].join('.'));
  for (const a of [...edges, ...randoms]) {
    // The text read with nothing remembered for it, then with its value remembered (as the parser does for SRC= and DST=).
    rememberIPv4('203.0.113.1', quadValue('203.0.113.1'));
    rememberIPv4('203.0.113.2', quadValue('203.0.113.2'));
    const fromText = addressScope(a, 4);
    rememberIPv4(a, quadValue(a));
    const fromValue = addressScope(a, 4);
    if (fromValue !== fromText) expect([a, fromValue]).toEqual([a, fromText]);
  }
});
