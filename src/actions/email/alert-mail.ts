/** Composes single alert mails and digests of several alerts. */
import type { AlertView, Section } from './alert-view.js';
import type { MailContent, QueuedMail } from './queue-store.js';
import { renderBlockHtml, renderDocumentHtml } from './render-html.js';
import { frameLine, renderFramedText, renderSectionsText } from './render-text.js';
import { headerValue } from './sanitize.js';

/** At most this many alerts go into one digest; the rest wait for the next one. */
export const DIGEST_MAX_ITEMS = 100;

export function subjectWith(prefix: string, subject: string): string {
  return headerValue(`${prefix} ${subject}`, 200);
}

/** One alert as a whole mail; the subject names the host whose firewall logged it. */
export function alertMail(view: AlertView, prefix: string, now: number): MailContent {
  const subject = subjectWith(prefix, view.summary);
  return {
    subject,
    text: renderFramedText(view.sections, now),
    html: renderDocumentHtml(subject, [renderBlockHtml(view.subject, view.dl, view.sections)]),
  };
}

/** The parts a digest needs of one alert: its full text and its HTML block (no document around it). */
export function digestItemContent(view: AlertView, now: number): MailContent {
  return {
    subject: view.subject,
    text: renderFramedText(view.sections, now),
    html: renderBlockHtml(view.subject, view.dl, view.sections),
  };
}

/** All alerts of a digest window in one mail: a summary list first, then each alert in full. */
export function digestMail(items: readonly QueuedMail[], prefix: string, host: string, now: number): MailContent {
  const sources = new Set(items.flatMap((i) => i.sources));
  const maxDl = Math.max(0, ...items.map((i) => i.dl ?? 0));
  const n = items.length;
  const subject = subjectWith(prefix, `digest: ${n} alert${n === 1 ? '' : 's'} from ${sources.size} source${sources.size === 1 ? '' : 's'}, max DL${maxDl} on ${host}`);
  const first = new Date(Math.min(...items.map((i) => i.createdAt))).toISOString();
  const last = new Date(Math.max(...items.map((i) => i.createdAt))).toISOString();
  const head: Section[] = [
    { title: null, rows: [['tsad Alert digest', `host ${host}`], ['Alerts', String(n)], ['Sources', String(sources.size)], ['Highest level', `[${maxDl}] (out of 5)`], ['Period', `${first} to ${last}`]] },
    { title: 'Alerts', lines: items.map((i) => i.summary ?? i.subject) },
  ];
  const frame = frameLine(now);
  const text = [frame, '', ...renderSectionsText(head), ...items.map((i) => i.text), ''].join('\n');
  const html = renderDocumentHtml(subject, [renderBlockHtml(`Alert digest: ${n} alerts`, maxDl, head), ...items.map((i) => i.html ?? '')]);
  return { subject, text, html };
}
