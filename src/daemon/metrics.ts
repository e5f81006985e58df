/**
 * Optional Prometheus metrics (METRICS_LISTEN) in the text exposition
 * format, served by node:http at /metrics, and with METRICS_REPORT_PAGE the
 * live HTML report at /. Both are built when asked; nothing runs between
 * requests. Read-only: GET and HEAD only. With a token (METRICS_TOKEN_FILE)
 * every request must carry it (metrics-access.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CSP } from '../report/index.js';
import type { Logger, MetricSample } from './hooks.js';
import { authorized } from './metrics-access.js';

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

export interface MetricsServerOptions {
  /** The live report page served at / (METRICS_REPORT_PAGE); absent: only /metrics. */
  page?: () => Promise<string>;
  /** Every request must carry this token (METRICS_TOKEN_FILE). */
  token?: string | null;
}

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function failed(res: ServerResponse, err: unknown): void {
  res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err instanceof Error ? err.message : String(err)}\n`);
}

function handle(req: IncomingMessage, res: ServerResponse, collect: () => MetricSample[], o: MetricsServerOptions): void {
  if (o.token && !authorized(req.headers.authorization, o.token)) {
    res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Basic realm="tsad", charset="UTF-8"' }).end('a token is required (METRICS_TOKEN_FILE)\n');
    return;
  }
  const path = (req.url ?? '/').split('?')[0];
  const known = path === '/metrics' || (o.page !== undefined && (path === '/' || path === '/index.html'));
  if (!known || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(known ? 405 : 404, { 'content-type': 'text/plain' }).end(o.page ? 'only / and /metrics are served here\n' : 'only /metrics is served here\n');
    return;
  }
  if (path !== '/metrics') {
    (o.page as () => Promise<string>)().then((html) => res.writeHead(200, PAGE_HEADERS).end(req.method === 'HEAD' ? undefined : html), (err: unknown) => failed(res, err));
    return;
  }
  let body: string;
  try {
    body = renderMetrics(collect());
  } catch (err) {
    failed(res, err);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : body);
}

export class MetricsServer {
  private constructor(private readonly server: Server, readonly address: string) {}

  static async listen(listen: string, collect: () => MetricSample[], log: Logger, o: MetricsServerOptions = {}): Promise<MetricsServer> {
    const { host, port } = parseListen(listen);
    const server = createServer((req, res) => handle(req, res, collect, o));
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
