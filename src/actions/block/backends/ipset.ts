/**
 * ipset backend: hash:net sets `tsad-block-v4` and `tsad-block-v6` with
 * kernel timeouts, matched from the TSAD_BLOCK_* iptables/ip6tables chains.
 * Batches go through one `ipset -exist restore`; a full resync fills fresh
 * sets and swaps them in, so the live sets are never empty in between.
 */
import { applyCommand, queryCommand } from '../runner.js';
import { canonicalCidr } from '../cidr.js';
import type { BackendContext, BlockBackend, BlockEntry, Family, LiveBlock } from '../types.js';
import { familyOf, type BlockTarget } from './common.js';
import { chainsHooked, targetTails, XT_CHAINS, Xtables } from './xtables.js';

export const IPSET_NAMES: Record<Family, string> = { 4: 'tsad-block-v4', 6: 'tsad-block-v6' };
/** ipset refuses per-entry timeouts above this. */
const IPSET_MAX_TIMEOUT = 2_147_483;
const MAXELEM = 1_048_576;

function createLine(name: string, family: Family): string {
  return `create ${name} hash:net family ${family === 4 ? 'inet' : 'inet6'} hashsize 4096 maxelem ${MAXELEM} timeout 0`;
}

function addLine(name: string, e: BlockEntry): string {
  const t = e.timeoutSec > 0 && e.timeoutSec <= IPSET_MAX_TIMEOUT ? Math.ceil(e.timeoutSec) : 0;
  return `add ${name} ${e.cidr} timeout ${t}`;
}

export class IpsetBackend implements BlockBackend {
  readonly name = 'ipset';
  readonly maxKernelTimeoutSec = IPSET_MAX_TIMEOUT;
  readonly needsRemoveBeforeFlush = false;
  readonly #xt: Xtables;
  readonly #ctx: BackendContext;

  constructor(ctx: BackendContext, target: BlockTarget = 'DROP') {
    this.#ctx = ctx;
    this.#xt = new Xtables(ctx, target);
  }

  async ensure(): Promise<void> {
    await this.#ipset([createLine(IPSET_NAMES[4], 4), createLine(IPSET_NAMES[6], 6)]);
    await this.#hook();
  }

  async add(entries: BlockEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const lines = [createLine(IPSET_NAMES[4], 4), createLine(IPSET_NAMES[6], 6)];
    for (const e of entries) lines.push(addLine(IPSET_NAMES[e.family], e));
    await this.#ipset(lines);
  }

  async remove(cidrs: string[]): Promise<void> {
    if (cidrs.length === 0) return;
    // Under -exist, deleting an entry that is gone is not an error.
    await this.#ipset(cidrs.map((c) => `del ${IPSET_NAMES[familyOf(c)]} ${c}`));
  }

  async list(): Promise<LiveBlock[]> {
    const out: LiveBlock[] = [];
    for (const fam of [4, 6] as const) {
      const text = await queryCommand(this.#ctx, 'ipset', ['save', IPSET_NAMES[fam]]);
      if (text !== null) out.push(...parseIpsetSave(text, fam));
    }
    return out;
  }

  async flush(): Promise<void> {
    for (const fam of [4, 6] as const) await this.#xt.restore(fam, this.#xt.removeChains(await this.#xt.save(fam)));
    const names = await this.#setNames();
    const doomed = Object.values(IPSET_NAMES).filter((n) => names.has(n));
    if (doomed.length > 0) await this.#ipset(doomed.map((n) => `destroy ${n}`));
  }

  async present(): Promise<boolean> {
    const names = await this.#setNames();
    if (!Object.values(IPSET_NAMES).every((n) => names.has(n))) return false;
    for (const fam of [4, 6] as const) {
      const saved = await this.#xt.save(fam);
      if (!chainsHooked(saved) || !XT_CHAINS.every((c) => saved.rules.some((r) => r.startsWith(`-A ${c.chain} `) && r.includes(IPSET_NAMES[fam])))) return false;
    }
    return true;
  }

  async sync(entries: BlockEntry[]): Promise<void> {
    const lines: string[] = [];
    for (const fam of [4, 6] as const) {
      const live = IPSET_NAMES[fam];
      const fresh = `${live}-new`;
      lines.push(createLine(live, fam), createLine(fresh, fam), `flush ${fresh}`);
      for (const e of entries) if (e.family === fam) lines.push(addLine(fresh, e));
      lines.push(`swap ${fresh} ${live}`, `destroy ${fresh}`);
    }
    await this.#ipset(lines);
    await this.#hook();
  }

  /** Replaces the chains' content with the set matches and hooks them, per family. */
  async #hook(): Promise<void> {
    const target = await this.#xt.target();
    for (const fam of [4, 6] as const) {
      const body: string[] = [];
      for (const c of XT_CHAINS) {
        for (const dir of c.dirs) {
          for (const tail of targetTails(target, fam, dir, c.chain)) body.push(`-A ${c.chain} -m set --match-set ${IPSET_NAMES[fam]} ${dir} ${tail}`);
        }
      }
      await this.#xt.restore(fam, this.#xt.replaceChains(await this.#xt.save(fam), body));
    }
  }

  async #setNames(): Promise<Set<string>> {
    const text = await queryCommand(this.#ctx, 'ipset', ['list', '-n']);
    return new Set((text ?? '').split('\n').map((s) => s.trim()).filter((s) => s !== ''));
  }

  async #ipset(lines: string[]): Promise<void> {
    await applyCommand(this.#ctx, 'ipset', ['-exist', 'restore'], `${lines.join('\n')}\n`);
  }
}

/** `ipset save NAME` output to LiveBlocks. */
export function parseIpsetSave(text: string, family: Family): LiveBlock[] {
  const out: LiveBlock[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[0] !== 'add' || f.length < 3) continue;
    const c = canonicalCidr(f[2] as string);
    if (c === null) continue;
    const ti = f.indexOf('timeout');
    const t = ti > 0 ? Number(f[ti + 1]) : 0;
    out.push({ cidr: c.text, family, expiresInSec: t > 0 ? t : null });
  }
  return out;
}
