/**
 * The last good copy of each feed, on disk under REPUTATION_FEEDS_DIR, so a
 * restart (or `tsad analyze`) has the list without a download, and a failed
 * download never leaves tsad without one. One file per feed: a JSON header
 * line (source, HTTP validators, times) then the body as downloaded. Header
 * and body are written together with writeFileAtomic, so they always agree.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-file.js';

const MAGIC = '#tsad-feed-cache v1 ';

export interface FeedCacheMeta {
  /** The feed's source when this copy was taken; a copy of another source is not used. */
  source: string;
  etag: string | null;
  lastModified: string | null;
  /** For file sources: "mtimeMs:size" of the file this copy came from. */
  fileStamp: string | null;
  /** When this content was fetched (ISO 8601). */
  fetchedAt: string;
  entries: number;
}

export interface FeedCacheCopy {
  meta: FeedCacheMeta;
  body: string;
}

/** File name for a feed: safe characters plus a hash, so "a b" and "a_b" differ. */
export function cacheFileName(feedName: string): string {
  const safe = feedName.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
  const hash = createHash('sha256').update(feedName).digest('hex').slice(0, 8);
  return `${safe}-${hash}.feed`;
}

function isMeta(v: unknown): v is FeedCacheMeta {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return typeof m.source === 'string' && typeof m.fetchedAt === 'string' && typeof m.entries === 'number';
}

/** The cached copy of a feed, or null when there is none, it is damaged, or it is of another source. */
export async function readFeedCache(dir: string, feedName: string, source: string): Promise<FeedCacheCopy | null> {
  let text: string;
  try {
    text = await readFile(join(dir, cacheFileName(feedName)), 'utf8');
  } catch {
    return null;
  }
  const nl = text.indexOf('\n');
  if (!text.startsWith(MAGIC) || nl < 0) return null;
  let meta: unknown;
  try {
    meta = JSON.parse(text.slice(MAGIC.length, nl));
  } catch {
    return null;
  }
  if (!isMeta(meta) || meta.source !== source) return null;
  return { meta, body: text.slice(nl + 1) };
}

export async function writeFeedCache(dir: string, feedName: string, copy: FeedCacheCopy): Promise<void> {
  const header = `${MAGIC}${JSON.stringify(copy.meta)}\n`;
  await writeFileAtomic(join(dir, cacheFileName(feedName)), header + copy.body, 0o644);
}
