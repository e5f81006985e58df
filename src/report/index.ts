/** The report stage: JSON contract object, psad-style text, CSV rows. */
export { buildReport, compareSources, type ReportInput } from './build-report.js';
export { renderText, topLimits, type TextOptions } from './text-report.js';
export { CSV_FIELDS, DEFAULT_CSV_FIELDS, csvHeader, csvRow, unknownCsvFields } from './csv-rows.js';
