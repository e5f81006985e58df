/**
 * The text report in psad's section titles and line shapes, so psad users
 * and their scripts recognise it: `Top N signature matches`, `Top N
 * attackers`, `Top N scanned ports`, `iptables log prefix counters`, `IP
 * Status Detail`, `SRC:  <addr>, DL: <n>, Dsts: <n>, Pkts: <n>, Unique sigs:
 * <n>`, `Scanned ports: TCP 1000-1500`, `Total scan sources: <n>` and in
 * analyze mode `Level <n>: <count> IP addresses`.
 */
import { escapeText } from '../text/escape.js';
import { serviceLines } from '../text/service-text.js';
import type { DestinationView, Report, ReportHead, SourceReport } from '../model/report.js';
import { renderTable, type TableStyle } from './table.js';
import { colourLine, inputLines, nextSteps, portsText, trackingLines, type BlockingHint } from './text-explain.js';

/** Entries per top-N section: psad's STATUS_*_THRESHOLD keys, or --top N for all three. */
export function topLimits(cfg: { STATUS_SIGS_THRESHOLD: number; STATUS_IP_THRESHOLD: number; STATUS_PORTS_THRESHOLD: number }, top?: number): { sigs: number; ips: number; ports: number } {
  return top !== undefined ? { sigs: top, ips: top, ports: top } : { sigs: cfg.STATUS_SIGS_THRESHOLD, ips: cfg.STATUS_IP_THRESHOLD, ports: cfg.STATUS_PORTS_THRESHOLD };
}

export interface TextOptions extends TableStyle {
  /** analyze mode adds the preamble and the per-level counts. */
  mode: 'analyze' | 'status';
  /** Entries in the top signature / attacker / port sections. */
  top: { sigs: number; ips: number; ports: number };
  minDl: number;
  inputs?: string[];
  /** Status mode: extra lines shown after the header (daemon state, blocks). */
  statusHeader?: string[];
  blocksSection?: string[];
  /** Blocking as configured, for the next-steps hint (no hint without it). */
  blocking?: BlockingHint;
}

const UPPER: Record<string, string> = { tcp: 'TCP', udp: 'UDP', udplite: 'UDPLITE', sctp: 'SCTP', icmp: 'ICMP', icmp6: 'ICMP6' };

function protoLabel(p: string): string {
  return UPPER[p] ?? `PROTO ${p}`;
}

function none(lines: string[]): void {
  lines.push('        [NONE]');
}

/** A line as the terminal gets it: escaped, and with its danger level coloured on a colour terminal. */
function shown(line: string, color: boolean | undefined): string {
  return color === true ? colourLine(escapeText(line)) : escapeText(line);
}

