/**
 * `tsad report [--email] [--json]`: the status report (what `tsad status`
 * shows, from the running daemon or its saved state), printed, or with
 * --email mailed to EMAIL_ADDRESSES with the JSON attached. Meant for cron:
 * with --email it prints nothing when the mail went out or was handed to the
 * running daemon's queue, and fails (exit 1) when it could only be queued.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { mailReport } from '../../daemon/mail-report.js';
import { fetchStatus, statusJson, statusText, type StatusCommandDeps, type StatusOpts } from './status.js';

interface ReportOpts extends StatusOpts {
  email?: boolean;
}

export function registerReport(program: Command, deps: StatusCommandDeps = {}): void {
  program
    .command('report')
    .description('the status report (as "tsad status"), printed or with --email mailed to EMAIL_ADDRESSES (for cron)')
    .option('-c, --config <file>', 'configuration file (default: built-in defaults)')
    .option('--email', 'mail the text report (JSON attached) instead of printing it')
    .option('--json', 'print the JSON report (also with --email)')
    .option('--state-dir <dir>', 'saved state when the daemon is not running, and the mail queue (default: STATE_DIR)')
    .option('--socket <path>', 'control socket (default: CONTROL_SOCKET)')
    .action(async (opts: ReportOpts) => {
      const cfg = loadConfig(opts.config);
      const st = await fetchStatus(cfg, opts, deps);
      const out = process.stdout;
      if (opts.json) out.write(statusJson(st));
      else if (!opts.email) out.write(statusText(st, cfg, { color: out.isTTY === true }));
      if (!opts.email) return;
      if (cfg.EMAIL_ADDRESSES.length === 0) throw new Error('--email: EMAIL_ADDRESSES is NONE, there is nobody to mail the report to');
      const text = statusText(st, cfg, { color: false });
      const mailed = await mailReport(cfg, opts.stateDir ?? cfg.STATE_DIR, st.report, text, 'status report');
      if (mailed.sent === 0 && !mailed.handedOff) {
        throw new Error(`the report mail is queued (${mailed.error ?? 'not sent yet'}); it goes out with the daemon or the next run`);
      }
    });
}
