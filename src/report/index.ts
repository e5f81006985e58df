/** The report stage: JSON contract object, psad-style text, CSV rows, the HTML report with charts; whole or streamed. */
export { buildReport, compareSources, reportHead, withSources, type ReportInput, type ReportHeadInput } from './build-report.js';
export { renderText, topLimits, type TextOptions } from './text-report.js';
export { CSV_FIELDS, DEFAULT_CSV_FIELDS, csvHeader, csvRow, unknownCsvFields } from './csv-rows.js';
export { BlockWriter, writeJsonPieces, writeJsonReport, writeTextReport, type ReportStream } from './report-writer.js';
export { HourlyTimeline } from './timeline.js';
export { jsonSource, jsonSources } from './json-report.js';
export { CSP, HTML_TOP, renderHtmlReport, renderMailHtml, type MailImage, type PageOptions } from './html/index.js';
