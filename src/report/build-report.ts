/**
 * Assembles the JSON report object (the contract in shared/README.md) from
 * what the pipeline gathered. Pure: sorting and counting only. The head
 * (everything but the sources) needs only the listed sources' danger levels,
 * so a streamed report can write it before generating any source.
 */
import type { Report, ReportHead, ReportSummary, SourceReport } from '../model/report.js';
import { isoTime } from '../text/iso-time.js';

export interface ReportHeadInput {
  lines: number;
  firewallLines: number;
  skipped: Record<string, number>;
  topPorts: Report['topPorts'];
  topSignatures: Report['topSignatures'];
  logPrefixes: Record<string, number>;
  firstSeen: number;
  lastSeen: number;
  timeline?: Report['timeline'];
  /** Sources per level over everything tracked (also those not listed); default: counted from `sources`. */
  dangerLevels?: ReportSummary['dangerLevels'];
  extra?: Record<string, unknown>;
}

export interface ReportInput extends ReportHeadInput {
  sources: SourceReport[];
}

/** dl desc, then packets desc, then src: the contract's order. */
export function compareSources(a: SourceReport, b: SourceReport): number {
  return b.dl - a.dl || b.packets - a.packets || (a.src < b.src ? -1 : a.src > b.src ? 1 : 0);
}

/** The largest time (ms) a Date holds. */
const MAX_DATE_MS = 8.64e15;

/** ISO 8601, or null for no time (and for a time no Date can hold: a report is never lost to one). */
function iso(ms: number): string | null {
  return Math.abs(ms) <= MAX_DATE_MS ? isoTime(ms) : null;
}

/**
 * The report without its sources; `levels` holds the danger level of every
 * listed source. `input.dangerLevels`, when given, counts every tracked
 * source (also those below --min-dl that are not listed).
 */
export function reportHead(input: ReportHeadInput, levels: Iterable<number>): ReportHead {
  const dangerLevels: ReportSummary['dangerLevels'] = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
  let count = 0;
  for (const dl of levels) {
    count++;
    if (dl >= 1) dangerLevels[String(dl) as '1']++;
  }
  if (input.dangerLevels !== undefined) Object.assign(dangerLevels, input.dangerLevels);
  const skipped: Record<string, number> = {};
  for (const k of Object.keys(input.skipped).sort()) skipped[k] = input.skipped[k] as number;
  return {
    version: 1,
    summary: {
      lines: input.lines,
      firewallLines: input.firewallLines,
      skipped,
      sources: count,
      dangerLevels,
      firstSeen: iso(input.firstSeen),
      lastSeen: iso(input.lastSeen),
      ...input.extra,
    },
    topPorts: input.topPorts,
    topSignatures: input.topSignatures,
    logPrefixes: input.logPrefixes,
    ...(input.timeline === undefined ? {} : { timeline: input.timeline }),
  };
}

/** The head and its sources as one report object, `sources` in its place after `summary`. */
export function withSources(head: ReportHead, sources: SourceReport[]): Report {
  const { version, summary, ...rest } = head;
  return { version, summary, sources, ...rest };
}

export function buildReport(input: ReportInput): Report {
  const sources = [...input.sources].sort(compareSources);
  return withSources(reportHead(input, sources.map((s) => s.dl)), sources);
}
