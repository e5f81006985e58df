/**
 * The HTML report: one self-contained document (inline CSS and SVG, no
 * script, nothing fetched) for `analyze --html`, `report --html` and the
 * daemon's live page, and the body of the report mail (charts as cid:
 * images there). Every value from the report goes through `text()`:
 * controls made visible, then HTML-escaped, so log data never becomes
 * markup; a Content-Security-Policy that allows no script backs this up.
 */
import type { ProtoReport, Report, SourceReport } from '../../model/report.js';
import { escapeHtml, visibleText } from '../../text/escape.js';
import { portRangeText, safeAsn, safeCountry, safeLevel, safeScanTypes, safeSource, safeTime, safeTool } from '../../text/report-fields.js';
import type { Chart } from './charts.js';
import { LEVEL_COLOURS, PAGE_CSS } from './style.js';
import { safeCount } from './view.js';

export interface PageOptions {
  title: string;
  /** Epoch ms shown as the generation time. */
  now: number;
  /** Attackers listed in the table and in detail (the full list is in --json). */
  top: number;
  /** Lines shown above the summary (the daemon header of a status report, blocks). */
  preamble?: string[];
  /** Live page: reload every N seconds (a meta refresh; the page has no script). */
  refreshSeconds?: number;
}

/** How a chart is embedded: inline SVG in the file, an image by cid in the mail. */
export type ChartEmbed = (c: Chart) => string;

export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data: cid:; base-uri 'none'; form-action 'none'";

/** Untrusted text for HTML: controls shown as \xNN, then escaped. */
export function text(v: unknown, max = 300): string {
  return escapeHtml(visibleText(v === null || v === undefined ? '' : String(v), max));
}

function num(n: unknown): string {
  return safeCount(n).toLocaleString('en-US');
}

export function levelChip(dl: unknown): string {
  const l = safeLevel(dl);
  return `<span class="dl dl${l}" style="background:${LEVEL_COLOURS[l]};color:#fff">DL${l}</span>`;
}

