/**
 * Every subcommand registers itself on the program; order here is the order
 * in --help. Each is loaded only when needed: a run names one command, and
 * loading the modules of all of them (the daemon's, the fleet's, ...) cost
 * `tsad analyze` about 0.14 s of its start. --help, `help` and anything
 * unknown load them all.
 */
import type { Command } from 'commander';

export type Register = (program: Command) => void;

export interface CommandEntry {
  /** The top-level commands the module registers. */
  names: readonly string[];
  load(): Promise<Register>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { names: ['analyze'], load: async () => (await import('./analyze.js')).registerAnalyze },
  {
    names: ['daemon'],
    load: async () => {
      const [{ registerDaemon }, { daemonExtensions }] = await Promise.all([import('./daemon.js'), import('../../daemon/extensions/index.js')]);
      return (p) => registerDaemon(p, { extensions: daemonExtensions() });
    },
  },
  {
    names: ['status'],
    load: async () => {
      const [{ registerStatus }, { offlineBlocks }] = await Promise.all([import('./status.js'), import('../../daemon/extensions/index.js')]);
      return (p) => registerStatus(p, { offlineBlocks });
    },
  },
  {
    names: ['report'],
    load: async () => {
      const [{ registerReport }, { offlineBlocks }] = await Promise.all([import('./report.js'), import('../../daemon/extensions/index.js')]);
      return (p) => registerReport(p, { offlineBlocks });
    },
  },
  {
    names: ['block', 'unblock', 'blocks', 'flush'],
    load: async () => {
      const { daemonOrDirect, registerBlock } = await import('./block.js');
      return (p) => registerBlock(p, daemonOrDirect);
    },
  },
  { names: ['signatures'], load: async () => (await import('./signatures.js')).registerSignatures },
  { names: ['patterns'], load: async () => (await import('./patterns.js')).registerPatterns },
  { names: ['feeds'], load: async () => (await import('./feeds.js')).registerFeeds },
  { names: ['config'], load: async () => (await import('./config.js')).registerConfig },
  { names: ['fw-check'], load: async () => (await import('./fw-check.js')).registerFwCheck },
  { names: ['fleet'], load: async () => (await import('./fleet.js')).registerFleet },
];

/**
 * The subcommand `args` (argv without node and the script) name: the first
 * word that is not an option, skipping the value of `valued` top-level
 * options. Undefined when there is none.
 */
export function commandWord(args: readonly string[], valued: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return args[i + 1];
    if (!a.startsWith('-')) return a;
    if (valued.includes(a)) i++;
  }
  return undefined;
}

/** The registrations a run with `args` needs, in --help order: the named command's alone, or all. */
export async function commandsFor(args: readonly string[], valued: readonly string[]): Promise<Register[]> {
  const word = commandWord(args, valued);
  const one = word === undefined ? undefined : COMMANDS.find((c) => c.names.includes(word));
  const entries = one !== undefined ? [one] : COMMANDS;
  return Promise.all(entries.map((c) => c.load()));
}
