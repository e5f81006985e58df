/** `tsad config check|dump`: validate a configuration file, or print the effective configuration. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { renderConfig } from '../../config/render.js';
import { servicePatterns } from '../../parse/index.js';
import { registerImportPsad } from './psad.js';

export function registerConfig(program: Command): void {
  const cmd = program.command('config').description('check or print the configuration');
  cmd
    .command('check')
    .description('validate the configuration (exit 78 with file, line and key on error)')
    .option('-c, --config <file>', 'configuration file (default: built-in defaults)')
    .action((opts: { config?: string }) => {
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
