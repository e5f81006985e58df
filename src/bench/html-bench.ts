/**
 * The HTML report of the bench log's analysis: how long drawing the charts
 * and writing the page takes for the JSON report `analyze --json` printed
 * (tens of thousands of sources), and how large the page is. A benchmark,
 * not a test: it asserts nothing.
 */
import { readFileSync } from 'node:fs';
import type { Report } from '../model/report.js';
import { HTML_TOP, renderHtmlReport } from '../report/index.js';

export async function htmlBench(reportFile: string): Promise<{ seconds: number; bytes: number; sources: number }> {
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as Report;
  const t0 = performance.now();
  const html = await renderHtmlReport(report, { title: 'tsad bench', now: Date.now(), top: HTML_TOP });
  return { seconds: (performance.now() - t0) / 1000, bytes: Buffer.byteLength(html), sources: report.sources.length };
}
