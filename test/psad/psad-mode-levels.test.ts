/**
 * --psad-conf keeps psad's answers: on every real capture and the sample
 * log, psad mode (a psad.conf, so replies, own traffic and LAN chatter are
 * scored, signature roles and the slow-scan ladder are off) gives each
 * source the level psad's ladders and signatures give. The expected levels
 * (fixtures/psad/psad-mode-levels.json) were recorded with tsad before its
 * own fidelity rules existed, when it scored as psad does.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { applyPsadConf } from '../../src/config/psad-import.js';
import { buildAnalysis } from '../../src/daemon/analysis.js';
import { createParseContext } from '../../src/parse/index.js';

const expected = JSON.parse(readFileSync('fixtures/psad/psad-mode-levels.json', 'utf8')) as Record<string, Record<string, number>>;
const dir = mkdtempSync(join(tmpdir(), 'tsad-psad-mode-'));
writeFileSync(join(dir, 'psad.conf'), 'HOSTNAME test;\n');
const { cfg } = applyPsadConf(join(dir, 'psad.conf'));

test.each(Object.keys(expected))('psad mode on %s', async (file) => {
  const a = await buildAnalysis({ cfg, geoip: false, feeds: false, warn: () => undefined });
  const ctx = createParseContext({ year: 2026 });
  for (const line of readFileSync(file, 'utf8').split('\n')) if (line !== '') a.pipeline.line(line, ctx);
  const r = await a.report(cfg.MIN_DANGER_LEVEL);
  expect(Object.fromEntries(r.sources.map((s) => [s.src, s.dl]))).toEqual(expected[file]);
});
