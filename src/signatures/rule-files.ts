/**
 * Reads rule files: a file, or a directory of *.rules files (sorted by name).
 * One rule per line; a trailing backslash continues a rule on the next line;
 * `#` starts a comment line. Comment lines `# fires: <log line>` and
 * `# quiet: <log line>` just before a rule are its examples (the shipped set
 * carries them; `tsad signatures check` and the tests replay them), and
 * `# test-config: KEY value; KEY value;` lines anywhere in the file give the
 * configuration the examples assume (HOME_NET, ...).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RuleProblem } from './problems.js';

export interface RuleSource {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  /** Log lines the rule must fire on / must stay quiet on. */
  readonly fires: readonly string[];
  readonly quiet: readonly string[];
  /** `KEY value;` settings from the file's `# test-config:` lines ('' when none). */
  readonly testConfig: string;
}

/** Splits the text of one file into rules. */
export function splitRuleFile(text: string, file: string): RuleSource[] {
  const out: RuleSource[] = [];
  const lines = text.split('\n');
  let fires: string[] = [];
  let quiet: string[] = [];
  const testConfig: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = i;
    let line = (lines[i] ?? '').replace(/\r$/, '').trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s*(fires|quiet|test-config):\s?(.*)$/.exec(line);
      const value = (m?.[2] ?? '').trim();
      if (m?.[1] === 'test-config') testConfig.push(value);
      else if (m) (m[1] === 'fires' ? fires : quiet).push(value);
      continue;
    }
    while (line.endsWith('\\') && i + 1 < lines.length) {
      line = `${line.slice(0, -1).trimEnd()} ${(lines[++i] ?? '').replace(/\r$/, '').trim()}`;
    }
    out.push({ file, line: first + 1, text: line, fires, quiet, testConfig: '' });
    fires = [];
    quiet = [];
  }
  const tc = testConfig.join(' ');
  return tc === '' ? out : out.map((r) => ({ ...r, testConfig: tc }));
}

/** Files a path stands for: itself, or the *.rules files of a directory. */
function filesOf(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((n) => n.endsWith('.rules'))
    .sort()
    .map((n) => join(path, n));
}

/** Reads every path; unreadable paths become problems (line 0). */
export function readRuleSources(paths: readonly string[]): { sources: RuleSource[]; problems: RuleProblem[] } {
  const sources: RuleSource[] = [];
  const problems: RuleProblem[] = [];
  const attempt = (file: string, read: () => void): void => {
    try {
      read();
    } catch (err) {
      problems.push({ file, line: 0, reason: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, skipped: false });
    }
  };
  for (const path of paths) {
    let files: string[] = [];
    attempt(path, () => { files = filesOf(path); });
    for (const file of files) attempt(file, () => { sources.push(...splitRuleFile(readFileSync(file, 'utf8'), file)); });
  }
  return { sources, problems };
}
