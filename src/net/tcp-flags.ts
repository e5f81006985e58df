/** TCP flag bits as text in netfilter's order (`CWR ECE URG ACK PSH RST SYN FIN`); no flags is `NULL`. */
const NAMES: ReadonlyArray<readonly [number, string]> = [
  [128, 'CWR'], [64, 'ECE'], [32, 'URG'], [16, 'ACK'], [8, 'PSH'], [4, 'RST'], [2, 'SYN'], [1, 'FIN'],
];

const cache = new Map<number, string>();

export function tcpFlagsText(bits: number): string {
  let s = cache.get(bits);
  if (s === undefined) {
    s = NAMES.filter(([b]) => (bits & b) !== 0).map(([, n]) => n).join(' ') || 'NULL';
    cache.set(bits, s);
  }
  return s;
}
