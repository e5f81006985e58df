/**
 * Where an address can come from, read off its normalized text without
 * parsing it whole (dotted quad, or RFC 5952 IPv6 as the parser writes it):
 * a LAN (RFC 1918, link-local, ULA), the internet, a multicast group, ...
 * Detection uses it to tell LAN chatter and inside hosts from outside
 * sources; it allocates nothing.
 */
import { knownIPv4 } from './address.js';

export const Scope = {
  Public: 0,
  /** RFC 1918 (10/8, 172.16/12, 192.168/16). */
  Private: 1,
  /** 169.254/16, fe80::/10. */
  LinkLocal: 2,
  Loopback: 3,
  Multicast: 4,
  /** 255.255.255.255 (a subnet's broadcast address needs its prefix length). */
  Broadcast: 5,
  Unspecified: 6,
  /** 100.64/10, carrier-grade NAT (RFC 6598). */
  SharedNat: 7,
  /** fc00::/7, unique local IPv6 (RFC 4193). */
  UniqueLocal: 8,
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

/** The decimal number that starts at `i` of a dotted quad; -1 when none does. */
function octet(s: string, i: number): number {
  let v = 0;
  let n = 0;
  for (; i + n < s.length; n++) {
    const c = s.charCodeAt(i + n);
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  return n === 0 ? -1 : v;
}

/** scope4() of a dotted quad whose value is n (unsigned). */
function scope4Of(n: number): Scope {
  const a = n >>> 24;
  const b = (n >>> 16) & 255;
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return Scope.Private;
  if (a === 127) return Scope.Loopback;
  if (a === 169 && b === 254) return Scope.LinkLocal;
  if (a >= 224 && a <= 239) return Scope.Multicast;
  if (n === 0xffffffff) return Scope.Broadcast;
  if (a === 0) return Scope.Unspecified;
  if (a === 100 && b >= 64 && b <= 127) return Scope.SharedNat;
  return Scope.Public;
}

function scope4(s: string): Scope {
  // A packet's addresses were just read by the log parser, which remembered their values: no look at the text.
  const n = knownIPv4(s);
  if (n >= 0) return scope4Of(n);
  const a = octet(s, 0);
  const dot = s.indexOf('.');
  const b = dot < 0 ? -1 : octet(s, dot + 1);
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return Scope.Private;
  if (a === 127) return Scope.Loopback;
  if (a === 169 && b === 254) return Scope.LinkLocal;
  if (a >= 224 && a <= 239) return Scope.Multicast;
  if (s === '255.255.255.255') return Scope.Broadcast;
  if (a === 0) return Scope.Unspecified;
  if (a === 100 && b >= 64 && b <= 127) return Scope.SharedNat;
  return Scope.Public;
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function scope6(s: string): Scope {
  if (s === '::1') return Scope.Loopback;
  if (s === '::') return Scope.Unspecified;
  // The first group; compressed text drops leading zeros, so ff02 is "ff02" but 0xfe is "fe".
  let g = 0;
  let n = 0;
  for (; n < s.length && n < 5; n++) {
    const v = hex(s.charCodeAt(n));
    if (v < 0) break;
    g = g * 16 + v;
  }
  if (n === 0 || s.charCodeAt(n) !== 58) return Scope.Public; // "::x" and the like: the first group is 0
  if (g >= 0xff00) return Scope.Multicast;
  if (g >= 0xfe80 && g <= 0xfebf) return Scope.LinkLocal;
  if (g >= 0xfc00 && g <= 0xfdff) return Scope.UniqueLocal;
  if (g === 0 && s.startsWith('::ffff:') && s.includes('.')) return scope4(s.slice(7));
  return Scope.Public;
}

export function addressScope(addr: string, family: 4 | 6): Scope {
  return family === 4 ? scope4(addr) : scope6(addr);
}

/** An address that only exists inside a site: RFC 1918, link-local, ULA, 100.64/10, loopback. */
export function isInsideScope(s: Scope): boolean {
  return s === Scope.Private || s === Scope.LinkLocal || s === Scope.UniqueLocal || s === Scope.SharedNat || s === Scope.Loopback;
}

/** A source on the same link as the logging host could have: RFC 1918, link-local, ULA. */
export function isLanScope(s: Scope): boolean {
  return s === Scope.Private || s === Scope.LinkLocal || s === Scope.UniqueLocal;
}

/**
 * An IPv4 destination that looks like the broadcast address of a /24, /16
 * or /8 that `src` is in (10.99.0.255 from 10.99.0.7). Without the prefix
 * length this is a guess, so other lengths are left out (x.x.x.127 is a
 * common unicast address); the Ethernet destination ff:ff:ff:ff:ff:ff says
 * it for sure, see isBroadcastMac().
 */
export function looksLikeSubnetBroadcast(src: number, dst: number): boolean {
  for (let host = 8; host <= 24; host += 8) {
    const ones = 2 ** host - 1;
    if (dst % 2 ** host === ones && Math.floor(src / 2 ** host) === Math.floor(dst / 2 ** host)) return true;
  }
  return false;
}

/** The destination MAC of a LOG line's MAC= field (dst:src:type) is the Ethernet broadcast. */
export function isBroadcastMac(mac: string): boolean {
  return mac.startsWith('ff:ff:ff:ff:ff:ff');
}

/** The destination MAC is an IPv4 (01:00:5e) or IPv6 (33:33) multicast address. */
export function isMulticastMac(mac: string): boolean {
  return mac.startsWith('01:00:5e:') || mac.startsWith('33:33:');
}
