#!/usr/bin/env node
/**
 * tsad command line: one commander program, one module per subcommand under
 * commands/. This is the only file that calls process.exit: commands throw,
 * and the error kind picks the exit code (0 ok, 1 runtime, 2 usage, 78 config).
 */
import { Command, CommanderError } from 'commander';
import { ConfigError, EX_CONFIG } from '../config/errors.js';
import { UsageError } from './usage-error.js';
import { commandsFor } from './commands/index.js';
import { VERSION } from './version.js';
import { setDefaultConfigLoader } from '../config/load.js';
import { applyPsadConf } from '../config/psad-import.js';
import { formatPsadSummary } from '../config/psad-report.js';
import { escapeLines } from '../text/escape.js';

/** An error or notice on stderr: text from files and logs (names, lines) has its control characters escaped. */
function say(text: string): void {
  process.stderr.write(`tsad: ${escapeLines(text)}\n`);
}

/** Top-level options that take a value (so the word after one is not a command). */
const VALUED = ['--psad-conf'];

/** The program with the commands `args` (argv without node and the script) need: the one it names, or all. */
export async function buildProgram(args: readonly string[]): Promise<Command> {
  const program = new Command('tsad')
    .description('Port-scan attack detector for Linux firewalls (iptables, ip6tables, nftables LOG lines)')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) })
    .option('--psad-conf <file>', 'use an existing psad.conf (and the files it names) instead of a tsad configuration; psad keys tsad does not use are listed, not errors')
    .exitOverride();
  program.hook('preAction', (_top, action) => {
    const o = action.optsWithGlobals<{ psadConf?: string; config?: string }>();
    if (o.psadConf === undefined) return;
    if (o.config !== undefined) throw new UsageError('use either -c/--config or --psad-conf, not both');
    const file = o.psadConf;
    let told = false;
    setDefaultConfigLoader(() => {
      const { cfg, report } = applyPsadConf(file);
      if (!told) say(formatPsadSummary(report));
      told = true;
      return cfg;
    });
  });
  for (const register of await commandsFor(args, VALUED)) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv.slice(2));
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through exitOverride with exitCode 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError) {
      say(err.message);
      return 2;
    }
    if (err instanceof ConfigError) {
      say(`configuration error: ${err.message}`);
      return EX_CONFIG;
    }
    say(err instanceof Error ? err.message : String(err));
    if (process.env.TSAD_DEBUG) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return 1;
  }
}

// `tsad ... | head`: a closed pipe ends the output quietly instead of crashing.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    say(String(err));
    process.exitCode = 1;
  },
);
