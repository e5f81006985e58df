/**
 * Mails a finished report (analyze --email, report --email) through the
 * on-disk queue shared with the daemon: queued first, then one delivery
 * attempt; what cannot go now stays queued for the daemon or the next run.
 */
import { join } from 'node:path';
import type { Config } from '../config/keys/index.js';
import type { Report } from '../model/report.js';
import { Mailer } from '../actions/email/index.js';

export interface MailedReport {
  sent: number;
  queued: number;
  handedOff: boolean;
  error: string | null;
}

export function mailQueueDir(stateDir: string): string {
  return join(stateDir, 'mail-queue');
}

export async function mailReport(cfg: Config, stateDir: string, report: Report, text: string, title: string): Promise<MailedReport> {
  const mailer = Mailer.create(cfg, { queueDir: mailQueueDir(stateDir), log: (m) => process.stderr.write(`tsad: mail: ${m}\n`) });
  mailer.statusReport(report, text, { title, attachJson: true });
  const r = await mailer.flush();
  await mailer.stop();
  return { sent: r.sent, queued: r.queued, handedOff: r.handedOff, error: r.lastError ?? null };
}
