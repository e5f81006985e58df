/**
 * Service evidence in every output: the JSON `services` object (the
 * contract), the text report's Service: line, the alert mail's section and
 * subject; user names are log text, shown escaped and cut.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createParseContext } from '../../src/parse/index.js';
import { buildAlertView } from '../../src/actions/email/alert-view.js';
import { serviceLines } from '../../src/text/service-text.js';
import { buildAnalysis } from '../../src/pipeline/analysis.js';
import { defaultConfig } from '../../src/config/load.js';
import type { SourceReport } from '../../src/model/report.js';

const HOSTILE = 'x\u001b[2J\u202eevil';

async function analyse(lines: string[]): Promise<SourceReport[]> {
  const a = await buildAnalysis({ cfg: defaultConfig(), geoip: false, feeds: false, warn: () => {} });
  const ctx = createParseContext({ year: 2026 });
  for (const l of lines) a.pipeline.line(l, ctx);
  return (await a.report(1)).sources;
}

describe('service evidence in the outputs', () => {
  it('the JSON source has the contract\'s services object', async () => {
    const lines = ['root', 'admin', HOSTILE, 'oracle', 'test'].flatMap((u, i) => [
      `Dec  6 20:0${i}:01 fw sshd[1]: Invalid user ${u} from 203.0.113.9 port 4000${i}`,
      `Dec  6 20:0${i}:02 fw sshd[1]: Failed password for invalid user ${u} from 203.0.113.9 port 4000${i} ssh2`,
    ]);
    const [s] = await analyse(lines);
    expect(s?.src).toBe('203.0.113.9');
    expect(s?.dl).toBe(3);
    expect(s?.services).toEqual({
      sshd: {
        events: 10, users: ['root', 'admin', HOSTILE, 'oracle', 'test'], kinds: { 'failed-login': 5, 'invalid-user': 5 },
        first: '2026-12-06T20:00:01.000Z', last: '2026-12-06T20:04:02.000Z',
      },
    });
    const text = serviceLines(s?.services);
    expect(text).toEqual(['sshd: 10 failures (failed-login 5, invalid-user 5); users tried: "root", "admin", "x\\x1b[2J\\u202eevil", "oracle", "test"']);
    expect(text.join('')).not.toMatch(/[\u001b\u202e]/);
  });

  it('the alert mail has a service section and names the failures in its subject', async () => {
    const [s] = await analyse(Array.from({ length: 12 }, (_, i) => `Dec  6 20:00:${10 + i} mx postfix/smtpd[2]: warning: unknown[198.51.100.4]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`));
    const view = buildAlertView(s as SourceReport, { host: 'mx', previousDl: 2 }, 1, 5);
    expect(view.subject).toMatch(/^DL3 198\.51\.100\.4 12 postfix failures$/);
    expect(view.sections.find((x) => x.title === 'Service evidence')).toMatchObject({ lines: ['postfix: 12 failures (auth-failed 12)'] });
  });

  it('leaves out the service events of an address auto_dl sets to level 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsad-svc-autodl-'));
    try {
      writeFileSync(join(dir, 'auto_dl'), '203.0.113.9 0;\n');
      const a = await buildAnalysis({ cfg: defaultConfig(), autoDlFile: join(dir, 'auto_dl'), geoip: false, feeds: false, warn: () => {} });
      const ctx = createParseContext({ year: 2026 });
      for (let i = 0; i < 12; i++) a.pipeline.line(`Dec  6 20:00:0${i % 10} fw sshd[1]: Invalid user a from ${i % 2 === 0 ? '203.0.113.9' : '203.0.113.10'} port 1`, ctx);
      expect(a.pipeline.skipped['auto-dl-ignore']).toBe(6);
      expect(a.tracker.get('203.0.113.9')).toBeUndefined();
      expect(a.tracker.get('203.0.113.10')?.services?.get('sshd')?.events).toBe(6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ignores a damaged services object rather than printing it', () => {
    expect(serviceLines({ 'bad name!': { events: 3 }, sshd: 'x', web: { events: -1, users: [1, 'a'] } })).toEqual(['web: 0 failures; users tried: "a"']);
    expect(serviceLines(null)).toEqual([]);
  });
});
