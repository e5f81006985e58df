/**
 * `ipopts`: IPv4 option names (Snort's and psad's ip_options file) and a
 * walker over the `OPT (...)` hex that iptables logs with --log-ip-options.
 * The walker reads fixed one-byte options (EOL, NOP) as one byte and every
 * other option by its length byte (psad's walker was off by one there).
 */
import { RuleError } from './rule-error.js';

export const IPOPT_ANY = 256;

const NAMES: ReadonlyMap<string, number> = new Map([
  ['eol', 0], ['nop', 1], ['rr', 7], ['ts', 68], ['sec', 130], ['lsrr', 131], ['lsrre', 131],
  ['esec', 133], ['extsec', 133], ['comsec', 134], ['satid', 136], ['ssrr', 137],
  ['expm', 10], ['zsu', 10], ['mtu', 11], ['mtup', 11], ['mtur', 12], ['encode', 15],
  ['traceroute', 82], ['tr', 82], ['expaccess', 142], ['visa', 142], ['imitraf', 144], ['imitd', 144],
  ['extproto', 145], ['eip', 145], ['addrext', 147], ['addext', 147], ['ralert', 148], ['rtralt', 148],
  ['sbrdcast', 149], ['sdb', 149], ['nsapaddr', 150], ['dpktstate', 151], ['dps', 151],
  ['umcast', 152], ['ump', 152], ['qs', 25], ['expflow', 205], ['finn', 205],
]);

export function parseIpopt(raw: string): number {
  const v = raw.trim().toLowerCase();
  if (v === 'any') return IPOPT_ANY;
  const n = NAMES.get(v);
  if (n === undefined) throw new RuleError(`ipopts: unknown option "${raw}" (known: any, ${[...NAMES.keys()].join(', ')})`);
  return n;
}

function hexByte(s: string, i: number): number {
  const h = (c: number) => (c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1);
  const a = h(s.charCodeAt(i));
  const b = h(s.charCodeAt(i + 1));
  return a < 0 || b < 0 ? -1 : a * 16 + b;
}

/** True when the logged option hex holds option `type` (IPOPT_ANY: any option). */
export function hasIpOption(hex: string, type: number): boolean {
  if (hex.length < 2) return false;
  if (type === IPOPT_ANY) return true;
  for (let i = 0; i + 1 < hex.length; ) {
    const t = hexByte(hex, i);
    if (t < 0) return false;
    if (t === type) return true;
    if (t === 0) return false; // end of option list
    if (t === 1) {
      i += 2;
      continue;
    }
    const len = hexByte(hex, i + 2);
    if (len < 2) return false;
    i += len * 2;
  }
  return false;
}

export function ipoptName(type: number): string {
  if (type === IPOPT_ANY) return 'any';
  for (const [k, v] of NAMES) if (v === type) return k;
  return String(type);
}
