/**
 * METRICS_TOKEN_FILE and the loopback rule of METRICS_LISTEN, against the
 * real HTTP server of the metrics listener: no token, a wrong one, Bearer
 * and basic authentication; another address than loopback refused without
 * a token.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { buildConfig } from '../../src/config/load.js';
import { metricsToken } from '../../src/daemon/metrics-access.js';
import { MetricsServer } from '../../src/daemon/metrics.js';
import { ReportPage } from '../../src/daemon/report-page.js';

const dir = mkdtempSync(join(tmpdir(), 'tsad-metrics-access-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cfg(keys: Record<string, string>) {
  return buildConfig(Object.entries(keys).map(([key, raw], i) => ({ key, raw, line: i + 1 })), 'test.conf');
}

const TOKEN = 'k3y-0f-at-least-16-chars';

describe('metrics listener access', () => {
  it('refuses a non-loopback METRICS_LISTEN without a token, and a report page without a listener', () => {
    expect(() => metricsToken(cfg({ METRICS_LISTEN: '0.0.0.0:9677' }))).toThrow(ConfigError);
    expect(() => metricsToken(cfg({ METRICS_LISTEN: '0.0.0.0:9677' }))).toThrow(/METRICS_LISTEN.*METRICS_TOKEN_FILE/);
    expect(() => metricsToken(cfg({ METRICS_REPORT_PAGE: 'Y' }))).toThrow(/METRICS_REPORT_PAGE/);
    expect(metricsToken(cfg({ METRICS_LISTEN: '127.0.0.1:9677', METRICS_REPORT_PAGE: 'Y' }))).toBeNull();
    expect(metricsToken(cfg({ METRICS_LISTEN: '[::1]:9677' }))).toBeNull();
  });

  it('reads the token file; a short or missing token is a configuration error', () => {
    const good = join(dir, 'token');
    writeFileSync(good, `${TOKEN}\nignored second line\n`);
    expect(metricsToken(cfg({ METRICS_LISTEN: '0.0.0.0:9677', METRICS_TOKEN_FILE: good }))).toBe(TOKEN);
    const short = join(dir, 'short');
    writeFileSync(short, 'abc\n');
    expect(() => metricsToken(cfg({ METRICS_LISTEN: '127.0.0.1:9677', METRICS_TOKEN_FILE: short }))).toThrow(/at least 16/);
    expect(() => metricsToken(cfg({ METRICS_LISTEN: '127.0.0.1:9677', METRICS_TOKEN_FILE: join(dir, 'none') }))).toThrow(/ENOENT/);
  });

  it('with a token, every request must carry it (Bearer or basic authentication)', async () => {
    let builds = 0;
    const page = new ReportPage(async () => `<!DOCTYPE html><p>report ${++builds}</p>`);
    const srv = await MetricsServer.listen('127.0.0.1:0', () => [{ name: 'tsad_x', help: 'x', type: 'gauge', value: 1 }], () => undefined, { token: TOKEN, page: () => page.html() });
    const base = `http://${srv.address}`;
    try {
      const none = await fetch(`${base}/`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="tsad"/);
      expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
      const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('tsad_x 1');
      const basic = `Basic ${Buffer.from(`anyone:${TOKEN}`).toString('base64')}`;
      const html = await fetch(`${base}/`, { headers: { authorization: basic } });
      expect(html.status).toBe(200);
      expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await html.text()).toContain('report 1');
      // Reused for a few seconds: a second request does not build again.
      expect(await (await fetch(`${base}/`, { headers: { authorization: basic } })).text()).toContain('report 1');
      expect(builds).toBe(1);
    } finally {
      await srv.close();
    }
  });

  it('without the page only /metrics is served', async () => {
    const srv = await MetricsServer.listen('127.0.0.1:0', () => [], () => undefined);
    try {
      expect((await fetch(`http://${srv.address}/`)).status).toBe(404);
      expect((await fetch(`http://${srv.address}/metrics`)).status).toBe(200);
    } finally {
      await srv.close();
    }
  });
});
