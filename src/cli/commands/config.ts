/** `tsad config check|dump`: validate a configuration file, or print the effective configuration. */
import type { Command } from 'commander';
import { EX_CONFIG } from '../../config/errors.js';
import { checkConfigFile, loadConfig } from '../../config/load.js';
import { renderConfig } from '../../config/render.js';
import { servicePatterns } from '../../parse/index.js';
import { registerImportPsad } from './psad.js';

export function registerConfig(program: Command): void {
  const cmd = program.command('config').description('check or print the configuration');
  cmd
    .command('check')
    .description('validate the configuration: every error with file, line and key (a misspelt key with the nearest one), exit 78')
    .option('-c, --config <file>', 'configuration file (default: built-in defaults)')
    .action((opts: { config?: string }) => {
      if (opts.config !== undefined) {
        const problems = checkConfigFile(opts.config);
        for (const p of problems) process.stderr.write(`tsad: configuration error: ${p.message}\n`);
        if (problems.length > 0) {
          process.stderr.write(`tsad: ${problems.length} error${problems.length === 1 ? '' : 's'} in ${opts.config}\n`);
          process.exitCode = EX_CONFIG;
          return;
        }
      }
      const cfg = loadConfig(opts.config);
      // The users' service patterns are configuration too: a bad file is exit 78 here, not at start.
      if (cfg.ENABLE_SERVICE_LOGS) servicePatterns(cfg);
      process.stdout.write(`${opts.config ?? '(built-in defaults)'}: OK\n`);
    });
  cmd
    .command('dump')
    .description('print the effective configuration in tsad.conf syntax, with comments')
    .option('-c, --config <file>', 'configuration file (default: built-in defaults)')
    .action((opts: { config?: string }) => {
      process.stdout.write(renderConfig(loadConfig(opts.config)));
    });
  registerImportPsad(cmd);
}
