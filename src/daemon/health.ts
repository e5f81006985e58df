/**
 * The "no firewall lines" watch: when no firewall line has arrived for
 * NO_FW_LINES_WARN seconds, the ruleset is inspected once (as fw-check
 * does). If log rules exist, something between the kernel and tsad is
 * broken (journald rate limiting, a rotated file nobody reopens, a wrong
 * source) and that is worth a warning in the log and in `tsad status`; if
 * none exist, the warning says so instead. The next firewall line clears it.
 */
import type { Config } from '../config/keys/index.js';
import { fwCheck, type FwCheckResult } from './fw-check/fw-check.js';
import type { Logger } from './hooks.js';

/** The start-up check (ENABLE_FW_LOGGING_CHECK): what logging is missing goes to the log. */
export async function logFirewallCheck(cfg: Config, log: Logger): Promise<void> {
  try {
    const r = await fwCheck({ searchAll: cfg.FW_SEARCH_ALL, msgSearch: cfg.FW_MSG_SEARCH });
    for (const m of r.missing) log('warn', `fw-check: ${m}`);
    if (!r.ok && r.errors.length === 0) log('warn', 'fw-check: no log rule found on any input path: tsad will see no firewall lines');
  } catch (err) {
    log('warn', `fw-check failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export class FwLinesWatch {
  /** Wall clock (ms) of the last firewall line (or of the start). */
  lastLineAt: number;
  private warning: string | null = null;
  private checking = false;
  /** The silence being reported (its lastLineAt), so it is checked and logged once. */
  private reported = -1;

  constructor(private readonly thresholdSec: number, private readonly inspect: () => Promise<FwCheckResult>, private readonly log: Logger, since = Date.now()) {
    this.lastLineAt = since;
  }

  /** A firewall line arrived. */
  seen(now: number): void {
    this.lastLineAt = now;
    if (this.warning !== null) {
      this.warning = null;
      this.log('info', 'firewall lines are arriving again');
    }
  }

  current(): string | null {
    return this.warning;
  }

  /** Called periodically; checks the ruleset once per silence longer than the threshold. */
  tick(now: number): void {
    if (this.thresholdSec <= 0 || this.checking || this.reported === this.lastLineAt) return;
    const silent = Math.floor((now - this.lastLineAt) / 1000);
    if (silent < this.thresholdSec) return;
    this.checking = true;
    const silence = this.lastLineAt;
    this.inspect().then((r) => {
      if (this.lastLineAt !== silence) return; // a line came meanwhile
      this.reported = silence;
      const since = new Date(silence).toISOString();
      this.warning = r.ok
        ? `no firewall lines since ${since} although the firewall has log rules: check the source (journald rate limits, log file rotation, --source)`
        : `no firewall lines since ${since}, and no log rule was found on an input path (see "tsad fw-check")`;
      this.log('warn', this.warning);
    }, (err: unknown) => {
      this.log('warn', `could not inspect the firewall rules: ${err instanceof Error ? err.message : String(err)}`);
    }).finally(() => {
      this.checking = false;
    });
  }
}
