/**
 * Optional Prometheus metrics (METRICS_LISTEN, loopback only) in the text
 * exposition format, served by node:http at /metrics. Samples are collected
 * when scraped; nothing runs between scrapes.
 */
import { createServer, type Server } from 'node:http';
import type { Logger, MetricSample } from './hooks.js';

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string> | undefined): string {
  if (l === undefined) return '';
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

function value(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Samples grouped by name, each name with one HELP and TYPE line. */
export function renderMetrics(samples: readonly MetricSample[]): string {
  const byName = new Map<string, MetricSample[]>();
  for (const s of samples) {
    const list = byName.get(s.name);
    if (list) list.push(s);
    else byName.set(s.name, [s]);
  }
  const out: string[] = [];
  for (const [name, list] of byName) {
    const first = list[0] as MetricSample;
    out.push(`# HELP ${name} ${first.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${first.type}`);
    for (const s of list) out.push(`${name}${labels(s.labels)} ${value(s.value)}`);
  }
  return `${out.join('\n')}\n`;
}

/** `127.0.0.1:9677`, `[::1]:9677`, `localhost:9677` -> host and port (validated by the config key). */
export function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(v);
  if (m === null) throw new Error(`METRICS_LISTEN "${v}" is not HOST:PORT`);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port: Number(m[3]) };
}

export class MetricsServer {
  private constructor(private readonly server: Server, readonly address: string) {}

  static async listen(listen: string, collect: () => MetricSample[], log: Logger): Promise<MetricsServer> {
    const { host, port } = parseListen(listen);
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics is served here\n');
        return;
      }
      let body: string;
      try {
        body = renderMetrics(collect());
      } catch (err) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    server.on('error', (err) => log('error', `metrics ${listen}: ${err.message}`));
    const a = server.address();
    return new MetricsServer(server, typeof a === 'object' && a !== null ? `${a.address}:${a.port}` : listen);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
