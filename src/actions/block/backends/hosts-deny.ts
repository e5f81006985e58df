/**
 * tcpwrappers backend: `ALL: ADDR` lines in hosts.deny, kept between two
 * marker comments so tsad never touches the administrator's own lines
 * (hosts_access(5) has no trailing comments, so the markers are whole
 * lines). The file is rewritten atomically with its mode kept. tsad removes
 * expired blocks itself.
 */
import { readFile, stat } from 'node:fs/promises';
import { writeFileAtomic } from '../../../io/atomic-file.js';
import { canonicalCidr } from '../cidr.js';
import type { BackendContext, BlockBackend, BlockEntry, LiveBlock } from '../types.js';
import { familyOf } from './common.js';

export const HOSTS_DENY_BEGIN = '# BEGIN tsad blocks (managed by tsad: use "tsad block", "tsad unblock", "tsad flush")';
export const HOSTS_DENY_END = '# END tsad blocks';

interface DenyFile {
  before: string[];
  after: string[];
  entries: string[];
  marked: boolean;
  mode: number;
}

/** tcpwrappers spelling: IPv4 prefixes as net/mask, IPv6 in brackets. */
export function denyPattern(cidr: string): string {
  const c = canonicalCidr(cidr);
  if (c === null) throw new Error(`not an address or CIDR: ${cidr}`);
  const [addr, len] = c.text.split('/') as [string, string | undefined];
  if (c.cidr.family === 6) return len === undefined ? `[${addr}]` : `[${addr}]/${len}`;
  if (len === undefined) return addr;
  const mask = len === '0' ? 0 : (0xffffffff << (32 - Number(len))) >>> 0;
  return `${addr}/${mask >>> 24}.${(mask >>> 16) & 255}.${(mask >>> 8) & 255}.${mask & 255}`;
}

/** Reverse of denyPattern; null for a line tsad did not write. */
export function parseDenyLine(line: string): string | null {
  const m = /^ALL:\s*(\S+)\s*$/.exec(line.trim());
  if (!m) return null;
  const p = (m[1] as string).replace(/^\[([^\]]+)\]/, '$1');
  return canonicalCidr(p)?.text ?? null;
}

export class HostsDenyBackend implements BlockBackend {
  readonly name = 'hosts.deny';
  readonly maxKernelTimeoutSec = 0;
  readonly needsRemoveBeforeFlush = false;
  readonly #ctx: BackendContext;
  readonly #path: string;

  constructor(ctx: BackendContext, path: string) {
    this.#ctx = ctx;
    this.#path = path;
  }

  async ensure(): Promise<void> {
    const f = await this.#read();
    if (!f.marked) await this.#write(f, f.entries);
  }

  async add(entries: BlockEntry[]): Promise<void> {
    const f = await this.#read();
    const merged = [...f.entries];
    for (const e of entries) if (!merged.includes(e.cidr)) merged.push(e.cidr);
    if (merged.length !== f.entries.length || !f.marked) await this.#write(f, merged);
  }

  async remove(cidrs: string[]): Promise<void> {
    const f = await this.#read();
    const kept = f.entries.filter((c) => !cidrs.includes(c));
    if (kept.length !== f.entries.length) await this.#write(f, kept);
  }

  async list(): Promise<LiveBlock[]> {
    return (await this.#read()).entries.map((c) => ({ cidr: c, family: familyOf(c), expiresInSec: null }));
  }

  async flush(): Promise<void> {
    const f = await this.#read();
    if (f.marked) await this.#write(f, null);
  }

  async present(): Promise<boolean> {
    return (await this.#read()).marked;
  }

  async sync(entries: BlockEntry[]): Promise<void> {
    await this.#write(await this.#read(), entries.map((e) => e.cidr));
  }

  async #read(): Promise<DenyFile> {
    let text = '';
    let mode = 0o644;
    try {
      text = await readFile(this.#path, 'utf8');
      mode = (await stat(this.#path)).mode & 0o7777;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
    const b = lines.indexOf(HOSTS_DENY_BEGIN);
    const e = b < 0 ? -1 : lines.indexOf(HOSTS_DENY_END, b);
    if (b < 0 || e < 0) return { before: lines, after: [], entries: [], marked: false, mode };
    const entries = lines.slice(b + 1, e).map(parseDenyLine).filter((c): c is string => c !== null);
    return { before: lines.slice(0, b), after: lines.slice(e + 1), entries, marked: true, mode };
  }

  /** Rewrites the managed block with `entries`; null removes the block and its markers. */
  async #write(f: DenyFile, entries: string[] | null): Promise<void> {
    const block = entries === null ? [] : [HOSTS_DENY_BEGIN, ...entries.map((c) => `ALL: ${denyPattern(c)}`), HOSTS_DENY_END];
    const lines = [...f.before, ...block, ...f.after];
    const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
    if (this.#ctx.dryRun) {
      this.#ctx.out(`# ${this.#path} would become:\n${text}`);
      return;
    }
    await writeFileAtomic(this.#path, text, f.mode);
  }
}
