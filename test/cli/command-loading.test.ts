/**
 * A run loads only the command it names (commands/index.ts); the full list
 * is still there for --help, `help` and mistakes.
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandsFor, commandWord } from '../../src/cli/commands/index.js';
import { runCli } from '../helpers/run-cli.js';

const VALUED = ['--psad-conf'];

describe('which command a run names', () => {
  it('is the first word that is not an option or an option value', () => {
    expect(commandWord(['analyze', '--json', 'x.log'], VALUED)).toBe('analyze');
    expect(commandWord(['--psad-conf', 'status', 'report'], VALUED)).toBe('report');
    expect(commandWord(['--psad-conf=status', 'blocks'], VALUED)).toBe('blocks');
    expect(commandWord(['--', 'fleet'], VALUED)).toBe('fleet');
    expect(commandWord(['--help'], VALUED)).toBeUndefined();
    expect(commandWord([], VALUED)).toBeUndefined();
  });

  it('loads that command alone, and every one for anything else', async () => {
    expect(await commandsFor(['analyze', 'x.log'], VALUED)).toHaveLength(1);
    expect(await commandsFor(['unblock', '192.0.2.1'], VALUED)).toHaveLength(1);
    expect(await commandsFor(['--help'], VALUED)).toHaveLength(COMMANDS.length);
    expect(await commandsFor(['help', 'analyze'], VALUED)).toHaveLength(COMMANDS.length);
    expect(await commandsFor(['analyse'], VALUED)).toHaveLength(COMMANDS.length);
  });

  it('names every top-level command the modules register, and nothing else', async () => {
    const { Command } = await import('commander');
    for (const c of COMMANDS) {
      const program = new Command('tsad');
      (await c.load())(program);
      expect(program.commands.map((x) => x.name()).sort()).toEqual([...c.names].sort());
    }
  });
});

describe('the command line with commands loaded on demand', () => {
  it('--help still lists every command', async () => {
    const out = (await runCli(['--help'])).stdout;
    for (const c of COMMANDS) for (const n of c.names) expect(out).toMatch(new RegExp(`^  ${n} `, 'm'));
  });

  it('a misspelt command is still told apart from the known ones', async () => {
    const r = await runCli(['analyse']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'analyse'/);
    expect(r.stderr).toMatch(/analyze/);
  });

  it('a command after --psad-conf FILE runs, even when FILE is spelt like a command', async () => {
    // Were the option's value taken for the command, only analyze would be loaded and `config` be unknown.
    const r = await runCli(['--psad-conf', 'analyze', 'config', 'check']);
    expect(r.stderr).not.toMatch(/unknown command/);
    expect(r.stderr).toMatch(/psad\.conf|analyze/);
    expect(r.code).toBe(78);
  });
});
