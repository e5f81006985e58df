/**
 * `tsad report [--email] [--json] [--html FILE]`: the status report (what
 * `tsad status` shows, from the running daemon or its saved state), printed,
 * written as HTML with charts, or with --email mailed to EMAIL_ADDRESSES
 * (charts as PNG images in the HTML part, the JSON attached). Meant for cron:
 * with --email it prints nothing when the mail went out or was handed to the
 * running daemon's queue, and fails (exit 1) when it could only be queued.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { hostname } from 'node:os';
import { mailReport } from '../../daemon/mail-report.js';
import { blocksSection, statusHeader } from '../../daemon/status-view.js';
import { writeHtmlReport } from '../html-output.js';
import { UsageError } from '../usage-error.js';
import { fetchStatus, statusJson, statusText, type StatusCommandDeps, type StatusOpts } from './status.js';

interface ReportOpts extends StatusOpts {
  email?: boolean;
  html?: string;
}

export function registerReport(program: Command, deps: StatusCommandDeps = {}): void {
  program
    .command('report')
    .description('the status report (as "tsad status"), printed or with --email mailed to EMAIL_ADDRESSES (for cron)')
    .option('-c, --config <file>', 'configuration file (default: built-in defaults)')
    .option('--email', 'mail the text report (JSON attached) instead of printing it')
    .option('--json', 'print the JSON report (also with --email)')
    .option('--html <file>', 'write the HTML report with charts to FILE ("-": standard output) instead of printing the text report (also with --email)')
    .option('--state-dir <dir>', 'saved state when the daemon is not running, and the mail queue (default: STATE_DIR)')
    .option('--socket <path>', 'control socket (default: CONTROL_SOCKET)')
    .action(async (opts: ReportOpts) => {
      if (opts.json && opts.html === '-') throw new UsageError('--json and --html - both write to standard output: give --html a file');
      const cfg = loadConfig(opts.config);
      const st = await fetchStatus(cfg, opts, deps);
      const out = process.stdout;
      const preamble = [...statusHeader(st.daemon), ...blocksSection(st.blocks)];
      if (opts.json) out.write(statusJson(st));
      else if (!opts.email && opts.html === undefined) out.write(statusText(st, cfg, { color: out.isTTY === true }));
      if (opts.html !== undefined) await writeHtmlReport(opts.html, st.report, { title: `tsad status report on ${hostname()}`, preamble });
      if (!opts.email) return;
      if (cfg.EMAIL_ADDRESSES.length === 0) throw new Error('--email: EMAIL_ADDRESSES is NONE, there is nobody to mail the report to');
      const text = statusText(st, cfg, { color: false });
      const mailed = await mailReport(cfg, opts.stateDir ?? cfg.STATE_DIR, st.report, text, 'status report', preamble);
      if (mailed.sent === 0 && !mailed.handedOff) {
        throw new Error(`the report mail is queued (${mailed.error ?? 'not sent yet'}); it goes out with the daemon or the next run`);
      }
    });
}
