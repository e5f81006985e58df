/**
 * iptables/ip6tables plumbing shared by the ipset and iptables backends:
 * chains TSAD_BLOCK_INPUT/OUTPUT/FORWARD hooked at position 1 of INPUT,
 * OUTPUT and FORWARD (psad's IPT_AUTO_CHAIN layout), rule text for the
 * configured target, reading `iptables-save`, and one `iptables-restore
 * --noflush` transaction per family and batch.
 */
import { applyCommand, queryCommand } from '../runner.js';
import type { BackendContext, Family } from '../types.js';
import type { BlockTarget } from './common.js';

export const XT_CHAINS = [
  { chain: 'TSAD_BLOCK_INPUT', from: 'INPUT', dirs: ['src'] },
  { chain: 'TSAD_BLOCK_OUTPUT', from: 'OUTPUT', dirs: ['dst'] },
  { chain: 'TSAD_BLOCK_FORWARD', from: 'FORWARD', dirs: ['src', 'dst'] },
] as const;

export type Direction = 'src' | 'dst';

const TOOLS: Record<Family, { cmd: string; restore: string; save: string }> = {
  4: { cmd: 'iptables', restore: 'iptables-restore', save: 'iptables-save' },
  6: { cmd: 'ip6tables', restore: 'ip6tables-restore', save: 'ip6tables-save' },
};

export interface SavedFilter {
  chains: Set<string>;
  /** `-A CHAIN ...` lines of the filter table, as iptables-save prints them. */
  rules: string[];
}

/** Parses the `*filter` part of iptables-save output. */
export function parseSave(text: string): SavedFilter {
  const chains = new Set<string>();
  const rules: string[] = [];
  let inFilter = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) inFilter = line === '*filter';
    else if (!inFilter) continue;
    else if (line.startsWith(':')) chains.add(line.slice(1).split(' ')[0] as string);
    else if (line.startsWith('-A ')) rules.push(line);
  }
  return { chains, rules };
}

export function jumpRule(from: string, chain: string): string {
  return `-A ${from} -j ${chain}`;
}

/** True when every tsad chain exists and is jumped to. */
export function chainsHooked(s: SavedFilter): boolean {
  return XT_CHAINS.every((c) => s.chains.has(c.chain) && s.rules.includes(jumpRule(c.from, c.chain)));
}

/**
 * Rule tails (after `-A CHAIN <match>`) for the target. TARPIT only makes
 * sense for incoming TCP, so other traffic and the OUTPUT chain drop.
 */
export function targetTails(target: BlockTarget, family: Family, dir: Direction, chain: string): string[] {
  if (target === 'REJECT') {
    // The ICMP errors REJECT sends to a blocked address leave through OUTPUT as RELATED packets: let them go.
    const related = chain.endsWith('OUTPUT') ? '-m conntrack ! --ctstate RELATED ' : '';
    return [`${related}-j REJECT --reject-with ${family === 4 ? 'icmp-admin-prohibited' : 'icmp6-adm-prohibited'}`];
  }
  if (target === 'TARPIT' && !chain.endsWith('OUTPUT') && dir === 'src') return ['-p tcp -j TARPIT', '-j DROP'];
  return ['-j DROP'];
}

export class Xtables {
  readonly #ctx: BackendContext;
  #target: BlockTarget;
  #tarpitChecked = false;

  constructor(ctx: BackendContext, target: BlockTarget) {
    this.#ctx = ctx;
    this.#target = target;
  }

  get ctx(): BackendContext {
    return this.#ctx;
  }

  /** The target in effect: TARPIT falls back to DROP (logged once) when the extension is missing. */
  async target(): Promise<BlockTarget> {
    if (this.#target === 'TARPIT' && !this.#tarpitChecked) {
      this.#tarpitChecked = true;
      const help = await queryCommand(this.#ctx, 'iptables', ['-j', 'TARPIT', '-h']);
      if (help === null || !help.includes('TARPIT')) {
        this.#ctx.log('warn', 'the TARPIT target is not available (xtables-addons); dropping instead');
        this.#target = 'DROP';
      }
    }
    return this.#target;
  }

  async save(family: Family): Promise<SavedFilter> {
    const text = await queryCommand(this.#ctx, TOOLS[family].save, ['-t', 'filter']);
    return parseSave(text ?? '');
  }

  /** Applies `lines` to the filter table of one family in one transaction; no-op when empty. */
  async restore(family: Family, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    await applyCommand(this.#ctx, TOOLS[family].restore, ['--noflush'], `*filter\n${lines.join('\n')}\nCOMMIT\n`);
  }

  /**
   * Lines that (re)create the chains with `body` as their whole content: a
   * declared chain is created, or emptied under --noflush, in the same
   * transaction that refills it. Missing jumps are inserted at position 1.
   */
  replaceChains(saved: SavedFilter, body: readonly string[]): string[] {
    const lines = XT_CHAINS.map((c) => `:${c.chain} - [0:0]`);
    for (const c of XT_CHAINS) if (!saved.rules.includes(jumpRule(c.from, c.chain))) lines.push(`-I ${c.from} 1 -j ${c.chain}`);
    return [...lines, ...body];
  }

  /** Lines that unhook, empty and delete the chains that exist. */
  removeChains(saved: SavedFilter): string[] {
    const lines: string[] = [];
    for (const c of XT_CHAINS) {
      for (const r of saved.rules) if (r === jumpRule(c.from, c.chain)) lines.push(`-D ${c.from} -j ${c.chain}`);
    }
    for (const c of XT_CHAINS) if (saved.chains.has(c.chain)) lines.push(`-F ${c.chain}`);
    for (const c of XT_CHAINS) if (saved.chains.has(c.chain)) lines.push(`-X ${c.chain}`);
    return lines;
  }
}
