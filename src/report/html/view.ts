/**
 * What the HTML report and the report mail show, computed from a Report:
 * counts per level, hour (or day), port, scan type, tool, country and AS.
 * Only validated values (levels, ports, known scan types, tool names,
 * country codes, AS numbers) become chart labels; free text from the log
 * stays in the tables, where the page escapes it.
 */
import type { Report, SourceReport } from '../../model/report.js';
import { safeAsn, safeCountry, safeLevel, safePort, safeScanTypes, safeTool } from '../../text/report-fields.js';

export const LEVELS = [0, 1, 2, 3, 4, 5] as const;

export interface Bucket {
  /** Start of the hour or day, ISO 8601 UTC. */
  t: string;
  /** Counts indexed by danger level 0-5. */
  n: number[];
}

export interface Count {
  key: string;
  n: number;
  /** Highest danger level among the counted sources (colours the bar). */
  dl: number;
}

export interface ReportView {
  /** 'hour' unless the log spans more than MAX_HOURLY hours, then 'day'. */
  unit: 'hour' | 'day';
  packets: Bucket[];
  newSources: Bucket[];
  levels: Count[];
  ports: Count[];
  scanTypes: Count[];
  tools: Count[];
  countries: Count[];
  asns: Count[];
}

/** Beyond two weeks an hourly bar would be too thin to see: days are shown instead. */
const MAX_HOURLY = 24 * 14;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Non-negative whole counts; anything else (a hand-edited JSON report) counts 0. */
export function safeCount(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.floor(n) : 0;
}

/** Timeline buckets keyed by their start (ms), in order, with empty ones left out. */
function buckets(map: Map<number, number[]>): Bucket[] {
  return [...map.keys()].sort((a, b) => a - b).map((k) => ({ t: new Date(k).toISOString(), n: map.get(k) as number[] }));
}

function add(map: Map<number, number[]>, key: number, dl: number, n: number): void {
  let row = map.get(key);
  if (row === undefined) {
    row = [0, 0, 0, 0, 0, 0];
    map.set(key, row);
  }
  row[dl] = (row[dl] as number) + n;
}

function timeline(report: Report): Pick<ReportView, 'unit' | 'packets' | 'newSources'> {
  const hours = (Array.isArray(report.timeline) ? report.timeline : [])
    .map((h) => ({ ms: Date.parse(String(h.hour)), packets: Array.isArray(h.packets) ? h.packets : [] }))
    .filter((h) => Number.isFinite(h.ms));
  const firsts = report.sources.map((s) => ({ ms: Date.parse(String(s.firstSeen)), dl: safeLevel(s.dl) })).filter((s) => Number.isFinite(s.ms));
  const all = [...hours.map((h) => h.ms), ...firsts.map((s) => s.ms)];
  let lo = Infinity;
  let hi = -Infinity;
  for (const t of all) {
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  const unit = hi - lo > MAX_HOURLY * HOUR_MS ? 'day' : 'hour';
  const size = unit === 'day' ? DAY_MS : HOUR_MS;
  const packets = new Map<number, number[]>();
  for (const h of hours) for (const dl of LEVELS) {
    const n = safeCount(h.packets[dl]);
    if (n > 0) add(packets, Math.floor(h.ms / size) * size, dl, n);
  }
  const newSources = new Map<number, number[]>();
  for (const s of firsts) add(newSources, Math.floor(s.ms / size) * size, s.dl, 1);
  return { unit, packets: buckets(packets), newSources: buckets(newSources) };
}

/** Counts per key, most first, then by key; at most `top`. */
function ranked(counts: Map<string, { n: number; dl: number }>, top: number): Count[] {
  return [...counts].map(([key, v]) => ({ key, n: v.n, dl: v.dl }))
    .sort((a, b) => b.n - a.n || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .slice(0, top);
}

function tally(map: Map<string, { n: number; dl: number }>, key: string, n: number, dl: number): void {
  const c = map.get(key);
  if (c === undefined) map.set(key, { n, dl });
  else {
    c.n += n;
    if (dl > c.dl) c.dl = dl;
  }
}

/** Sources per scan type, tool, country and AS (each source once per key). */
function bySource(sources: readonly SourceReport[], top: number): Pick<ReportView, 'scanTypes' | 'tools' | 'countries' | 'asns'> {
  const types = new Map<string, { n: number; dl: number }>();
  const tools = new Map<string, { n: number; dl: number }>();
  const countries = new Map<string, { n: number; dl: number }>();
  const asns = new Map<string, { n: number; dl: number }>();
  for (const s of sources) {
    const dl = safeLevel(s.dl);
    for (const t of safeScanTypes(s.scanTypes)) tally(types, t, 1, dl);
    const tool = safeTool(s.tool);
    if (tool !== null) tally(tools, tool, 1, dl);
    const cc = safeCountry(s.country);
    if (cc !== null) tally(countries, cc, 1, dl);
    const asn = safeAsn(s.asn);
    if (asn !== null) tally(asns, `AS${asn}`, 1, dl);
  }
  return { scanTypes: ranked(types, top), tools: ranked(tools, top), countries: ranked(countries, top), asns: ranked(asns, top) };
}

function ports(report: Report, top: number): Count[] {
  const out: Count[] = [];
  for (const p of Array.isArray(report.topPorts) ? report.topPorts : []) {
    const port = safePort(p.port);
    if (port === null || !/^[a-z0-9]{1,8}$/.test(String(p.proto))) continue;
    out.push({ key: `${p.proto}/${port}`, n: safeCount(p.packets), dl: 0 });
    if (out.length >= top) break;
  }
  return out;
}

export function buildView(report: Report, top: number): ReportView {
  const levels: Count[] = [1, 2, 3, 4, 5].map((dl) => ({ key: `DL${dl}`, n: safeCount(report.summary.dangerLevels[String(dl) as '1']), dl }));
  return { ...timeline(report), levels, ports: ports(report, top), ...bySource(report.sources, top) };
}
