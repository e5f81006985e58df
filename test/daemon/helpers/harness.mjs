// Runs the daemon-area commands from dist/ until they are registered in dist/cli/main.js.
// Same exit codes as main.js: 0 ok, 1 runtime, 2 usage, 78 configuration.
import { Command, CommanderError } from 'commander';
import { registerDaemon } from '../../../dist/cli/commands/daemon.js';
import { registerStatus } from '../../../dist/cli/commands/status.js';
import { registerFwCheck } from '../../../dist/cli/commands/fw-check.js';
import { UsageError } from '../../../dist/cli/usage-error.js';
import { ConfigError, EX_CONFIG } from '../../../dist/config/errors.js';

const program = new Command('tsad').exitOverride();
registerDaemon(program);
registerStatus(program);
registerFwCheck(program);
try {
  await program.parseAsync(process.argv);
  process.exitCode = typeof process.exitCode === 'number' ? process.exitCode : 0;
} catch (err) {
  if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 ? 0 : 2;
  else if (err instanceof UsageError) { process.stderr.write(`tsad: ${err.message}\n`); process.exitCode = 2; }
  else if (err instanceof ConfigError) { process.stderr.write(`tsad: configuration error: ${err.message}\n`); process.exitCode = EX_CONFIG; }
  else { process.stderr.write(`tsad: ${err instanceof Error ? err.message : String(err)}\n`); process.exitCode = 1; }
}
