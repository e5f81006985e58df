/**
 * iptables chain backend for systems without nftables or ipset: one rule per
 * blocked address in TSAD_BLOCK_INPUT (-s), TSAD_BLOCK_OUTPUT (-d) and
 * TSAD_BLOCK_FORWARD (-s and -d), as psad's IPT_AUTO_CHAIN does, for IPv4 and
 * IPv6. No kernel timeouts: tsad removes expired blocks. Each batch is one
 * `iptables-restore --noflush` per family.
 */
import { canonicalCidr } from '../cidr.js';
import type { BackendContext, BlockBackend, BlockEntry, Family, LiveBlock } from '../types.js';
import { familyOf, type BlockTarget } from './common.js';
import { chainsHooked, jumpRule, targetTails, XT_CHAINS, Xtables, type SavedFilter } from './xtables.js';

const RULE_RE = /^-A (TSAD_BLOCK_[A-Z]+) -[sd] (\S+) /;

/** A cidr as iptables-save prints it: always with its prefix length. */
function saveForm(cidr: string): string {
  return cidr.includes('/') ? cidr : `${cidr}/${familyOf(cidr) === 4 ? 32 : 128}`;
}

export class IptablesBackend implements BlockBackend {
  readonly name = 'iptables';
  readonly maxKernelTimeoutSec = 0;
  readonly needsRemoveBeforeFlush = false;
  readonly #xt: Xtables;

  constructor(ctx: BackendContext, target: BlockTarget = 'DROP') {
    this.#xt = new Xtables(ctx, target);
  }

  async ensure(): Promise<void> {
    for (const fam of [4, 6] as const) await this.#xt.restore(fam, hookLines(await this.#xt.save(fam)));
  }

  async add(entries: BlockEntry[]): Promise<void> {
    const target = await this.#xt.target();
    for (const fam of [4, 6] as const) {
      const mine = entries.filter((e) => e.family === fam);
      if (mine.length === 0) continue;
      const saved = await this.#xt.save(fam);
      const have = new Set(saved.rules);
      const fresh = rulesFor(mine, target, fam).filter((r) => !have.has(r));
      await this.#xt.restore(fam, [...hookLines(saved), ...fresh]);
    }
  }

  async remove(cidrs: string[]): Promise<void> {
    const doomed = new Set(cidrs.map(saveForm));
    for (const fam of [4, 6] as const) {
      if (!cidrs.some((c) => familyOf(c) === fam)) continue;
      const saved = await this.#xt.save(fam);
      const lines = saved.rules.filter((r) => doomed.has(RULE_RE.exec(r)?.[2] ?? '')).map((r) => `-D${r.slice(2)}`);
      await this.#xt.restore(fam, lines);
    }
  }

  async list(): Promise<LiveBlock[]> {
    const out = new Map<string, LiveBlock>();
    for (const fam of [4, 6] as const) {
      for (const r of (await this.#xt.save(fam)).rules) {
        const m = RULE_RE.exec(r);
        const c = m ? canonicalCidr(m[2] as string) : null;
        if (c !== null) out.set(c.text, { cidr: c.text, family: fam, expiresInSec: null });
      }
    }
    return [...out.values()];
  }

  async flush(): Promise<void> {
    for (const fam of [4, 6] as const) await this.#xt.restore(fam, this.#xt.removeChains(await this.#xt.save(fam)));
  }

  async present(): Promise<boolean> {
    for (const fam of [4, 6] as const) if (!chainsHooked(await this.#xt.save(fam))) return false;
    return true;
  }

  async sync(entries: BlockEntry[]): Promise<void> {
    const target = await this.#xt.target();
    for (const fam of [4, 6] as const) {
      const body = rulesFor(entries.filter((e) => e.family === fam), target, fam);
      await this.#xt.restore(fam, this.#xt.replaceChains(await this.#xt.save(fam), body));
    }
  }
}

/** Creates missing chains (without emptying existing ones) and missing jumps. */
function hookLines(saved: SavedFilter): string[] {
  const lines: string[] = [];
  for (const c of XT_CHAINS) if (!saved.chains.has(c.chain)) lines.push(`:${c.chain} - [0:0]`);
  for (const c of XT_CHAINS) if (!saved.rules.includes(jumpRule(c.from, c.chain))) lines.push(`-I ${c.from} 1 -j ${c.chain}`);
  return lines;
}

/** `-A` lines in iptables-save's own spelling, so existing rules can be recognized. */
function rulesFor(entries: readonly BlockEntry[], target: BlockTarget, family: Family): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const addr = saveForm(e.cidr);
    for (const c of XT_CHAINS) {
      for (const dir of c.dirs) {
        for (const tail of targetTails(target, family, dir, c.chain)) out.push(`-A ${c.chain} ${dir === 'src' ? '-s' : '-d'} ${addr} ${tail}`);
      }
    }
  }
  return out;
}
