/**
 * A real HTTP server on 127.0.0.1 serving feed files, whose content, ETag,
 * Last-Modified and failure mode the test changes between requests. It
 * honours If-None-Match / If-Modified-Since as a web server would.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FeedDoc {
  body: string;
  etag?: string;
  lastModified?: string;
  /** Answer with this status and a short body instead. */
  status?: number;
  /** Never answer (for timeouts). */
  hang?: boolean;
}

export interface FeedServer {
  url(path: string): string;
  set(path: string, doc: FeedDoc): void;
  /** Request headers seen, per path, in order. */
  requests: { path: string; headers: IncomingHttpHeaders; status: number }[];
  close(): Promise<void>;
}

export async function startFeedServer(): Promise<FeedServer> {
  const docs = new Map<string, FeedDoc>();
  const requests: FeedServer['requests'] = [];
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    const doc = docs.get(path);
    const log = (status: number): void => {
      requests.push({ path, headers: req.headers, status });
    };
    if (doc?.hang === true) {
      log(0);
      return; // keep the socket open, say nothing
    }
    if (doc === undefined || doc.status !== undefined) {
      const status = doc?.status ?? 404;
      log(status);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`error ${status}\n`);
      return;
    }
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    if (doc.etag) headers.etag = doc.etag;
    if (doc.lastModified) headers['last-modified'] = doc.lastModified;
    const inm = req.headers['if-none-match'];
    const ims = req.headers['if-modified-since'];
    if ((doc.etag && inm === doc.etag) || (!doc.etag && doc.lastModified && ims === doc.lastModified)) {
      log(304);
      res.writeHead(304, headers).end();
      return;
    }
    log(200);
    res.writeHead(200, { ...headers, 'content-length': String(Buffer.byteLength(doc.body)) }).end(doc.body);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    set: (path, doc) => docs.set(path, doc),
    requests,
    close: () =>
      new Promise<void>((res) => {
        server.closeAllConnections();
        server.close(() => res());
      }),
  };
}
