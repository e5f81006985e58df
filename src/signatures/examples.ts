/**
 * Replays the `# fires:` / `# quiet:` examples of rule files: each file is
 * loaded alone with the built-in defaults plus its `# test-config:` settings,
 * and every example line must fire (or not fire) its rule. The parser is
 * passed in (a stage does not import another stage).
 */
import type { Config } from '../config/keys/index.js';
import { buildConfig, parseConfigText } from '../config/load.js';
import type { Packet } from '../model/packet.js';
import { buildRules } from './build-rules.js';
import type { RuleProblem } from './problems.js';
import type { RuleSource } from './rule-files.js';
import { SignatureSet } from './signature-set.js';
import { varsFromConfig } from './vars.js';

/** Turns a log line into a packet, or says why it is not one. */
export type LineReader = (line: string) => Packet | string;

/** The configuration a file's examples assume: defaults plus its `# test-config:` lines. */
export function exampleConfig(src: RuleSource): Config {
  const text = src.testConfig.split(';').map((s) => s.trim()).filter((s) => s !== '').map((s) => `${s};`).join('\n');
  return buildConfig(parseConfigText(text, `${src.file} (test-config)`), `${src.file} (test-config)`);
}

function replayFile(sources: readonly RuleSource[], read: LineReader): RuleProblem[] {
  const first = sources[0];
  if (first === undefined) return [];
  const { rules } = buildRules(sources, varsFromConfig(exampleConfig(first)), new Map());
  const set = new SignatureSet(rules);
  const bySite = new Map(rules.map((r) => [r.rule.line, r.rule]));
  const problems: RuleProblem[] = [];
  for (const src of sources) {
    const rule = bySite.get(src.line);
    if (rule === undefined) continue;
    const examples = [...src.fires.map((l) => [l, true] as const), ...src.quiet.map((l) => [l, false] as const)];
    for (const [line, want] of examples) {
      const p = read(line);
      const fired = typeof p !== 'string' && (set.match(p) ?? []).some((h) => h.sid === rule.sid);
      if (typeof p !== 'string' && fired === want) continue;
      const why = typeof p === 'string' ? p : want ? 'the rule does not fire' : 'the rule fires';
      problems.push({ file: src.file, line: src.line, sid: rule.sid, skipped: false, reason: `example "${want ? 'fires' : 'quiet'}: ${line.length > 70 ? `${line.slice(0, 67)}...` : line}": ${why}` });
    }
  }
  return problems;
}

/** Problems for every example that does not behave as it says. Config errors in test-config lines are thrown (ConfigError). */
export function replayExamples(sources: readonly RuleSource[], read: LineReader): RuleProblem[] {
  const byFile = new Map<string, RuleSource[]>();
  for (const s of sources) {
    if (s.fires.length === 0 && s.quiet.length === 0) continue;
    let list = byFile.get(s.file);
    if (list === undefined) byFile.set(s.file, (list = []));
    list.push(s);
  }
  return [...byFile.values()].flatMap((list) => replayFile(list, read));
}
