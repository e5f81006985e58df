/**
 * The words around the figures of the text report: what the skipped lines
 * were, why "Tracking N" is more than the levels add up to, the real port
 * sets, where to look next and how to block, and danger levels in colour on
 * a terminal. psad's lines keep their shapes; these lines come after them.
 */
import type { ReportHead, SourceReport } from '../model/report.js';
import { serviceFailures } from '../text/service-text.js';

/** A word on each skip reason (summary.skipped), so a reader knows why those lines were not scored. */
export const SKIP_WHY: Readonly<Record<string, string>> = {
  reply: 'answers to connections this side opened',
  backscatter: 'answers to packets spoofed with this host\'s address',
  'conntrack-leftover': 'late packets of closed connections',
  'own-traffic': 'this host\'s (or an inside host\'s) own client connections',
  'lan-discovery': 'multicast and broadcast chatter of the LAN (mDNS, SSDP, DHCP, ...)',
  malformed: 'firewall lines that could not be read',
  truncated: 'cut-off lines',
  'too-long': 'lines over MAX_LINE_LENGTH',
  binary: 'binary data',
  'bad-address': 'an address that does not parse',
  'bad-number': 'a number out of range',
  'bad-time': 'a time stamp that does not parse',
  'no-protocol': 'no PROTO= field',
  'ipv6-disabled': 'IPv6 with ENABLE_IPV6_DETECTION N',
  'ignored-prefix': 'IGNORE_LOG_PREFIXES',
  'not-matching-fw-msg-search': 'log prefix without an FW_MSG_SEARCH string',
  'ignored-interface': 'IGNORE_INTERFACES',
  'ignored-protocol': 'IGNORE_PROTOCOLS',
  'ignored-port': 'IGNORE_PORTS',
  'auto-dl-ignore': 'auto_dl level 0',
  'signature-ignore': 'a signature at level 0 (snort_rule_dl)',
  'outside-time-range': 'outside --since/--until',
  'service-bad-address': 'service lines whose address does not parse (tsad patterns test)',
  'service-bad-time': 'service lines with an impossible time stamp',
};

const n = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
const plural = (k: number, one: string, many = `${one}s`): string => `${k} ${k === 1 ? one : many}`;

/** After psad's "Found N iptables log messages out of M total lines.": other programs' lines and the skipped ones, by reason. */
export function inputLines(report: ReportHead): string[] {
  const s = report.summary;
  const out: string[] = [];
  const service = n(s.serviceLines);
  if (service > 0) out.push(`    ${plural(service, 'service log line')} (sshd, postfix, dovecot, web, users' patterns) read as evidence.`);
  const other = n(s.lines) - n(s.firewallLines) - service;
  if (other > 0) out.push(`    ${plural(other, 'line')} of other programs (not firewall log lines) passed over.`);
  const skipped = Object.entries(s.skipped).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (skipped.length > 0) {
    const total = skipped.reduce((a, [, k]) => a + k, 0);
    out.push(`[+] Skipped ${plural(total, 'firewall line')}, counted but not scored:`);
    const width = Math.max(...skipped.map(([r]) => r.length));
    for (const [r, k] of skipped) out.push(`      ${r.padEnd(width)}  ${String(k).padStart(7)}  ${SKIP_WHY[r] ?? ''}`.trimEnd());
  }
  return out;
}

/** After "Tracking N total IP addresses": why the levels add up to less, and what is not listed. */
export function trackingLines(report: ReportHead, minDl: number): string[] {
  const s = report.summary;
  const tracked = typeof s.tracked === 'number' ? s.tracked : s.sources;
  const levels = [1, 2, 3, 4, 5].reduce((a, l) => a + n(s.dangerLevels[String(l) as '1']), 0);
  const out: string[] = [];
  if (tracked > levels) out.push(`    (${plural(levels, 'source')} at levels 1-5 above; ${tracked - levels} at level 0: seen, too little to score)`);
  const below = minDl <= 1 ? 0 : [1, 2, 3, 4, 5].filter((l) => l < minDl).reduce((a, l) => a + n(s.dangerLevels[String(l) as '1']), 0);
  if (minDl > 1) out.push(`    Sources below level ${minDl} (--min-dl, MIN_DANGER_LEVEL) are counted above but not listed${below > 0 ? `: ${plural(below, 'source')} at levels 1-${minDl - 1}` : ''}.`);
  const evicted = n(s.evicted);
  if (evicted > 0) out.push(`    ${plural(evicted, 'source')} forgotten to stay within MAX_TRACKED_SOURCES (the daemon: MEMORY_BUDGET), lowest level and longest silent first.`);
  return out;
}

