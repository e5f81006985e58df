/**
 * xt_recent backend: writes `+ADDR` / `-ADDR` to /proc/net/xt_recent/NAME,
 * the list behind a rule such as
 *   iptables -I INPUT -m recent --name tsad --rcheck -j DROP
 * which the administrator loads (tsad does not own that rule). The list
 * holds single addresses only, so prefixes are skipped with a warning. Each
 * command must be its own write(2); tsad removes expired entries itself.
 * Anyone with root can remove an entry (`echo -ADDR > ...`), and a full list
 * evicts its oldest: present() is false when an entry tsad added is gone, so
 * the periodic presence check puts it back.
 */
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalCidr, isSingleAddress } from '../cidr.js';
import type { BackendContext, BlockBackend, BlockEntry, LiveBlock } from '../types.js';
import { familyOf } from './common.js';

export interface XtRecentOptions {
  name: string;
  /** Directory of the lists; /proc/PID/net/xt_recent reaches another network namespace. */
  procDir?: string;
}

export class XtRecentBackend implements BlockBackend {
  readonly name = 'xt_recent';
  readonly maxKernelTimeoutSec = 0;
  readonly needsRemoveBeforeFlush = false;
  readonly #ctx: BackendContext;
  readonly #path: string;
  readonly #warned = new Set<string>();
  /** The addresses tsad put in the list (canonical). */
  readonly #held = new Set<string>();

  constructor(ctx: BackendContext, opts: XtRecentOptions) {
    this.#ctx = ctx;
    this.#path = join(opts.procDir ?? '/proc/net/xt_recent', opts.name);
  }

  async ensure(): Promise<void> {
    if (!(await this.#exists()) && !this.#ctx.dryRun) {
      throw new Error(`${this.#path} does not exist: load a rule that uses the list first, e.g. "iptables -I INPUT -m recent --name ${this.#path.split('/').pop() ?? ''} --rcheck -j DROP"`);
    }
  }

  async add(entries: BlockEntry[]): Promise<void> {
    const cmds: string[] = [];
    for (const e of entries) {
      const c = canonicalCidr(e.cidr);
      if (c !== null && isSingleAddress(c.cidr)) cmds.push(`+${c.text}`);
      else if (!this.#warned.has(e.cidr)) {
        this.#warned.add(e.cidr);
        this.#ctx.log('warn', `xt_recent holds single addresses only: ${e.cidr} is not added to ${this.#path}`);
      }
    }
    await this.#write(cmds, false);
    if (!this.#ctx.dryRun) for (const c of cmds) this.#held.add(c.slice(1));
  }

  async remove(cidrs: string[]): Promise<void> {
    const addrs = cidrs.filter((c) => !c.includes('/'));
    await this.#write(addrs.map((c) => `-${c}`), true);
    for (const a of addrs) this.#held.delete(canonicalCidr(a)?.text ?? a);
  }

  async list(): Promise<LiveBlock[]> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch {
      return [];
    }
    const out: LiveBlock[] = [];
    for (const line of text.split('\n')) {
      const m = /^src=(\S+)/.exec(line);
      const c = m ? canonicalCidr(m[1] as string) : null;
      if (c !== null) out.push({ cidr: c.text, family: familyOf(c.text), expiresInSec: null });
    }
    return out;
  }

  async flush(): Promise<void> {
    if (await this.#exists()) await this.#write(['/'], false);
    this.#held.clear();
  }

  /** The list exists and still holds every address tsad added. */
  async present(): Promise<boolean> {
    if (!(await this.#exists())) return false;
    if (this.#held.size === 0) return true;
    const listed = new Set((await this.list()).map((b) => b.cidr));
    for (const a of this.#held) if (!listed.has(a)) return false;
    return true;
  }

  async sync(entries: BlockEntry[]): Promise<void> {
    await this.ensure();
    await this.#write(['/'], false);
    this.#held.clear();
    await this.add(entries);
  }

  #exists(): Promise<boolean> {
    return access(this.#path).then(() => true, () => false);
  }

  /** One open and write(2) per command: the kernel takes one command per write, at file offset 0 only. */
  async #write(cmds: string[], ignoreMissing: boolean): Promise<void> {
    if (cmds.length === 0) return;
    if (this.#ctx.dryRun) {
      this.#ctx.out(cmds.map((c) => `echo ${c} > ${this.#path}\n`).join(''));
      return;
    }
    for (const c of cmds) {
      try {
        await writeFile(this.#path, `${c}\n`);
      } catch (err) {
        // Removing an address that is not in the list fails with ENOENT.
        if (!(ignoreMissing && (err as NodeJS.ErrnoException).code === 'ENOENT')) throw err;
      }
    }
  }
}
