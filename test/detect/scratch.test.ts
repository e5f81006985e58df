import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import { createParseContext, parseLine } from '../../src/parse/index.js';
import { defaultConfig } from '../../src/config/load.js';
import { ScanTracker, createPacketFilter, sourceReports, loadFingerprints, shippedFingerprintsPath } from '../../src/detect/index.js';

test('scratch', () => {
  const cfg = defaultConfig();
  const m = JSON.parse(readFileSync('fixtures/captured/manifest.json', 'utf8'));
  for (const sc of m.scans) {
    const { db } = loadFingerprints(shippedFingerprintsPath(), cfg.MAX_HOPS);
    const t = new ScanTracker(cfg, { osFingerprints: db });
    const filter = createPacketFilter(cfg);
    const ctx = createParseContext({ year: 2026 });
    const skips: Record<string, number> = {};
    for (const line of readFileSync(`fixtures/captured/${sc.files.rfc3164}`, 'utf8').split('\n')) {
      if (!line) continue;
      const p = parseLine(line, ctx);
      if (p === null || typeof p === 'string') { skips[String(p)] = (skips[String(p)] ?? 0) + 1; continue; }
      const r = filter(p);
      if (r) { skips[r] = (skips[r] ?? 0) + 1; continue; }
      t.observe(p, null);
    }
    for (const s of sourceReports(t, cfg, 0)) console.log(sc.ruleset, sc.name, JSON.stringify(sc.scanTypes), '=>', s.scanTypes.join('/'), 'dl', s.dl, 'pk', s.packets, '/', sc.packets, 'dst', s.destinations, s.tool, s.os, s.osBasis, JSON.stringify(skips));
  }
});
