/**
 * Status mails: the daily report (`tsad report --email`, `tsad analyze
 * --email`), the email-limit notice and free-form status or error mails.
 */
import type { Report, SourceReport } from '../../model/report.js';
import type { Section } from './alert-view.js';
import { subjectWith } from './alert-mail.js';
import { safeCountry, safeLevel, safeSource } from './fields.js';
import type { MailAttachment, MailContent } from './queue-store.js';
import { renderBlockHtml, renderDocumentHtml } from './render-html.js';
import { escapeLines } from '../../text/escape.js';
import { escapeHtml } from './sanitize.js';

/** Reports larger than this are not attached as JSON (the text is still mailed). */
const MAX_JSON_ATTACHMENT = 1_000_000;
const TOP_SOURCES = 20;

export interface StatusReportOptions {
  /** Words after the prefix: "daily report" (default), "analysis of /var/log/kern.log", ... */
  title?: string;
  /** Attach the report as tsad-report.json (default true; skipped above 1 MB). */
  attachJson?: boolean;
  /**
   * The HTML part drawn by the caller (the report with its charts, trusted
   * markup) and the PNG images it shows by cid. Without it the HTML part is
   * a summary and the text report.
   */
  page?: { html: string; images: Array<{ cid: string; filename: string; png: Uint8Array }> };
}

function maxLevel(report: Report): number {
  let max = 0;
  for (const s of report.sources) max = Math.max(max, safeLevel(s.dl));
  return max;
}

function sourceLine(s: SourceReport): string {
  const cc = safeCountry(s.country);
  return `DL${safeLevel(s.dl)} ${safeSource(s.src) ?? '(invalid)'}${cc === null ? '' : ` (${cc})`} ${Number(s.packets) || 0} packets, ${Number(s.destinations) || 0} destinations`;
}

function summarySections(report: Report): Section[] {
  const levels = report.summary.dangerLevels;
  const rows: Array<[string, string]> = [
    ['Lines', String(report.summary.lines)],
    ['Firewall lines', String(report.summary.firewallLines)],
    ['Total scan sources', String(report.summary.sources)],
  ];
  for (const l of ['5', '4', '3', '2', '1'] as const) rows.push([`Level ${l}`, `${levels[l] ?? 0} IP addresses`]);
  rows.push(['First seen', String(report.summary.firstSeen ?? '-')], ['Last seen', String(report.summary.lastSeen ?? '-')]);
  const top = report.sources.slice(0, TOP_SOURCES).map(sourceLine);
  return [{ title: null, rows }, { title: `Top ${top.length} attackers`, lines: top }];
}

/** The report mail: the caller's text rendering as the text part; a summary, the text and the JSON for the rest. */
export function statusReportMail(report: Report, text: string, prefix: string, host: string, opts: StatusReportOptions = {}): MailContent {
  const n = report.sources.length;
  const title = opts.title ?? 'daily report';
  const subject = subjectWith(prefix, `${title} on ${host}: ${n} source${n === 1 ? '' : 's'}, max DL${maxLevel(report)}`);
  const body = escapeLines(text);
  const html = opts.page?.html ?? renderDocumentHtml(subject, [
    renderBlockHtml(`tsad ${title} on ${host}`, maxLevel(report), summarySections(report)),
    `<pre>${escapeHtml(body)}</pre>`,
  ]);
  const mail: MailContent = { subject, text: body, html };
  const attachments: MailAttachment[] = (opts.page?.images ?? []).map((i) => ({
    filename: i.filename, content: Buffer.from(i.png).toString('base64'), contentType: 'image/png', encoding: 'base64', cid: i.cid,
  }));
  const json = JSON.stringify(report, null, 2);
  if (opts.attachJson !== false && json.length <= MAX_JSON_ATTACHMENT) {
    attachments.push({ filename: 'tsad-report.json', content: json, contentType: 'application/json' });
  }
  if (attachments.length > 0) mail.attachments = attachments;
  return mail;
}

/** psad's notice when a source reached EMAIL_LIMIT. */
export function limitNoticeMail(src: string, limit: number, prefix: string, host: string): MailContent {
  const subject = subjectWith(prefix, `reached email message limit for ${src} on ${host}`);
  const text = `tsad on ${host} mailed ${limit} alert${limit === 1 ? '' : 's'} about ${src} (EMAIL_LIMIT ${limit}).\nFurther alerts about this source are not mailed; they still appear in "tsad status".\n`;
  return { subject, text };
}

/** A free-form status or error mail. */
export function plainMail(prefix: string, subject: string, text: string, html?: string): MailContent {
  const mail: MailContent = { subject: subjectWith(prefix, subject), text: escapeLines(text) };
  if (html !== undefined) mail.html = html;
  return mail;
}
