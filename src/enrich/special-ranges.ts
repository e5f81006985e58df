/**
 * Addresses that belong to no country or network operator (IANA special-purpose
 * registries, RFC 6890): private, loopback, link-local, documentation,
 * benchmarking, multicast, reserved. GeoIP databases built from whois data give
 * some of them a country anyway (the embedded CC0 database says 198.51.100.0/24
 * is AU and 2001:db8::/32 is JP); reporting that would mislead, so these
 * addresses get no GeoIP answer at all.
 */
import { PrefixMap } from '../net/prefix-map.js';

const SPECIAL = [
  // IPv4
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.0.0.0/24', '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15',
  '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
  // IPv6 (::ffff:0:0/96 is handled by mapping to IPv4 instead)
  '::/128', '::1/128', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32',
  '3fff::/20', 'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8',
];

const special = new PrefixMap<true>();
for (const c of SPECIAL) special.set(c, true);

/** True when the address (valid text) is in a special-purpose range. */
export function isSpecialAddress(addr: string): boolean {
  return special.has(addr);
}

/**
 * The IPv4 address embedded in an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`),
 * so it is looked up as the IPv4 host it is; null for any other address.
 */
export function mappedIPv4(addr: string): string | null {
  const lower = addr.toLowerCase();
  if (!lower.startsWith('::ffff:')) return null;
  const tail = lower.slice(7);
  if (tail.includes('.')) return tail;
  const parts = tail.split(':');
  if (parts.length !== 2) return null;
  const hi = parseInt(parts[0] as string, 16);
  const lo = parseInt(parts[1] as string, 16);
  if (!Number.isInteger(hi) || !Number.isInteger(lo) || hi > 0xffff || lo > 0xffff) return null;
  return `${hi >>> 8}.${hi & 255}.${lo >>> 8}.${lo & 255}`;
}
