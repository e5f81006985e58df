/**
 * nftables backend: table `inet tsad`, interval sets `block_v4`/`block_v6`
 * with kernel timeouts, and base chains `input`, `forward`, `output` that drop
 * (or reject) matching source addresses on the way in and through, and
 * destinations on the way out and through. Every change is one `nft -f -`
 * transaction fed on stdin.
 *
 * Speed notes (nft 1.0.6, Debian 12):
 * - `add element` and `delete element` commands make nft dump the whole
 *   interval set first (about 1 s at 100,000 elements), while elements
 *   declared inside a `table { set { elements } }` block are not dumped.
 *   Additions therefore use the block form; removals, which are rarer and
 *   off the hot path, use the command form.
 * - A set declared empty and then declared again with elements in the same
 *   transaction costs nft twice the memory and about 1.6 times the time of
 *   one declaration with the elements (1M elements: 1.55 GB, 13-15 CPU s,
 *   against 0.78 GB, 7.5-8 s). A full load (sync) therefore replaces the
 *   whole table in one transaction, each set declared once with all its
 *   elements: atomic like before (no moment without the blocks), and
 *   deleting the old table is cheap (0.2 s at 1M elements).
 * - nft sorts an interval set's elements before it loads them: given in
 *   address order, a million cost it a third of the CPU they cost in the
 *   order they were blocked (random addresses: 11.5 s against 3.6 s user).
 *   Loads are written in address order; a restart streams blocks.json's
 *   order, which the saver writes sorted.
 * - Listing a set is slow in the kernel at this size (`nft list set` of
 *   900,000 interval elements: about 100 s, almost all system time).
 */
import { byAddress } from '../cidr.js';
import { applyCommand, queryCommand, STREAM_PATH_ARG } from '../runner.js';
import { TextStream } from '../text-stream.js';
import type { BackendContext, BlockBackend, BlockEntry, EntryStream, Family, LiveBlock } from '../types.js';
import { chunk, familyOf, type BlockTarget } from './common.js';

export const NFT_TABLE = 'tsad';
export const NFT_SETS: Record<Family, string> = { 4: 'block_v4', 6: 'block_v6' };
const CHAINS = ['input', 'forward', 'output'] as const;
/** nft refuses element timeouts much beyond 1000 days ("value too large"). */
const NFT_MAX_TIMEOUT = 86_400_000;
const CHUNK = 20_000;
/** Characters of elements gathered before they are handed to a streamed load. */
const PIECE = 64 * 1024;
/** Replaces the table in the same transaction (`add` first so the delete cannot fail). */
const REPLACE_TABLE = `add table inet ${NFT_TABLE}\ndelete table inet ${NFT_TABLE}\n`;

type Json = Record<string, unknown>;

export class NftablesBackend implements BlockBackend {
  readonly name = 'nftables';
  readonly maxKernelTimeoutSec = NFT_MAX_TIMEOUT;
  readonly needsRemoveBeforeFlush = false;
  readonly #ctx: BackendContext;
  readonly #target: BlockTarget;

  constructor(ctx: BackendContext, target: BlockTarget = 'DROP') {
    this.#ctx = ctx;
    if (target === 'TARPIT') ctx.log('warn', 'nftables has no TARPIT target; the nftables backend drops instead');
    this.#target = target === 'TARPIT' ? 'DROP' : target;
  }

  async ensure(): Promise<void> {
    await this.#nft(this.#structure());
  }

  async add(entries: BlockEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const fresh = entries.filter((e) => !e.replace);
    // Before Linux 6.10 re-adding an element keeps its old timeout: replace by add, delete, add.
    const lines: string[] = [];
    for (const e of entries) {
      if (!e.replace) continue;
      const set = `inet ${NFT_TABLE} ${NFT_SETS[e.family]}`;
      lines.push(`add element ${set} { ${elementText(e)} }`, `delete element ${set} { ${e.cidr} }`, `add element ${set} { ${elementText(e)} }`);
    }
    await this.#nft(`${elementBlocks(fresh)}${lines.length > 0 ? `${lines.join('\n')}\n` : ''}`);
  }

  async remove(cidrs: string[]): Promise<void> {
    const lines: string[] = [];
    for (const fam of [4, 6] as const) {
      const mine = cidrs.filter((c) => familyOf(c) === fam);
      // Adding first makes the delete succeed whether or not the element (still) exists.
      for (const part of chunk(mine, CHUNK)) {
        const list = part.join(', ');
        lines.push(`add element inet ${NFT_TABLE} ${NFT_SETS[fam]} { ${list} }`, `delete element inet ${NFT_TABLE} ${NFT_SETS[fam]} { ${list} }`);
      }
    }
    if (lines.length > 0) await this.#nft(`${lines.join('\n')}\n`);
  }

