/**
 * Mails a finished report (analyze --email, report --email) through the
 * on-disk queue shared with the daemon: queued first, then one delivery
 * attempt; what cannot go now stays queued for the daemon or the next run.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/keys/index.js';
import type { Report } from '../model/report.js';
import { Mailer } from '../actions/email/index.js';
import { renderMailHtml } from '../report/index.js';

/** Attackers listed in the mail's HTML part (the JSON attachment has them all). */
const MAIL_TOP = 25;

export interface MailedReport {
  sent: number;
  queued: number;
  handedOff: boolean;
  error: string | null;
}

export function mailQueueDir(stateDir: string): string {
  return join(stateDir, 'mail-queue');
}

/** `preamble`: lines the HTML part shows above its summary (the daemon header of a status report). */
export async function mailReport(cfg: Config, stateDir: string, report: Report, text: string, title: string, preamble?: string[]): Promise<MailedReport> {
  const log = (m: string): boolean => process.stderr.write(`tsad: mail: ${m}\n`);
  // The charts are drawn before the queue is touched; should drawing fail, the mail still goes, with the plain HTML part.
  const html = await renderMailHtml(report, { title: `tsad ${title} on ${hostname()}`, now: Date.now(), top: MAIL_TOP, preamble })
    .catch((err: unknown) => { log(`cannot draw the report charts (${err instanceof Error ? err.message : String(err)}); mailing the report without them`); return undefined; });
  const mailer = Mailer.create(cfg, { queueDir: mailQueueDir(stateDir), log });
  mailer.statusReport(report, text, { title, attachJson: true, page: html });
  const r = await mailer.flush();
  await mailer.stop();
  return { sent: r.sent, queued: r.queued, handedOff: r.handedOff, error: r.lastError ?? null };
}