/** Lines, each ended by a newline. */
function text(lines: readonly string[]): string {
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

/**
 * One source's block of the `IP Status Detail` section, every line escaped
 * (prefixes, signature messages, feed names); its level in colour with `color`.
 */
export function textSourceDetail(s: SourceReport, color = false): string {
  const lines: string[] = [];
  lines.push(`SRC:  ${s.src}, DL: ${s.dl}, Dsts: ${s.destinations}, Pkts: ${s.packets}, Unique sigs: ${s.signatures.length}`);
  if (s.addresses && s.addresses.length > 0) lines.push(`    Addresses: ${s.addresses.join(', ')}`);
  if (typeof s.rdns === 'string' && s.rdns !== '') lines.push(`    DNS: ${s.rdns}`);
  const org = typeof s.asOrg === 'string' && s.asOrg !== '' ? ` (${s.asOrg})` : '';
  const where = [s.country ? `Country: ${s.country}` : null, s.asn !== null ? `ASN: AS${s.asn}${org}` : null].filter(Boolean);
  if (where.length > 0) lines.push(`    ${where.join(', ')}`);
  lines.push(`    Direction: ${s.direction}${s.role === 'infected-local' ? ' (local host scanning out: likely infected)' : ''}`);
  // Why the source has its level: the last reason recorded (reasons[] in JSON has them all).
  const reasons = s.reasons;
  if (Array.isArray(reasons) && reasons.length > 0) lines.push(`    Reason: ${String(reasons[reasons.length - 1])}`);
  if (s.scanTypes.length > 0) lines.push(`    Scan types: ${s.scanTypes.join(', ')}${s.tool ? ` (tool: ${s.tool})` : ''}`);
  if (s.os) lines.push('    Source OS fingerprint:', `        ${s.os}`);
  for (const r of s.reputation) lines.push(`    Reputation feed: "${r.feed}", DL: ${r.dl}`);
  if (s.blocked) lines.push(`    Blocked: ${s.blocked.until === null ? 'until removed' : `until ${s.blocked.until}`}`);
  lines.push(`    First seen: ${s.firstSeen}, Last seen: ${s.lastSeen}`);
  lines.push('');
  for (const [proto, pr] of Object.entries(s.protocols)) {
    if (pr.portRange) lines.push(`        Scanned ports: ${protoLabel(proto)} ${portsText(s, proto, pr.portRange)}, Pkts: ${pr.packets}, Ports: ${pr.ports ?? 0}`);
    else lines.push(`        ${protoLabel(proto)} packets: ${pr.packets}`);
    if (pr.flags) lines.push(`            Flags: ${Object.entries(pr.flags).map(([f, n]) => `${f}: ${n}`).join(', ')}`);
  }
  for (const sig of s.signatures) {
    lines.push(`        Signature match: "${sig.msg}"`, `            Count: ${sig.hits}, Sid: ${sig.sid}, DL: ${sig.dl}`);
  }
  for (const bad of s.invalidIcmp) lines.push(`        Invalid ICMP: ${bad}`);
  destinationLines(s, lines);
  for (const l of serviceLines(s.services)) lines.push(`        Service: ${l}`);
  lines.push('');
  return text(lines.map((l) => shown(l, color)));
}

/** The `Top N attackers` rows: the first sources at DL >= 1 (sources come in the contract's order). */
export function isAttacker(s: SourceReport): boolean {
  return s.dl >= 1;
}

/** Status: psad -S's DST blocks, for the busiest destinations in the window (STATUS_DESTINATIONS). */
function destinationLines(s: SourceReport, lines: string[]): void {
  const dsts = s.topDestinations;
  if (!Array.isArray(dsts) || dsts.length === 0) return;
  const chains = typeof s.chains === 'object' && s.chains !== null ? Object.entries(s.chains as Record<string, number>).filter(([, k]) => k > 0).map(([c]) => c).join('/') : '';
  for (const d of dsts as DestinationView[]) {
    lines.push('', `    DST: ${d.dst}`);
    const ports = d.portRange === null ? '' : `ports ${d.portRange[0] === d.portRange[1] ? d.portRange[0] : `${d.portRange[0]}-${d.portRange[1]}`}, `;
    lines.push(`        ${d.protocols.map((p) => protoLabel(p)).join(' ')} ${ports}Pkts: ${d.packets}${chains ? `, Chain: ${chains}` : ''}, Last: ${d.lastSeen}`);
  }
  const inWindow = typeof s.destinationsInWindow === 'number' ? s.destinationsInWindow : dsts.length;
  if (inWindow > dsts.length) lines.push(`    (${inWindow - dsts.length} more destinations in the window; STATUS_DESTINATIONS shows ${dsts.length})`);
}

/**
 * Everything before the first source's detail: the preamble, the top-N
 * sections and the `IP Status Detail` title. Every line but the tables (whose
 * cells renderTable escapes) goes through escapeText: log prefixes, file
 * names, signature messages and daemon warnings cannot put control or bidi
 * characters on a terminal. `leading` are the first listed sources (at least
 * the top opt.top.ips attackers, at DL >= 1; for a scoped status report all
 * of them, whose port sets replace the top ports).
 */
export function textHead(report: ReportHead, leading: readonly SourceReport[], opt: TextOptions): string {
  const lines: string[] = [];
  const tables = new Set<number>();
  const table = (t: string): void => {
    tables.add(lines.length);
    lines.push(t);
  };
  const { sigs: topSigs, ips: topIps, ports: topPorts } = opt.top;
  if (opt.mode === 'analyze') {
    lines.push(`[+] Entering analysis mode. Parsing ${opt.inputs?.join(', ') ?? '(input)'}`);
    lines.push(`[+] Found ${report.summary.firewallLines} iptables log messages out of ${report.summary.lines} total lines.`);
    lines.push(...inputLines(report));
    lines.push('[+] Assigning scan danger levels...');
    for (const n of ['1', '2', '3', '4', '5'] as const) lines.push(`    Level ${n}: ${report.summary.dangerLevels[n]} IP addresses`);
    lines.push('', `    Tracking ${typeof report.summary.tracked === 'number' ? report.summary.tracked : report.summary.sources} total IP addresses`, ...trackingLines(report, opt.minDl), '');
  } else {
    lines.push(...(opt.statusHeader ?? []), '');
  }

  lines.push(`[+] Top ${topSigs} signature matches:`);
  if (report.topSignatures.length === 0) none(lines);
  else table(renderTable(['Signature', 'Proto', 'Count', 'Sources', 'Sid', 'DL'], report.topSignatures.slice(0, topSigs).map((t) => [`"${t.msg}"`, t.proto, t.hits, t.sources, t.sid, t.dl]), opt));
  lines.push('');

  lines.push(`[+] Top ${topIps} attackers:`);
  const attackers = leading.filter(isAttacker).slice(0, topIps);
  if (attackers.length === 0) none(lines);
  else table(renderTable(['Source', 'DL', 'Packets', 'Sig count', 'Country', 'Scan'], attackers.map((s) => [s.src, s.dl, s.packets, s.signatures.reduce((a, x) => a + x.hits, 0), s.country ?? '-', s.scanTypes.join(' ') || '-']), opt, undefined, 1));
  lines.push('');

  const scoped = typeof report.scope === 'object' && report.scope !== null;
  lines.push(`[+] Top ${topPorts} scanned ports:`);
  if (scoped) {
    // Per-port counts are kept for the whole log only: the sources' own port sets instead.
    const rows = leading.flatMap((s) => Object.entries(s.protocols).filter(([, pr]) => pr.portRange).map(([p, pr]) => `      ${s.src} ${p} ${portsText(s, p, pr.portRange as [number, number])} (${pr.ports ?? 0} ports, ${pr.packets} packets)`));
    if (rows.length === 0) none(lines);
    else lines.push(...rows.slice(0, topPorts), '      (the ports of the sources shown; packets per port are counted for all sources only)');
  } else if (report.topPorts.length === 0) none(lines);
  else table(renderTable(['Proto', 'Port', 'Packets'], report.topPorts.slice(0, topPorts).map((t) => [t.proto, t.port, t.packets]), opt));
  lines.push('');

  lines.push('[+] iptables log prefix counters:');
  const prefixes = Object.entries(report.logPrefixes);
  if (prefixes.length === 0) none(lines);
  else for (const [p, n] of prefixes) lines.push(`      "${p}": ${n}`);
  if (scoped && prefixes.length > 0) lines.push('      (counted for all sources; log prefixes are not kept per source)');
  lines.push('');

  if (opt.blocksSection) lines.push(...opt.blocksSection, '');

  const protos = report.summary.protocolCounters;
  if (typeof protos === 'object' && protos !== null && Object.keys(protos).length > 0) {
    // Most packets first (a JSON object lists numeric protocol keys first, whatever their counts).
    const entries = Object.entries(protos as Record<string, number>).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const shownProtos = entries.length > 10 ? entries.slice(0, 9) : entries;
    const rest = entries.slice(shownProtos.length);
    const w = Math.max(...shownProtos.map(([p]) => p.length), 8);
    lines.push('    Total protocol packet counters:', ...shownProtos.map(([p, k]) => `      ${(/^\d+$/.test(p) ? `proto ${p}` : p).padStart(w)}: ${k} pkts`));
    if (rest.length > 0) lines.push(`      ${'others'.padStart(w)}: ${rest.reduce((a, [, k]) => a + k, 0)} pkts (${rest.length} protocols)`);
    lines.push('');
  }

  lines.push('[+] IP Status Detail:');
  return text(lines.map((l, i) => (tables.has(i) ? l : shown(l, opt.color))));
}

/**
 * After the last source's detail: `Total scan sources: <n>`, `Total scan
 * destinations: <n>` (and `[NONE]` when there was none), then next steps for
 * `first`, the first listed sources (nextSteps looks at the first five at DL >= 1).
 */
export function textTail(count: number, destinations: number, first: readonly SourceReport[], opt: TextOptions): string {
  const lines: string[] = [];
  if (count === 0) none(lines);
  lines.push(`    Total scan sources: ${count}`);
  lines.push(`    Total scan destinations: ${destinations}`);
  const next = nextSteps(first, opt.mode, opt.blocking);
  if (next.length > 0) lines.push('', ...next);
  return text(lines.map((l) => shown(l, opt.color)));
}

export function renderText(report: Report, opt: TextOptions): string {
  const listed = report.sources.filter((s) => s.dl >= opt.minDl);
  let out = textHead(report, listed, opt);
  for (const s of listed) out += textSourceDetail(s, opt.color);
  return out + textTail(listed.length, listed.reduce((a, s) => a + s.destinations, 0), listed, opt);
}
