/**
 * Turns one SourceReport into what an alert mail shows: a subject built from
 * validated fields only, and labelled rows of already-neutralised text that
 * the text and HTML renderers lay out. Nothing here escapes for a format;
 * everything here is safe as plain text.
 */
import type { ProtoReport, SourceReport } from '../../model/report.js';
import {
  portRangeText, safeAsn, safeCountry, safeHostName, safeLevel, safeProto, safeScanTypes, safeSource, safeTime, safeTool,
} from './fields.js';
import { bodyLine, headerValue } from './sanitize.js';
import { serviceFailures, serviceLines } from '../../text/service-text.js';

/** What the caller knows besides the report. */
export interface AlertExtra {
  /** Host whose firewall logged the packets (psad's "Syslog hostname"). */
  host: string;
  /** The source's level before this change; an alert needs `src.dl > previousDl`. */
  previousDl: number;
  /** Reverse DNS of the source, when looked up; attacker-controlled text. */
  rdns?: string | null;
  /** A few raw log lines of this source. */
  samples?: string[];
  /** Destination addresses, when the caller tracks them (the report carries only their count). */
  destinations?: string[];
}

export type Row = readonly [label: string, value: string];

export interface Section {
  /** null: the head block without a title. */
  title: string | null;
  rows?: Row[];
  /** Pre-formatted lines (signature hits, raw log lines). */
  lines?: string[];
}

export interface AlertView {
  src: string;
  dl: number;
  /** Subject without the configured prefix. */
  subject: string;
  /** One line for digests: the subject plus the host. */
  summary: string;
  sections: Section[];
}

const MAX_DESTS_SHOWN = 20;
const MAX_SIGS_SHOWN = 25;
const PROTO_ORDER = ['tcp', 'udp', 'udplite', 'sctp', 'icmp', 'icmp6'];

