import { readFileSync } from 'node:fs';
import { test } from 'vitest';
import { createParseContext, parseLine } from '../../src/parse/index.js';
import { defaultConfig } from '../../src/config/load.js';
import { ScanTracker, createPacketFilter, sourceReports, loadFingerprints, shippedFingerprintsPath } from '../../src/detect/index.js';

test('scratch', () => {
  const cfg = defaultConfig();
  for (const f of ['syn','connect','fin','null','xmas','ack','window','maimon','udp','proto','pingsweep','portsweep','multidst','syn6','pingsweep6']) {
    const { db } = loadFingerprints(shippedFingerprintsPath(), cfg.MAX_HOPS);
    const t = new ScanTracker(cfg, { osFingerprints: db });
    const filter = createPacketFilter(cfg);
    const ctx = createParseContext();
    const skips: Record<string, number> = {};
    for (const line of readFileSync(`fixtures/detect/nmap/${f}.log`, 'utf8').split('\n')) {
      if (!line) continue;
      const p = parseLine(line, ctx);
      if (p === null || typeof p === 'string') { skips[String(p)] = (skips[String(p)] ?? 0) + 1; continue; }
      const r = filter(p);
      if (r) { skips[r] = (skips[r] ?? 0) + 1; continue; }
      t.observe(p, null);
    }
    for (const s of sourceReports(t, cfg, 0)) console.log(f, JSON.stringify(skips), s.src, 'dl', s.dl, 'pk', s.packets, 'dst', s.destinations, s.scanTypes.join('/'), s.tool, s.os, JSON.stringify(s.protocols), (s.reasons as string[]).join(' | '));
  }
});
