/**
 * The JSON report in pieces, so a report with a million sources is written
 * as it is generated instead of being built as one string (V8 refuses
 * strings past 512 MiB). The pieces join to exactly `JSON.stringify(report,
 * null, 2)`: every piece is JSON.stringify's own output, and only the
 * framing around the `sources` array is cut out of it.
 */
import type { ReportHead, SourceReport } from '../model/report.js';

const OPEN = '\n  "sources": [';

export interface JsonFrame {
  /** From `{` up to and including `"sources": [`. */
  head: string;
  /** From the `]` closing the sources to the final `}`. */
  tail: string;
}

/**
 * Splits the stringified report around its (empty) sources array. The key
 * keeps its place in the contract's order: after `version` and `summary`.
 * A line holding exactly two spaces and `"sources": []` can only be that
 * top-level key (deeper keys are indented further, quotes in strings are escaped).
 */
export function jsonFrame(head: ReportHead): JsonFrame {
  const { version, summary, ...rest } = head;
  const text = JSON.stringify({ version, summary, sources: [], ...rest }, null, 2);
  const at = text.indexOf(`${OPEN}]`);
  if (at < 0) throw new Error('report head: no place for the sources');
  return { head: text.slice(0, at + OPEN.length), tail: text.slice(at + OPEN.length) };
}

/** Opening and closing of a doubly nested array, around an element at the depth of the report's sources. */
const NEST_OPEN = '[\n  [\n    '.length;
const NEST_CLOSE = '\n  ]\n]'.length;

/**
 * A source as it appears inside the report's array (four spaces in, after
 * `,\n    `): nesting it two arrays deep gives JSON.stringify's own output
 * the report's indentation. One call per source keeps every string small:
 * strings past 128 KiB go to V8's large-object space, which only a full
 * garbage collection frees, and a full collection with a million tracked
 * sources in the heap is slow.
 * `first`: the source opens the array (no comma before it).
 */
export function jsonSource(s: SourceReport, first: boolean): string {
  return `${first ? '\n    ' : ',\n    '}${nested([s])}`;
}

/** Sources at the depth of the report's array, joined as JSON.stringify joins them. */
function nested(sources: readonly SourceReport[]): string {
  return JSON.stringify([sources], null, 2).slice(NEST_OPEN, -NEST_CLOSE);
}

/**
 * Sources per JSON.stringify call in jsonSources: one call for several is
 * cheaper than one each (about a sixth less time), and sixteen sources of
 * a few KiB keep the string well below 128 KiB.
 */
const GROUP = 16;

/** The text of `sources.map((s) => jsonSource(s, false)).join('')`, in pieces of several sources. */
export function jsonSources(sources: readonly SourceReport[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < sources.length; i += GROUP) out.push(`,\n    ${nested(sources.slice(i, i + GROUP))}`);
  return out;
}

/** Between the last source and the frame's tail: the array's closing line, when it has elements. */
export function jsonSourcesEnd(count: number): string {
  return count > 0 ? '\n  ' : '';
}
