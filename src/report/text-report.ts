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
import type { Report, SourceReport } from '../model/report.js';
import { renderTable, type TableStyle } from './table.js';

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
}

const UPPER: Record<string, string> = { tcp: 'TCP', udp: 'UDP', udplite: 'UDPLITE', sctp: 'SCTP', icmp: 'ICMP', icmp6: 'ICMP6' };

function protoLabel(p: string): string {
  return UPPER[p] ?? `PROTO ${p}`;
}

function none(lines: string[]): void {
  lines.push('        [NONE]');
}

/** The lines of one source; its text (prefixes, signature messages, feed names) is escaped by the caller. */
function sourceDetail(s: SourceReport, lines: string[]): void {
  lines.push(`SRC:  ${s.src}, DL: ${s.dl}, Dsts: ${s.destinations}, Pkts: ${s.packets}, Unique sigs: ${s.signatures.length}`);
  if (s.addresses && s.addresses.length > 0) lines.push(`    Addresses: ${s.addresses.join(', ')}`);
  const where = [s.country ? `Country: ${s.country}` : null, s.asn !== null ? `ASN: AS${s.asn}` : null].filter(Boolean);
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
    if (pr.portRange) lines.push(`        Scanned ports: ${protoLabel(proto)} ${pr.portRange[0]}-${pr.portRange[1]}, Pkts: ${pr.packets}, Ports: ${pr.ports ?? 0}`);
    else lines.push(`        ${protoLabel(proto)} packets: ${pr.packets}`);
    if (pr.flags) lines.push(`            Flags: ${Object.entries(pr.flags).map(([f, n]) => `${f}: ${n}`).join(', ')}`);
  }
  for (const sig of s.signatures) {
    lines.push(`        Signature match: "${sig.msg}"`, `            Count: ${sig.hits}, Sid: ${sig.sid}, DL: ${sig.dl}`);
  }
  for (const bad of s.invalidIcmp) lines.push(`        Invalid ICMP: ${bad}`);
  for (const l of serviceLines(s.services)) lines.push(`        Service: ${l}`);
  lines.push('');
}

/**
 * The report as text. Every line but the tables (whose cells renderTable
 * escapes) goes through escapeText: log prefixes, file names, signature
 * messages and daemon warnings cannot put control or bidi characters on a
 * terminal.
 */
export function renderText(report: Report, opt: TextOptions): string {
  const lines: string[] = [];
  const tables = new Set<number>();
  const table = (t: string): void => {
    tables.add(lines.length);
    lines.push(t);
  };
  const { sigs: topSigs, ips: topIps, ports: topPorts } = opt.top;
  const shown = report.sources.filter((s) => s.dl >= opt.minDl);
  if (opt.mode === 'analyze') {
    lines.push(`[+] Entering analysis mode. Parsing ${opt.inputs?.join(', ') ?? '(input)'}`);
    lines.push(`[+] Found ${report.summary.firewallLines} iptables log messages out of ${report.summary.lines} total lines.`);
    if (typeof report.summary.serviceLines === 'number' && report.summary.serviceLines > 0) lines.push(`[+] Found ${report.summary.serviceLines} service log messages (sshd, postfix, dovecot, web, users' patterns).`);
    const skipped = Object.entries(report.summary.skipped);
    if (skipped.length > 0) lines.push(`[+] Skipped: ${skipped.map(([k, n]) => `${k} ${n}`).join(', ')}`);
    lines.push('[+] Assigning scan danger levels...');
    for (const n of ['1', '2', '3', '4', '5'] as const) lines.push(`    Level ${n}: ${report.summary.dangerLevels[n]} IP addresses`);
    lines.push('', `    Tracking ${typeof report.summary.tracked === 'number' ? report.summary.tracked : report.summary.sources} total IP addresses`, '');
  } else {
    lines.push(...(opt.statusHeader ?? []), '');
  }

  lines.push(`[+] Top ${topSigs} signature matches:`);
  if (report.topSignatures.length === 0) none(lines);
  else table(renderTable(['Signature', 'Proto', 'Count', 'Sources', 'Sid', 'DL'], report.topSignatures.slice(0, topSigs).map((t) => [`"${t.msg}"`, t.proto, t.hits, t.sources, t.sid, t.dl]), opt));
  lines.push('');

  lines.push(`[+] Top ${topIps} attackers:`);
  const attackers = shown.filter((s) => s.dl >= 1).slice(0, topIps);
  if (attackers.length === 0) none(lines);
  else table(renderTable(['Source', 'DL', 'Packets', 'Sig count', 'Country', 'Scan'], attackers.map((s) => [s.src, s.dl, s.packets, s.signatures.reduce((a, x) => a + x.hits, 0), s.country ?? '-', s.scanTypes.join(' ') || '-']), opt));
  lines.push('');

  lines.push(`[+] Top ${topPorts} scanned ports:`);
  if (report.topPorts.length === 0) none(lines);
  else table(renderTable(['Proto', 'Port', 'Packets'], report.topPorts.slice(0, topPorts).map((t) => [t.proto, t.port, t.packets]), opt));
  lines.push('');

  lines.push('[+] iptables log prefix counters:');
  const prefixes = Object.entries(report.logPrefixes);
  if (prefixes.length === 0) none(lines);
  else for (const [p, n] of prefixes) lines.push(`      "${p}": ${n}`);
  lines.push('');

  if (opt.blocksSection) lines.push(...opt.blocksSection, '');

  lines.push('[+] IP Status Detail:');
  const detailed = shown.filter((s) => s.dl >= opt.minDl);
  if (detailed.length === 0) none(lines);
  for (const s of detailed) sourceDetail(s, lines);
  lines.push(`    Total scan sources: ${detailed.length}`);
  lines.push('');
  return lines.map((l, i) => (tables.has(i) ? l : escapeText(l))).join('\n');
}
