/**
 * psad's `snort_rule_dl`: `<sid> <dl>` per line (dl 0-5; 0 = ignore packets
 * that match the sid), `#` comments. Bad lines are reported, not fatal.
 */
import { readFileSync } from 'node:fs';
import type { RuleProblem } from './problems.js';

export interface RuleDlFile {
  readonly levels: ReadonlyMap<number, number>;
  readonly problems: RuleProblem[];
}

export function parseRuleDl(text: string, file: string): RuleDlFile {
  const levels = new Map<number, number>();
  const problems: RuleProblem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/#.*/, '').trim();
    if (line === '') continue;
    const m = /^(\d{1,10})\s+(\d)\s*;?$/.exec(line);
    const dl = m ? Number(m[2]) : -1;
    if (!m || dl > 5) {
      problems.push({ file, line: i + 1, reason: `expected "<sid> <danger level 0-5>", got "${line.slice(0, 60)}"`, skipped: false });
      continue;
    }
    const sid = Number(m[1]);
    if (levels.has(sid)) problems.push({ file, line: i + 1, sid, reason: `sid ${sid} is listed again; the last level (${dl}) is used`, skipped: true });
    levels.set(sid, dl);
  }
  return { levels, problems };
}

/** Reads the file; a missing file is no overrides unless `required`. */
export function readRuleDl(file: string, required: boolean): RuleDlFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    if (code === 'ENOENT' && !required) return { levels: new Map(), problems: [] };
    return { levels: new Map(), problems: [{ file, line: 0, reason: `cannot read the file: ${code}`, skipped: false }] };
  }
  return parseRuleDl(text, file);
}
