/**
 * HTML rendering of mail sections. Every value goes through escapeHtml; the
 * only markup is the fixed skeleton below, so log data can never add tags.
 */
import type { Section } from './alert-view.js';
import { escapeHtml } from './sanitize.js';

const STYLE = [
  'body{font-family:Helvetica,Arial,sans-serif;font-size:14px}',
  'h2{margin:12px 0 6px}', 'h3{margin:16px 0 4px}',
  'table{border-collapse:collapse;margin-bottom:8px}',
  'th{text-align:right;padding:1px 8px;white-space:nowrap;vertical-align:top}', 'td{padding:1px 8px}',
  'pre{white-space:pre-wrap;word-break:break-all;background:#f4f4f4;padding:6px;font-size:12px}',
].join('\n');

const LEVEL_COLOURS = ['#777777', '#2e7d32', '#9e9d24', '#ef6c00', '#d84315', '#b71c1c'];

function sectionHtml(s: Section): string {
  const parts: string[] = [];
  if (s.title !== null) parts.push(`<h3>${escapeHtml(s.title)}</h3>`);
  if (s.rows && s.rows.length > 0) {
    parts.push('<table>');
    for (const [label, value] of s.rows) parts.push(`<tr><th>${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`);
    parts.push('</table>');
  }
  if (s.lines && s.lines.length > 0) parts.push(`<pre>${s.lines.map(escapeHtml).join('\n')}</pre>`);
  return parts.join('\n');
}

/** One titled block: a coloured heading with the danger level and the sections below it. */
export function renderBlockHtml(heading: string, dl: number, sections: readonly Section[]): string {
  const colour = LEVEL_COLOURS[dl] ?? LEVEL_COLOURS[0];
  return [
    `<h2 style="color:${colour}">${escapeHtml(heading)}</h2>`,
    ...sections.map(sectionHtml),
  ].join('\n');
}

/** A complete HTML document around already-rendered blocks. */
export function renderDocumentHtml(title: string, blocks: readonly string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>\n${STYLE}\n</style></head>`,
    '<body>',
    blocks.join('\n<hr>\n'),
    '</body></html>',
    '',
  ].join('\n');
}
