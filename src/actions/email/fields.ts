/** The validated report fields (shared with the HTML report). */
export * from '../../text/report-fields.js';
