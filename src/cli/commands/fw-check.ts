/**
 * `tsad fw-check [--json] [-c F]`: which log rules the nftables and iptables
 * rulesets have on the input and forward paths (following jumps into user
 * chains), and what is missing. Read-only. Exit 1 when no log rule is
 * reachable from any input path.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { fwCheck, renderFwCheck } from '../../daemon/fw-check/fw-check.js';

export function registerFwCheck(program: Command): void {
  program
    .command('fw-check')
    .description('check that the firewall logs the packets tsad reads (nftables, iptables, ip6tables; follows user chains)')
    .option('-c, --config <file>', 'configuration file (FW_SEARCH_ALL, FW_MSG_SEARCH)')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { config?: string; json?: boolean }) => {
      const cfg = loadConfig(opts.config);
      const r = await fwCheck({ searchAll: cfg.FW_SEARCH_ALL, msgSearch: cfg.FW_MSG_SEARCH });
      process.stdout.write(opts.json ? `${JSON.stringify(r, null, 2)}\n` : renderFwCheck(r));
      if (!r.ok) process.exitCode = 1;
    });
}