/** `1000-1100,8080` for a protocol of a source, else its span, capped so one line stays readable. */
export function portsText(s: SourceReport, proto: string, range: [number, number]): string {
  const scanned = s.portsScanned;
  const set = typeof scanned === 'object' && scanned !== null ? (scanned as Record<string, unknown>)[proto] : undefined;
  const text = typeof set === 'string' && set !== '' ? set : `${range[0]}-${range[1]}`;
  return text.length > 160 ? `${text.slice(0, text.lastIndexOf(',', 150))},...` : text;
}

/** Blocking as configured, for the next-steps hint. */
export interface BlockingHint {
  enabled: boolean;
  level: number;
  dryRun?: boolean;
}

/** "[+] Next steps:": the sources to look at first, how to see one, how to block it, whether blocking is on. */
export function nextSteps(sources: readonly SourceReport[], mode: 'analyze' | 'status', blocking: BlockingHint | undefined): string[] {
  const top = sources.filter((s) => s.dl >= 1).slice(0, 5);
  if (top.length === 0) return [];
  const out = ['[+] Next steps:'];
  const services = (s: SourceReport): string => serviceFailures(s.services).slice(0, 2).map(([name, k]) => `, ${name} ${plural(k, 'failure')}`).join('');
  const what = (s: SourceReport): string => `${s.src} (DL ${s.dl}${s.scanTypes.length > 0 ? `, ${s.scanTypes.slice(0, 2).join(' ')}` : ''}${s.tool ? `, ${s.tool}` : ''}${services(s)})`;
  out.push(`    Look first at: ${top.map(what).join(', ')}`);
  const first = top[0] as SourceReport;
  out.push(mode === 'status' ? `    One source in detail: tsad status --ip ${first.src}` : `    Their detail is under IP Status Detail; in JSON: tsad analyze --json ... (field "sources")`);
  const unblocked = top.filter((s) => s.blocked === null || s.blocked === undefined);
  if (unblocked.length > 0) out.push(`    Block one by hand: tsad block ${(unblocked[0] as SourceReport).src} (until removed; --timeout SECONDS for less; tsad unblock to lift it)`);
  if (blocking !== undefined) {
    if (!blocking.enabled) out.push(`    Automatic blocking is off (ENABLE_AUTO_IDS N): with ENABLE_AUTO_IDS Y the daemon blocks sources from danger level ${blocking.level} (AUTO_IDS_DANGER_LEVEL).`);
    else out.push(`    Automatic blocking is on from danger level ${blocking.level}${blocking.dryRun === true ? ', in a dry run (nothing reaches the firewall)' : ''}.`);
  }
  return out;
}

const LEVEL_COLOUR = ['', '\x1b[32m', '\x1b[33m', '\x1b[31m', '\x1b[1;31m', '\x1b[1;37;41m'];

/** A danger level in its colour (terminal only; the caller decides). */
export function levelColour(dl: number, text: string): string {
  const c = LEVEL_COLOUR[dl] ?? '';
  return c === '' ? text : `${c}${text}\x1b[0m`;
}

/** Colours the level of an already escaped report line: `SRC: ..., DL: n,` and `Level n: ...`. */
export function colourLine(line: string): string {
  if (line.startsWith('SRC:  ')) return line.replace(/, DL: (\d),/, (_m, d: string) => `, ${levelColour(Number(d), `DL: ${d}`)},`);
  const lv = /^( {4})(Level (\d): \d+ IP addresses)$/.exec(line);
  if (lv !== null && !lv[2]!.includes(': 0 ')) return `${lv[1]}${levelColour(Number(lv[3]), lv[2] as string)}`;
  return line;
}