function table(head: string[], rows: string[][], numeric: ReadonlySet<number> = new Set(), id?: string): string {
  const th = head.map((h, i) => `<th${numeric.has(i) ? ' class="n"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric.has(i) ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`).join('\n');
  return `<div class="scroll"${id === undefined ? '' : ` id="${id}"`}><table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

function figure(charts: ReadonlyMap<string, Chart>, id: string, embed: ChartEmbed): string {
  const c = charts.get(id);
  return c === undefined ? '' : `<figure data-chart="${escapeHtml(c.id)}" data-marks="${c.marks}"><figcaption>${escapeHtml(c.title)}</figcaption>${embed(c)}</figure>`;
}

function sourceText(s: SourceReport): string {
  return text(safeSource(s.src) ?? s.src, 80);
}

function timeText(t: unknown): string {
  const v = safeTime(t);
  return v === null ? '-' : escapeHtml(v.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z'));
}

function blockedText(b: SourceReport['blocked']): string {
  if (b === null || typeof b !== 'object') return '';
  return b.until === null ? 'yes (no timeout)' : `until ${timeText(b.until)}`;
}

function reputationText(s: SourceReport): string {
  return (Array.isArray(s.reputation) ? s.reputation : []).map((r) => `${text(r.feed, 60)} (DL${safeLevel(r.dl)})`).join(', ');
}

function asText(s: SourceReport): string {
  const asn = safeAsn(s.asn);
  if (asn === null) return '';
  return typeof s.asOrg === 'string' && s.asOrg !== '' ? `AS${asn} ${text(s.asOrg, 60)}` : `AS${asn}`;
}

function summarySection(r: Report, charts: ReadonlyMap<string, Chart>, embed: ChartEmbed): string {
  const s = r.summary;
  const rows: string[][] = [
    ['Lines read', num(s.lines)],
    ['Firewall lines', num(s.firewallLines)],
  ];
  if (typeof s.packets === 'number') rows.push(['Packets scored', num(s.packets)]);
  rows.push(['Sources listed', num(r.sources.length)]);
  if (typeof s.tracked === 'number') rows.push(['Sources tracked', num(s.tracked)]);
  rows.push(['First packet', timeText(s.firstSeen)], ['Last packet', timeText(s.lastSeen)]);
  const skipped = Object.entries(s.skipped ?? {});
  const levels = ['5', '4', '3', '2', '1'].map((l) => [levelChip(Number(l)), num(s.dangerLevels?.[l as '1'])]);
  return [
    '<h2 id="summary">Summary</h2>',
    '<div class="grid"><div>',
    table(['', ''], rows, new Set([1])),
    '<h3>Skipped lines by reason</h3>',
    skipped.length === 0 ? '<p class="note">none</p>' : table(['Reason', 'Lines'], skipped.map(([k, n]) => [text(k, 60), num(n)]), new Set([1])),
    '</div><div>',
    '<h3>Sources per danger level</h3>',
    table(['Level', 'Sources'], levels, new Set([1])),
    '</div><div>',
    figure(charts, 'levels', embed),
    '</div></div>',
  ].join('\n');
}

function attackersSection(r: Report, top: number, links: boolean): string {
  const shown = r.sources.slice(0, top);
  const rows = shown.map((s, i) => [
    String(i + 1),
    levelChip(s.dl),
    links ? `<a class="mono" href="#d-${i + 1}">${sourceText(s)}</a>` : `<span class="mono">${sourceText(s)}</span>`,
    num(s.packets),
    num(s.destinations),
    escapeHtml(safeScanTypes(s.scanTypes).join(' ')),
    escapeHtml(safeTool(s.tool) ?? ''),
    escapeHtml(safeCountry(s.country) ?? ''),
    asText(s),
    reputationText(s),
    blockedText(s.blocked),
  ]);
  const more = r.sources.length > shown.length ? `<p class="note">${num(r.sources.length - shown.length)} more sources are not listed here; "tsad analyze --json" (or "tsad status --json") has them all.</p>` : '';
  return [
    `<h2 id="attackers">Top ${shown.length} attackers</h2>`,
    shown.length === 0 ? '<p class="note">no source at the listed levels</p>' : table(['#', 'Level', 'Source', 'Packets', 'Dsts', 'Scan types', 'Tool', 'Country', 'AS', 'Reputation', 'Blocked'], rows, new Set([0, 3, 4]), 'attackers-table'),
    more,
  ].join('\n');
}

function protoRows(protocols: Record<string, ProtoReport>): string[][] {
  return Object.entries(protocols ?? {}).map(([p, pr]) => {
    const flags = Object.entries(pr.flags ?? {}).sort((a, b) => safeCount(b[1]) - safeCount(a[1])).slice(0, 12).map(([f, n]) => `${text(f, 40)}: ${num(n)}`).join(', ');
    return [text(p, 10), num(pr.packets), escapeHtml(portRangeText(pr.portRange) ?? ''), pr.ports === undefined ? '' : num(pr.ports), flags];
  });
}

function kv(pairs: Array<[string, string]>): string {
  return `<dl class="kv">${pairs.filter(([, v]) => v !== '').map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function services(s: SourceReport): string {
  if (typeof s.services !== 'object' || s.services === null) return '';
  const rows = Object.entries(s.services as Record<string, { events?: unknown; users?: unknown; first?: unknown; last?: unknown }>).slice(0, 20).map(([name, v]) => [
    text(name, 40), num(v.events), Array.isArray(v.users) ? v.users.slice(0, 10).map((u) => text(u, 40)).join(', ') : '', timeText(v.first), timeText(v.last),
  ]);
  return rows.length === 0 ? '' : `<h3>Service log evidence</h3>${table(['Service', 'Events', 'Users', 'First', 'Last'], rows, new Set([1]))}`;
}

function detail(s: SourceReport, i: number): string {
  const addresses = Array.isArray(s.addresses) ? s.addresses.slice(0, 20).map((a) => text(a, 64)).join(', ') : '';
  const sigs = (Array.isArray(s.signatures) ? s.signatures : []).slice(0, 50).map((g) => [text(g.msg, 200), text(g.sid, 12), levelChip(g.dl), num(g.hits)]);
  const samples = Array.isArray(s.samples) ? (s.samples as unknown[]).slice(0, 20).map((l) => text(l, 1000)) : [];
  const icmp = Array.isArray(s.invalidIcmp) ? s.invalidIcmp.slice(0, 20).map((x) => text(x, 160)) : [];
  const head = kv([
    ['Direction', text(s.direction, 20) + (s.role === 'infected-local' ? ' (local host scanning out: likely infected)' : '')],
    ['Addresses', addresses],
    ['Scan types', escapeHtml(safeScanTypes(s.scanTypes).join(', '))],
    ['Tool', escapeHtml(safeTool(s.tool) ?? '')],
    ['OS guess', s.os ? text(s.os, 120) : ''],
    ['Country', escapeHtml(safeCountry(s.country) ?? '') + (typeof s.city === 'string' ? ` ${text(s.city, 60)}` : '')],
    ['AS', asText(s)],
    ['Reverse DNS', typeof s.rdns === 'string' ? text(s.rdns, 255) : ''],
    ['Reputation', reputationText(s)],
    ['Blocked', blockedText(s.blocked)],
    ['First seen', timeText(s.firstSeen)],
    ['Last seen', timeText(s.lastSeen)],
  ]);
  return [
    `<details><summary>${levelChip(s.dl)} <span class="mono">${sourceText(s)}</span> ${num(s.packets)} packets, ${num(s.destinations)} destinations</summary>`,
    `<div id="d-${i + 1}">`,
    head,
    table(['Protocol', 'Packets', 'Port range', 'Ports', 'Flags'], protoRows(s.protocols), new Set([1, 3])),
    sigs.length === 0 ? '' : `<h3>Signatures</h3>${table(['Message', 'Sid', 'Level', 'Hits'], sigs, new Set([1, 3]))}`,
    icmp.length === 0 ? '' : `<h3>Invalid ICMP</h3><pre>${icmp.join('\n')}</pre>`,
    services(s),
    samples.length === 0 ? '' : `<h3>Log samples</h3><pre>${samples.join('\n')}</pre>`,
    '</div></details>',
  ].join('\n');
}

function detailSection(r: Report, top: number): string {
  const shown = r.sources.slice(0, top);
  if (shown.length === 0) return '';
  return [`<h2 id="detail">Source detail (top ${shown.length})</h2>`, '<div id="detail-list">', ...shown.map(detail), '</div>'].join('\n');
}

/** Entries of the port, AS, signature and prefix tables (the charts rank as many). */
export const RANKED = 20;

function portsSection(r: Report, top: number, charts: ReadonlyMap<string, Chart>, embed: ChartEmbed): string {
  const rows = (Array.isArray(r.topPorts) ? r.topPorts : []).slice(0, Math.min(top, RANKED)).map((p) => [text(p.proto, 10), text(p.port, 5), num(p.packets)]);
  return [
    '<h2 id="ports">Top scanned ports</h2>',
    '<div class="grid"><div>',
    rows.length === 0 ? '<p class="note">none</p>' : table(['Proto', 'Port', 'Packets'], rows, new Set([1, 2])),
    '</div><div>', figure(charts, 'ports', embed), '</div></div>',
  ].join('\n');
}

function originSection(r: Report, top: number, charts: ReadonlyMap<string, Chart>, embed: ChartEmbed): string {
  const orgs = new Map<number, { org: string; n: number }>();
  for (const s of r.sources) {
    const asn = safeAsn(s.asn);
    if (asn === null) continue;
    const o = orgs.get(asn) ?? { org: typeof s.asOrg === 'string' ? s.asOrg : '', n: 0 };
    o.n++;
    orgs.set(asn, o);
  }
  const rows = [...orgs].sort((a, b) => b[1].n - a[1].n || a[0] - b[0]).slice(0, Math.min(top, RANKED)).map(([asn, o]) => [`AS${asn}`, text(o.org, 80), num(o.n)]);
  return [
    '<h2 id="origin">Scan types, tools and origin</h2>',
    '<div class="grid">',
    ...['scan-types', 'tools', 'countries', 'asns'].map((id) => `<div>${figure(charts, id, embed)}</div>`),
    '</div>',
    rows.length === 0 ? '' : `<h3>Autonomous systems</h3>${table(['AS', 'Organisation', 'Sources'], rows, new Set([2]))}`,
  ].join('\n');
}

function signaturesSection(r: Report, top: number): string {
  const rows = (Array.isArray(r.topSignatures) ? r.topSignatures : []).slice(0, Math.max(top, RANKED)).map((g) => [text(g.msg, 200), text(g.proto, 10), num(g.hits), num(g.sources), text(g.sid, 12), levelChip(g.dl)]);
  return ['<h2 id="signatures">Top signature matches</h2>', rows.length === 0 ? '<p class="note">none</p>' : table(['Signature', 'Proto', 'Hits', 'Sources', 'Sid', 'Level'], rows, new Set([2, 3, 4]))].join('\n');
}

function prefixSection(r: Report, top: number): string {
  const rows = Object.entries(r.logPrefixes ?? {}).slice(0, top).map(([p, n]) => [`<span class="mono">${text(p, 200)}</span>`, num(n)]);
  return ['<h2 id="prefixes">Log prefix counters</h2>', rows.length === 0 ? '<p class="note">none</p>' : table(['Prefix', 'Lines'], rows, new Set([1]), 'prefix-table')].join('\n');
}

/** The report's sections. `detail`: the per-source detail list and links to it (the file and live page; not the mail). */
export function reportBody(r: Report, charts: readonly Chart[], embed: ChartEmbed, o: PageOptions, detailList: boolean): string {
  const byId = new Map(charts.map((c) => [c.id, c]));
  const when = new Date(o.now).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
  return [
    `<h1>${text(o.title, 200)}</h1>`,
    `<p class="meta">generated ${escapeHtml(when)} by tsad</p>`,
    o.preamble && o.preamble.length > 0 ? `<pre>${o.preamble.map((l) => text(l, 500)).join('\n')}</pre>` : '',
    summarySection(r, byId, embed),
    '<h2 id="timeline">Timeline</h2>',
    byId.has('packets') || byId.has('new-sources') ? `${figure(byId, 'packets', embed)}${figure(byId, 'new-sources', embed)}` : '<p class="note">no timed packets</p>',
    attackersSection(r, o.top, detailList),
    portsSection(r, o.top, byId, embed),
    originSection(r, o.top, byId, embed),
    signaturesSection(r, o.top),
    prefixSection(r, o.top),
    detailList ? detailSection(r, o.top) : '',
  ].filter((x) => x !== '').join('\n');
}

/** A complete document around a body. */
export function htmlDocument(title: string, body: string, refreshSeconds?: number): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CSP)}">`,
    refreshSeconds !== undefined ? `<meta http-equiv="refresh" content="${Math.max(1, Math.floor(refreshSeconds))}">` : '',
    '<link rel="icon" href="data:,">',
    `<title>${text(title, 200)}</title>`,
    `<style>${PAGE_CSS}</style>`,
    '</head><body>',
    body,
    '</body></html>',
    '',
  ].filter((x) => x !== '').join('\n');
}
