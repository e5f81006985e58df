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
  /** True when SACK-permitted, timestamps or window scale are present (an OS socket's SYN). */
  osLike: boolean;
}

const NONE: TcpOptionsInfo = { layout: '', mss: -1, wscale: -1, osLike: false };

function hexByte(s: string, i: number): number {
  const v = Number.parseInt(s.slice(i, i + 2), 16);
  return Number.isNaN(v) ? -1 : v;
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
  const layout = letters.join(',');
  return { layout, mss, wscale, osLike: /[STW]/.test(layout) };
}

const LETTER_BYTES: Readonly<Record<string, number>> = { M: 4, N: 1, W: 3, S: 2, T: 10, E: 1 };

/** Bytes a layout takes on the wire, padded to the 4-byte boundary of the TCP header. */
export function layoutBytes(letters: readonly string[]): number {
  let n = 0;
  for (const l of letters) n += LETTER_BYTES[l[0] as string] ?? 2;
  return (n + 3) & ~3;
}
