/**
 * Gets a feed's current text from its source: an http(s) URL with a
 * conditional request (If-None-Match / If-Modified-Since from the last good
 * copy, so an unchanged list costs a 304), or a local file (unchanged when its
 * mtime and size are). Bounded in time and size. Throws an Error saying what
 * failed; the caller keeps the last good copy.
 */
import { readFile, stat } from 'node:fs/promises';

export interface Validators {
  etag: string | null;
  lastModified: string | null;
  fileStamp: string | null;
}

export type FetchResult =
  | { kind: 'unchanged' }
  | { kind: 'body'; text: string; etag: string | null; lastModified: string | null; fileStamp: string | null };

export interface FetchLimits {
  timeoutMs: number;
  maxBytes: number;
}

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
  const cause = (err as Error & { cause?: unknown }).cause;
  if (cause instanceof Error) return `${err.message}: ${(cause as NodeJS.ErrnoException).code ?? cause.message}`;
  return err.message;
}

async function readLimited(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw new Error(`download of ${declared} bytes is over REPUTATION_FEED_MAX_BYTES (${maxBytes})`);
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body) {
    total += chunk.byteLength;
    if (total > maxBytes) throw new Error(`download is over REPUTATION_FEED_MAX_BYTES (${maxBytes} bytes)`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

async function fetchUrl(url: string, prev: Validators | null, limits: FetchLimits): Promise<FetchResult> {
  const headers: Record<string, string> = { 'user-agent': 'tsad (reputation feed update)', accept: 'text/plain, */*' };
  if (prev?.etag) headers['if-none-match'] = prev.etag;
  if (prev?.lastModified) headers['if-modified-since'] = prev.lastModified;
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { headers, signal, redirect: 'follow' });
  } catch (err) {
    throw new Error(`${url}: ${describe(err)}`);
  }
  if (res.status === 304) {
    await res.body?.cancel();
    return { kind: 'unchanged' };
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`${url}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);
  }
  try {
    const text = await readLimited(res, limits.maxBytes);
    return { kind: 'body', text, etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified'), fileStamp: null };
  } catch (err) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`${url}: ${describe(err)}`);
  }
}

async function fetchFile(path: string, prev: Validators | null, limits: FetchLimits): Promise<FetchResult> {
  try {
    const s = await stat(path);
    const stamp = `${s.mtimeMs}:${s.size}`;
    if (prev?.fileStamp === stamp) return { kind: 'unchanged' };
    if (s.size > limits.maxBytes) throw new Error(`file of ${s.size} bytes is over REPUTATION_FEED_MAX_BYTES (${limits.maxBytes})`);
    const text = await readFile(path, 'utf8');
    return { kind: 'body', text, etag: null, lastModified: null, fileStamp: stamp };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code ? `cannot read (${code})` : describe(err)}`);
  }
}

/** The source's text, or 'unchanged' when the validators say the last good copy is current. */
export function fetchFeed(source: string, prev: Validators | null, limits: FetchLimits): Promise<FetchResult> {
  return isUrl(source) ? fetchUrl(source, prev, limits) : fetchFile(source, prev, limits);
}
