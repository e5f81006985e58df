/**
 * The real-world corpus (fixtures/realworld): real kernel LOG lines captured
 * in network namespaces from realistic traffic, with what every source is
 * (from the capture's own schedule, never from tsad's output) and the danger
 * levels an admin would accept for it. Each file is analyzed by the built CLI
 * with embedded defaults, as `npm run eval` does; every expectation must hold.
 */
import { describe, expect, it } from 'vitest';
import { analyze, judge, loadCorpus, type FileResult } from '../../src/bench/realworld-judge.js';

const corpus = loadCorpus();

/** One readable line per misjudged source, so a failure says what and why. */
function problems(r: FileResult): string[] {
  return [
    ...r.misjudged.map((m) => `${m.key} (${m.class}): ${m.problems.join('; ')}${m.reasons.length ? ` <- ${[...new Set(m.reasons)].join('; ')}` : ''}`),
    ...r.unexpected.map((u) => `${u.src}: reported (DL${u.dl}) but unknown to the corpus`),
  ];
}

describe('real-world corpus', () => {
  it('has every scene', () => {
    expect(new Set(corpus.map((f) => f.scene))).toEqual(new Set(['desktop', 'vps', 'docker', 'lan']));
  });

  for (const file of corpus) {
    it(`${file.file}: every source within its accepted danger levels, direction and tool`, async () => {
      const report = await analyze(file);
      expect(report.summary.lines).toBe(file.lines);
      const result = judge(file, report);
      expect(problems(result)).toEqual([]);
    });
  }
});