  async list(): Promise<LiveBlock[]> {
    const out: LiveBlock[] = [];
    for (const fam of [4, 6] as const) {
      const text = await queryCommand(this.#ctx, 'nft', ['-j', 'list', 'set', 'inet', NFT_TABLE, NFT_SETS[fam]]);
      if (text !== null) out.push(...parseSetElements(text, fam));
    }
    return out;
  }

  async flush(): Promise<void> {
    // `add` first so the delete cannot fail on a missing table.
    await this.#nft(`add table inet ${NFT_TABLE}\ndelete table inet ${NFT_TABLE}\n`);
  }

  async present(): Promise<boolean> {
    const text = await queryCommand(this.#ctx, 'nft', ['-t', '-j', 'list', 'table', 'inet', NFT_TABLE]);
    return text !== null && structureComplete(text);
  }

  /** The table replaced by one holding exactly `entries`, in one transaction. */
  async sync(entries: BlockEntry[]): Promise<void> {
    await this.#nft(`${REPLACE_TABLE}${this.#structure(entries)}`);
  }

  /**
   * sync() as a script written while nft reads it: the same single
   * transaction (each set declared once with its elements), but nft parses
   * the elements (two thirds of its work at a million) while tsad is still
   * reading blocks.json. nft reads `-f -` whole before it parses anything;
   * a named pipe it opens itself it parses as the text arrives (nft 1.0.6).
   */
  syncStream(): EntryStream | null {
    if (this.#ctx.dryRun) return null;
    const text = new TextStream();
    const done = applyCommand(this.#ctx, 'nft', ['-f', STREAM_PATH_ARG], text);
    done.catch(() => undefined); // end() reports it
    text.push(`${REPLACE_TABLE}table inet ${NFT_TABLE} {\n`);
    let open: Family | null = null;
    const closed = new Set<Family>();
    const late: Record<Family, string[]> = { 4: [], 6: [] };
    let piece = '';
    let first = true;
    const close = (): void => {
      if (open === null) return;
      text.push(`${piece} }; }\n`);
      piece = '';
      closed.add(open);
      open = null;
    };
    return {
      add: (cidr, family, timeoutSec) => {
        const el = timedElement(cidr, timeoutSec);
        if (open !== family) {
          // Each set is declared once as its elements come; a family seen again after the other one (a hand-edited file) waits for the end.
          if (closed.has(family)) {
            late[family].push(el);
            return;
          }
          close();
          open = family;
          first = true;
          text.push(`${setHead(family)} elements = { `);
        }
        piece += first ? el : `, ${el}`;
        first = false;
        if (piece.length >= PIECE) {
          text.push(piece);
          piece = '';
        }
      },
      ready: () => text.ready(),
      end: async () => {
        close();
        for (const fam of [4, 6] as const) {
          if (late[fam].length > 0) text.push(`${setHead(fam)} elements = { ${late[fam].join(', ')} }; }\n`);
          else if (!closed.has(fam)) text.push(`${setHead(fam)} }\n`);
        }
        text.push(this.#tail());
        text.end();
        await done;
      },
      abort: (why) => text.fail(why),
    };
  }

  /**
   * Table, sets and chains, with the chains' rules replaced (idempotent).
   * With `entries`, each set is declared with its elements (a new table only:
   * adding to an existing set needs the block form of elementBlocks).
   */
  #structure(entries?: readonly BlockEntry[]): string {
    return `table inet ${NFT_TABLE} {\n${setHead(4)}${elementsClause(entries, 4)} }\n${setHead(6)}${elementsClause(entries, 6)} }\n${this.#tail()}`;
  }

  /** The rest of the table after its sets: the chains, the table's closing brace, and the chains' rules replaced. */
  #tail(): string {
    const verdict = this.#target === 'REJECT' ? 'reject with icmpx type admin-prohibited' : 'drop';
    // The ICMP errors and resets that `reject` sends to a blocked address are RELATED packets: let them out.
    const rule = (chain: string, match: string): string =>
      `add rule inet ${NFT_TABLE} ${chain} ${match}${chain === 'output' && this.#target === 'REJECT' ? ' ct state != related' : ''} counter ${verdict}`;
    const lines = [
      ...CHAINS.map((c) => `  chain ${c} { type filter hook ${c} priority filter - 10; policy accept; }`),
      '}',
      ...CHAINS.map((c) => `flush chain inet ${NFT_TABLE} ${c}`),
      rule('input', `ip saddr @${NFT_SETS[4]}`),
      rule('input', `ip6 saddr @${NFT_SETS[6]}`),
      rule('forward', `ip saddr @${NFT_SETS[4]}`),
      rule('forward', `ip6 saddr @${NFT_SETS[6]}`),
      rule('forward', `ip daddr @${NFT_SETS[4]}`),
      rule('forward', `ip6 daddr @${NFT_SETS[6]}`),
      rule('output', `ip daddr @${NFT_SETS[4]}`),
      rule('output', `ip6 daddr @${NFT_SETS[6]}`),
    ];
    return `${lines.join('\n')}\n`;
  }

  async #nft(script: string): Promise<void> {
    await applyCommand(this.#ctx, 'nft', ['-f', '-'], script);
  }
}

/** A set's declaration up to its elements (the caller closes it with ` }`). */
function setHead(fam: Family): string {
  return `  set ${NFT_SETS[fam]} { type ${fam === 4 ? 'ipv4_addr' : 'ipv6_addr'}; flags interval, timeout;`;
}

function elementText(e: { cidr: string; timeoutSec: number }): string {
  return timedElement(e.cidr, e.timeoutSec);
}

function timedElement(cidr: string, timeoutSec: number): string {
  return timeoutSec > 0 && timeoutSec <= NFT_MAX_TIMEOUT ? `${cidr} timeout ${Math.ceil(timeoutSec)}s` : cidr;
}

/** ` elements = { ... };` for a set declaration: every entry of the family, or nothing. */
function elementsClause(entries: readonly BlockEntry[] | undefined, fam: Family): string {
  if (entries === undefined) return '';
  let list = '';
  for (const e of byAddress(entries.filter((x) => x.family === fam), (x) => x.cidr)) list += `${list === '' ? '' : ', '}${elementText(e)}`;
  return list === '' ? '' : ` elements = { ${list} };`;
}

/** Elements in the `table { set { elements } }` form, chunked to keep each statement moderate. */
function elementBlocks(entries: readonly BlockEntry[]): string {
  const out: string[] = [];
  for (const fam of [4, 6] as const) {
    const mine = byAddress(entries.filter((e) => e.family === fam), (e) => e.cidr);
    for (const part of chunk(mine, CHUNK)) {
      out.push(`table inet ${NFT_TABLE} {\n${setHead(fam)} elements = { ${part.map(elementText).join(', ')} }; }\n}`);
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

function elemValue(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && 'prefix' in v) {
    const p = (v as { prefix: { addr?: unknown; len?: unknown } }).prefix;
    if (typeof p.addr === 'string' && typeof p.len === 'number') return `${p.addr}/${p.len}`;
  }
  return null; // ranges that are not prefixes were not made by tsad
}

/** `nft -j list set` output to LiveBlocks. */
export function parseSetElements(text: string, family: Family): LiveBlock[] {
  const out: LiveBlock[] = [];
  const doc = JSON.parse(text) as { nftables?: Json[] };
  for (const item of doc.nftables ?? []) {
    const set = item.set as Json | undefined;
    if (!set || !Array.isArray(set.elem)) continue;
    for (const el of set.elem as unknown[]) {
      const wrapped = el && typeof el === 'object' && 'elem' in el ? (el as { elem: Json }).elem : null;
      const cidr = elemValue(wrapped ? wrapped.val : el);
      if (cidr === null) continue;
      const expires = wrapped && typeof wrapped.expires === 'number' ? wrapped.expires : null;
      out.push({ cidr, family, expiresInSec: expires });
    }
  }
  return out;
}

/** True when `nft -t -j list table` shows both sets and every chain with its rules. */
export function structureComplete(text: string): boolean {
  const doc = JSON.parse(text) as { nftables?: Json[] };
  const sets = new Set<string>();
  const rules = new Map<string, number>();
  for (const item of doc.nftables ?? []) {
    const s = item.set as Json | undefined;
    if (s && typeof s.name === 'string') sets.add(s.name);
    const r = item.rule as Json | undefined;
    if (r && typeof r.chain === 'string') rules.set(r.chain, (rules.get(r.chain) ?? 0) + 1);
  }
  const want: Record<(typeof CHAINS)[number], number> = { input: 2, forward: 4, output: 2 };
  return Object.values(NFT_SETS).every((s) => sets.has(s)) && CHAINS.every((c) => (rules.get(c) ?? 0) >= want[c]);
}
