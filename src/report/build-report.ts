/**
 * Assembles the JSON report object (the contract in shared/README.md) from
 * what the pipeline gathered. Pure: sorting and counting only.
 */
import type { Report, ReportSummary, SourceReport } from '../model/report.js';

export interface ReportInput {
  lines: number;
  firewallLines: number;
  skipped: Record<string, number>;
  sources: SourceReport[];
  topPorts: Report['topPorts'];
  topSignatures: Report['topSignatures'];
  logPrefixes: Record<string, number>;
  firstSeen: number;
  lastSeen: number;
  timeline?: Report['timeline'];
  extra?: Record<string, unknown>;
}

/** dl desc, then packets desc, then src: the contract's order. */
export function compareSources(a: SourceReport, b: SourceReport): number {
  return b.dl - a.dl || b.packets - a.packets || (a.src < b.src ? -1 : a.src > b.src ? 1 : 0);
}

/** The largest time (ms) a Date holds. */
const MAX_DATE_MS = 8.64e15;

/** ISO 8601, or null for no time (and for a time no Date can hold: a report is never lost to one). */
function iso(ms: number): string | null {
  return Math.abs(ms) <= MAX_DATE_MS ? new Date(ms).toISOString() : null;
}

export function buildReport(input: ReportInput): Report {
  const sources = [...input.sources].sort(compareSources);
  const dangerLevels: ReportSummary['dangerLevels'] = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
  for (const s of sources) if (s.dl >= 1) dangerLevels[String(s.dl) as '1']++;
  const skipped: Record<string, number> = {};
  for (const k of Object.keys(input.skipped).sort()) skipped[k] = input.skipped[k] as number;
  return {
    version: 1,
    summary: {
      lines: input.lines,
      firewallLines: input.firewallLines,
      skipped,
      sources: sources.length,
      dangerLevels,
      firstSeen: iso(input.firstSeen),
      lastSeen: iso(input.lastSeen),
      ...input.extra,
    },
    sources,
    topPorts: input.topPorts,
    topSignatures: input.topSignatures,
    logPrefixes: input.logPrefixes,
    ...(input.timeline === undefined ? {} : { timeline: input.timeline }),
  };
}
