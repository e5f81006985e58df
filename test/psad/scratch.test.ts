import { test } from 'vitest';
import { Command } from 'commander';
import { registerImportPsad } from '../../src/cli/commands/psad.js';
test('x', async () => {
  const program = new Command('tsad').exitOverride();
  registerImportPsad(program.command('config'));
  await program.parseAsync(['node', 'tsad', 'config', 'import-psad', '/tmp/psad30', '-o', '/tmp/psad-out/tsad30.conf', '--force']);
});
