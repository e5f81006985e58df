/**
 * Decodes the TCP options hex that `--log-tcp-options` (nft `log flags
 * tcp options`) writes, into a layout such as "M,S,T,N,W" plus the MSS and
 * window-scale values: what a SYN's options say about the stack that sent it.
 *
 * Letters: M MSS, N NOP, W window scale, S SACK permitted, K SACK blocks,
 * T timestamps, E end of list (padding after it is not listed), ?n other kind.
 */

export interface TcpOptionsInfo {
  /** Option letters in order, comma separated; '' for no options. */
  layout: string;
  mss: number;
  wscale: number;
}

const NONE: TcpOptionsInfo = { layout: '', mss: -1, wscale: -1 };

function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** The byte at hex offset i (two digits), -1 when not hex. */
function hexByte(s: string, i: number): number {
  const a = nibble(s.charCodeAt(i));
  const b = nibble(s.charCodeAt(i + 1));
  return a < 0 || b < 0 ? -1 : (a << 4) | b;
}

/**
 * Whether the options carry window scale, SACK permitted or timestamps (an
 * OS socket's SYN), without building the layout: the per-packet check.
 */
export function tcpOptionsOsLike(hex: string): boolean {
  const n = hex.length >> 1;
  for (let i = 0; i < n; ) {
    const kind = hexByte(hex, i * 2);
    if (kind <= 0) return false;
    if (kind === 1) {
      i++;
      continue;
    }
    if (kind === 3 || kind === 4 || kind === 8) return true;
    const len = hexByte(hex, i * 2 + 2);
    if (len < 2) return false;
    i += len;
  }
  return false;
}

const FIXED: Readonly<Record<number, [string, number]>> = { 2: ['M', 4], 3: ['W', 3], 4: ['S', 2], 8: ['T', 10] };

/** Null when the hex is malformed (odd length, bad digits, a length byte below 2 or past the end). */
export function parseTcpOptions(hex: string): TcpOptionsInfo | null {
  if (hex === '') return NONE;
  if ((hex.length & 1) !== 0) return null;
  const n = hex.length >> 1;
  const letters: string[] = [];
  let mss = -1;
  let wscale = -1;
  for (let i = 0; i < n; ) {
    const kind = hexByte(hex, i * 2);
    if (kind < 0) return null;
    if (kind === 0) {
      letters.push('E');
      break;
    }
    if (kind === 1) {
      letters.push('N');
      i++;
      continue;
    }
    const len = hexByte(hex, i * 2 + 2);
    if (len < 2 || i + len > n) return null;
    const fixed = FIXED[kind];
    if (fixed !== undefined && fixed[1] !== len) return null;
    letters.push(fixed?.[0] ?? (kind === 5 ? 'K' : `?${kind}`));
    if (kind === 2) mss = (hexByte(hex, i * 2 + 4) << 8) | hexByte(hex, i * 2 + 6);
    else if (kind === 3) wscale = hexByte(hex, i * 2 + 4);
    i += len;
  }
  return { layout: letters.join(','), mss, wscale };
}

const LETTER_BYTES: Readonly<Record<string, number>> = { M: 4, N: 1, W: 3, S: 2, T: 10, E: 1 };

/** Bytes a layout takes on the wire, padded to the 4-byte boundary of the TCP header. */
export function layoutBytes(letters: readonly string[]): number {
  let n = 0;
  for (const l of letters) n += LETTER_BYTES[l[0] as string] ?? 2;
  return (n + 3) & ~3;
}
