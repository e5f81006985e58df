/**
 * Names of the IPv4 options in a logged `OPT (hex)` (`--log-ip-options`),
 * noted per source (source routing and record-route are old attack and
 * mapping tricks). Names as psad's ip_options file and Snort's ipopts use.
 */

const NAMES: Readonly<Record<number, string>> = {
  0: 'eol', 1: 'nop', 7: 'rr', 10: 'zsu', 11: 'mtup', 12: 'mtur', 15: 'encode', 25: 'qs', 30: 'exp',
  68: 'ts', 82: 'traceroute', 94: 'exp', 130: 'sec', 131: 'lsrr', 133: 'extsec', 134: 'cipso', 136: 'satid',
  137: 'ssrr', 142: 'visa', 144: 'imitd', 145: 'eip', 147: 'addext', 148: 'ralert', 149: 'sdb', 151: 'dps',
  152: 'ump', 158: 'exp', 205: 'finn', 222: 'exp',
};

/** Distinct option names in the hex (nop and eol left out); unknown kinds as "opt-N". */
export function ipOptionNames(hex: string): string[] {
  const out: string[] = [];
  const n = hex.length >> 1;
  for (let i = 0; i < n; ) {
    const kind = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    if (Number.isNaN(kind) || kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const name = NAMES[kind] ?? `opt-${kind}`;
    if (!out.includes(name)) out.push(name);
    const len = Number.parseInt(hex.slice(i * 2 + 2, i * 2 + 4), 16);
    if (Number.isNaN(len) || len < 2) break;
    i += len;
  }
  return out;
}