/** Protocol keys of a report in a stable order: known names first, then numbers. */
function protoKeys(protocols: Record<string, ProtoReport>): string[] {
  const keys = Object.keys(protocols).filter((k) => safeProto(k) !== null);
  return keys.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function rank(p: string): number {
  const i = PROTO_ORDER.indexOf(p);
  return i < 0 ? 100 + Number(p) : i;
}

function count(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.floor(n) : 0;
}

export function alertSubject(src: SourceReport): string {
  const parts = [`DL${safeLevel(src.dl)}`, safeSource(src.src) ?? '(invalid source)'];
  const geo = [safeCountry(src.country), safeAsn(src.asn) === null ? null : `AS${safeAsn(src.asn)}`].filter((x) => x !== null);
  if (geo.length > 0) parts.push(`(${geo.join(', ')})`);
  const types = safeScanTypes(src.scanTypes);
  const tool = safeTool(src.tool);
  if (types.length > 0) {
    const shown = types.slice(0, 3).join('+') + (types.length > 3 ? '+...' : '');
    parts.push(`${shown} scan`);
  } else if (Array.isArray(src.signatures) && src.signatures.length > 0) {
    parts.push(`${src.signatures.length} signature match${src.signatures.length === 1 ? '' : 'es'}`);
  }
  const services = serviceFailures(src.services);
  if (services.length > 0) parts.push(services.slice(0, 2).map(([name, n]) => `${n} ${name} failure${n === 1 ? '' : 's'}`).join(', '));
  const protocols = typeof src.protocols === 'object' && src.protocols !== null ? src.protocols : {};
  const ranges = protoKeys(protocols)
    .map((p) => ({ p, r: portRangeText(protocols[p]?.portRange) }))
    .filter((x) => x.r !== null)
    .slice(0, 2)
    .map((x) => `${x.r}/${x.p}`);
  parts.push(...ranges);
  if (tool !== null) parts.push(`by ${tool}`);
  return headerValue(parts.join(' '), 160);
}

function protoRows(protocols: Record<string, ProtoReport>): Row[] {
  const rows: Row[] = [];
  for (const p of protoKeys(protocols)) {
    const r = protocols[p];
    if (r === undefined) continue;
    const name = /^\d/.test(p) ? `protocol ${p}` : p.toUpperCase();
    const range = portRangeText(r.portRange);
    if (range !== null) {
      rows.push([`Scanned ${name} ports`, `[${range}: ${count(r.packets)} packets, ${count(r.ports)} ports]`]);
    } else {
      rows.push([`${name} packets`, `[${count(r.packets)}]`]);
    }
    const flags = typeof r.flags === 'object' && r.flags !== null ? Object.entries(r.flags) : [];
    flags.sort((a, b) => count(b[1]) - count(a[1]) || a[0].localeCompare(b[0]));
    for (const [combo, n] of flags.slice(0, 8)) rows.push([`${name} flags`, `[${bodyLine(combo, 40)}: ${count(n)} packets]`]);
  }
  return rows;
}

function headRows(src: SourceReport, extra: AlertExtra, alertNumber: number): Row[] {
  const dl = safeLevel(src.dl);
  const protoCount = Object.keys(src.protocols ?? {}).length;
  const rows: Row[] = [
    ['tsad Alert', `host ${safeHostName(extra.host) ?? bodyLine(String(extra.host), 80)}`],
    ['Danger level', `[${dl}] (out of 5)${protoCount > 1 ? ' Multi-Protocol' : ''}`],
    ['Previous level', `[${safeLevel(extra.previousDl)}]`],
  ];
  const types = safeScanTypes(src.scanTypes);
  if (types.length > 0) rows.push(['Scan types', types.join(', ')]);
  const tool = safeTool(src.tool);
  if (tool !== null) rows.push(['Scanning tool', tool]);
  rows.push(['Scanned destinations', destinationText(src, extra)]);
  rows.push(['Total packets', String(count(src.packets))]);
  if (typeof src.direction === 'string') rows.push(['Direction', bodyLine(src.direction, 20)]);
  rows.push(...protoRows(src.protocols ?? {}));
  rows.push(['Total email alerts', String(alertNumber)]);
  return rows;
}

function destinationText(src: SourceReport, extra: AlertExtra): string {
  const n = count(src.destinations);
  const list = (extra.destinations ?? []).map((d) => safeSource(d)).filter((d): d is string => d !== null);
  if (list.length === 0) return String(n);
  const shown = list.slice(0, MAX_DESTS_SHOWN).join(', ');
  return `${n} (${shown}${list.length > MAX_DESTS_SHOWN ? ', ...' : ''})`;
}

function sourceRows(src: SourceReport, extra: AlertExtra): Row[] {
  const rows: Row[] = [['Source', safeSource(src.src) ?? `(invalid) ${bodyLine(String(src.src), 80)}`]];
  if (Array.isArray(src.addresses) && src.addresses.length > 0) {
    rows.push(['Addresses', src.addresses.slice(0, MAX_DESTS_SHOWN).map((a) => safeSource(a) ?? '?').join(', ')]);
  }
  const rdns = typeof extra.rdns === 'string' && extra.rdns !== '' ? bodyLine(extra.rdns, 255) : '[No reverse dns info available]';
  rows.push(['DNS', rdns]);
  rows.push(['Country', safeCountry(src.country) ?? '[unknown]']);
  const asn = safeAsn(src.asn);
  rows.push(['ASN', asn === null ? '[unknown]' : `AS${asn}`]);
  for (const r of Array.isArray(src.reputation) ? src.reputation : []) {
    rows.push(['Reputation feed', `'${bodyLine(String(r.feed), 80)}' (DL ${safeLevel(r.dl)})`]);
  }
  if (src.os !== null && src.os !== undefined) rows.push(['OS guess', bodyLine(String(src.os), 120)]);
  rows.push(['Blocked until', blockedText(src.blocked)]);
  rows.push(['First seen', safeTime(src.firstSeen) ?? '[unknown]']);
  rows.push(['Last seen', safeTime(src.lastSeen) ?? '[unknown]']);
  return rows;
}

function blockedText(b: SourceReport['blocked']): string {
  if (b === null || typeof b !== 'object') return '[not blocked]';
  if (b.until === null) return '[blocked, no timeout]';
  return safeTime(b.until) ?? '[blocked]';
}

function signatureLines(src: SourceReport): string[] {
  const sigs = Array.isArray(src.signatures) ? [...src.signatures] : [];
  sigs.sort((a, b) => count(b.dl) - count(a.dl) || count(b.hits) - count(a.hits));
  const lines = sigs.slice(0, MAX_SIGS_SHOWN).map(
    (s) => `"${bodyLine(String(s.msg), 160)}" sid: ${count(s.sid)}, DL: ${safeLevel(s.dl)}, packets: ${count(s.hits)}`,
  );
  if (sigs.length > MAX_SIGS_SHOWN) lines.push(`... and ${sigs.length - MAX_SIGS_SHOWN} more`);
  for (const icmp of Array.isArray(src.invalidIcmp) ? src.invalidIcmp.slice(0, 10) : []) lines.push(bodyLine(String(icmp), 160));
  return lines;
}

/** The full view of one alert. `alertNumber` counts this mail among the source's alert mails. */
export function buildAlertView(src: SourceReport, extra: AlertExtra, alertNumber: number, maxSamples: number): AlertView {
  const sections: Section[] = [
    { title: null, rows: headRows(src, extra, alertNumber) },
    { title: null, rows: sourceRows(src, extra) },
  ];
  const sigs = signatureLines(src);
  if (sigs.length > 0) sections.push({ title: 'Signature matches', lines: sigs });
  const services = serviceLines(src.services);
  if (services.length > 0) sections.push({ title: 'Service evidence', lines: services });
  const samples = (extra.samples ?? []).slice(-maxSamples).map((l) => bodyLine(String(l), 500));
  if (samples.length > 0) sections.push({ title: 'Log samples', lines: samples });
  const subject = alertSubject(src);
  const host = safeHostName(extra.host);
  return {
    src: safeSource(src.src) ?? '(invalid source)',
    dl: safeLevel(src.dl),
    subject,
    summary: host === null ? subject : `${subject} on ${host}`,
    sections,
  };
}
