/** `tsad analyze`: placeholder until the pipeline lands (replaced in this session). */
import type { Command } from 'commander';

export function registerAnalyze(program: Command): void {
  program.command('analyze [files...]').description('analyze archived firewall logs');
}
