/**
 * BlockManager: the blocks in force, their expiry, and the firewall work.
 * Decisions come from policy.ts and the never-block rules; the records
 * decide what the firewall must carry; BackendSet carries it, one batch per
 * call, retrying failed backends in the background. All firewall work is
 * serialized so a batch never interleaves with another.
 *
 * The daemon persists `toJSON()` atomically with its state and restores it
 * with `BlockManager.fromJSON()` followed by `reconcile()`.
 */
import type { Cidr } from '../../net/address.js';
import { canonicalCidr } from './cidr.js';
import { BackendSet, entriesFor, type RetryOptions } from './backend-set.js';
import { decideBlock, type BlockCandidate, type BlockPolicy, type SkipCode } from './policy.js';
import { emptyChange, RecordStore, type BlockRecord, type NewRecord } from './records.js';
import { OffenderLog } from './offender-log.js';
import { RestoreRules } from './restore-rules.js';
import { blockLinePieces, BlockLines, type LineVisitor } from './saved-lines.js';
import { readOffenderRow, readState, writeState, type BlockStateJson, type Offender } from './state.js';
import type { BlockBackend, EntryStream, Logger } from './types.js';

/** What the manager needs from NeverBlock (a fake is enough for pure unit tests). */
export interface BlockGuard {
  check(cidr: string, opts?: { force?: boolean; sshFailures?: boolean }): string | null;
  /** The never-block rules saved blocks are held to at a restore (NeverBlock.restoreRules); none when absent. */
  restoreRules?(): ReadonlyArray<{ cidr: Cidr; text: string; reason: string; hard: boolean }>;
  refresh?(): Promise<void>;
  readonly ageMs?: number;
  /** Stops following host changes (NeverBlock.watch()). */
  close?(): void;
}

export interface BlockManagerOptions {
  backends: BlockBackend[];
  policy: BlockPolicy;
  guard: BlockGuard;
  log?: Logger;
  /** Epoch ms clock (tests move it). */
  now?: () => number;
  /** Called after every change of the records, so the owner can save them. */
  onChange?: () => void;
  /** tick() re-reads the guard's host facts (addresses, routes, SSH sessions) when older than this (ms). Default 10 s. */
  guardMaxAgeMs?: number;
  /** Seconds between checks that the firewall objects still exist (BLOCK_CHECK_INTERVAL). */
  checkIntervalSec?: number;
  retry?: RetryOptions;
}

export interface BlockOptions {
  /**
   * Seconds; 0 = until removed. Default: the policy timeout for `dl`; with
   * no dl, level 5's for a manual block (an admin's decision lasts, by
   * default until removed) and AUTO_IDS_DANGER_LEVEL's otherwise.
   */
  timeoutSec?: number;
  reason?: string;
  dl?: number;
  manual?: boolean;
  /** Skip the soft never-block rules (whitelist, gateways, resolvers, SSH peers); hard rules still hold. */
  force?: boolean;
}

export type BlockResult =
  | { ok: true; cidr: string; expiresAt: number | null; changed: boolean; applied: boolean; coveredBy: string | null }
  | { ok: false; cidr: string; code: SkipCode; reason: string };

export class BlockManager {
  readonly #store = new RecordStore();
  readonly #offenders: OffenderLog;
  readonly #recentAuto: number[] = [];
  readonly #refused = new Set<string>();
  readonly #set: BackendSet;
  readonly #o: BlockManagerOptions;
  readonly #now: () => number;
  readonly #log: Logger;
  #queue: Promise<unknown> = Promise.resolve();
  #lastPresentCheck = 0;
  #unreadable = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: BlockManagerOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.#log = opts.log ?? (() => undefined);
    this.#offenders = new OffenderLog(opts.policy.offenderMemorySec * 1000);
    this.#set = new BackendSet(opts.backends, this.#log, opts.retry ?? { initialMs: 1000, maxMs: 300_000 });
  }

  /**
   * Restores saved blocks (toJSON() form, or blocks.json read by
   * readSavedBlocks); expired ones are dropped, malformed ones skipped and
   * logged. Call reconcile() next.
   */
  static fromJSON(data: unknown, opts: BlockManagerOptions): BlockManager {
    const m = new BlockManager(opts);
    const now = m.#now();
    if (data instanceof BlockLines) {
      const load = m.#lineLoader(data);
      data.each(now, load.visitor);
      load.finish();
      m.#dropProtected();
      return m;
    }
    const { records, offenders, skipped } = readState(data, now);
    if (skipped > 0) m.#log('warn', `ignored ${skipped} unreadable saved block(s)`);
    m.#unreadable = skipped;
    // Outer prefixes first, so nested blocks find their container.
    records.sort((a, b) => a.parsed.len - b.parsed.len);
    const ignored = emptyChange(); // reconcile() loads the firewall
    // The sort is stable: of a cidr saved twice, the first is put and the later ones skipped.
    for (const r of records) if (m.#store.get(r.cidr) === undefined) m.#store.put(r, true, ignored, r.parsed);
    m.#offenders.load(offenders);
    m.#dropProtected();
    return m;
  }

  /**
   * fromJSON() and reconcile() in one, for a restart. With blocks.json in
   * the line layout, every block the firewall must carry is handed to the
   * backends that stream (nftables) as soon as it is read, so the tool
   * parses while tsad is still reading (two cores at work instead of one
   * after the other); each backend's load stays one transaction, committed
   * after the last line. `ok` is false when a backend failed: it is
   * reported, keeps its old contents and is retried, as after reconcile().
   */
  static async restore(data: unknown, opts: BlockManagerOptions): Promise<{ manager: BlockManager; ok: boolean }> {
    const m = new BlockManager(opts);
    const streams = data instanceof BlockLines ? m.#set.openStreams() : new Map<BlockBackend, EntryStream>();
    if (!(data instanceof BlockLines) || streams.size === 0) {
      const manager = BlockManager.fromJSON(data, opts);
      return { manager, ok: await manager.reconcile() };
    }
    const now = m.#now();
    const list = [...streams.values()];
    const load = m.#lineLoader(data, (r) => {
      const timeoutSec = r.expiresAt === null ? 0 : Math.ceil((r.expiresAt - now) / 1000);
      if (r.expiresAt === null || timeoutSec > 0) for (const s of list) s.add(r.cidr, r.family, timeoutSec);
    });
    try {
      await data.eachAsync(now, load.visitor, async () => {
        await Promise.all(list.map((s) => s.ready()));
      });
    } catch (err) {
      for (const s of list) s.abort(err as Error);
      throw err;
    }
    load.finish();
    const redo = m.#dropProtected() > 0 || load.nestedLate();
    m.#lastPresentCheck = now;
    const ok = await m.#serial(async () => {
      if (redo) {
        // A block arrived after blocks inside it (a hand-edited file): what was streamed is not what the records say.
        for (const s of list) s.abort(new Error('superseded by a full load'));
        await Promise.all(list.map((s) => s.end().catch(() => undefined)));
        return m.#set.syncAll(entriesFor(m.#store.installed(), now), now);
      }
      const streamed = await m.#set.endStreams(streams, now);
      if (m.#set.backends.every((b) => streams.has(b))) return streamed;
      return (await m.#set.syncAll(entriesFor(m.#store.installed(), now), now, new Set(streams.keys()))) && streamed;
    });
    return { manager: m, ok };
  }

  /**
   * The never-block rules hold for saved blocks too (the host may have
   * gained the address, the whitelist grown): a restored block that
   * overlaps a protected prefix is dropped, and logged. Manual blocks keep
   * what `--force` lifted (the soft rules). One pass per rule over the
   * installed blocks it overlaps, not a check per saved block.
   */
  #dropProtected(): number {
    const rules = this.#o.guard.restoreRules?.() ?? [];
    let dropped = 0;
    for (let round = 0; round < 64; round++) {
      const doomed = new Map<string, string>();
      for (const rule of rules) {
        for (const cidr of this.#store.overlapping(rule.cidr)) {
          const r = this.#store.get(cidr) as BlockRecord;
          if (rule.hard || !r.manual) doomed.set(cidr, `${rule.reason} (${rule.text})`);
        }
      }
      if (doomed.size === 0) return dropped;
      // Dropping an outer block installs the blocks it held: the next round checks those.
      this.#store.drop([...doomed.keys()]);
      dropped += doomed.size;
      this.#notRestored([...doomed]);
    }
    return dropped;
  }

  #notRestored(doomed: ReadonlyArray<readonly [string, string]>): void {
    for (const [cidr, why] of doomed.slice(0, 20)) this.#log('warn', `not restoring the block against ${cidr}: ${why}`);
    if (doomed.length > 20) this.#log('warn', `... and ${doomed.length - 20} more saved blocks of protected addresses not restored`);
  }

  /**
   * blocks.json line by line: each row checked and stored as it is read,
   * no list of a million in between. The file lists outer prefixes first;
   * a row out of that order is stored the slow, scanning way. A block the
   * firewall is to carry is held to the never-block rules before it is
   * stored (so a streamed load never sees it), and handed to `installed`.
   * finish() logs what was skipped and loads the offenders; nestedLate()
   * says a row came after blocks inside it, which then left the firewall.
   */
  #lineLoader(data: BlockLines, installed?: (r: BlockRecord) => void): { visitor: LineVisitor; finish(): void; nestedLate(): boolean } {
    let skipped = 0;
    let nestedLate = false;
    const change = emptyChange(); // reconcile() or the streams load the firewall
    const longest = { 4: -1, 6: -1 };
    const offenders: Offender[] = [];
    const rules = new RestoreRules(this.#o.guard.restoreRules?.() ?? []);
    const doomed: Array<[string, string]> = [];
    // A few reasons repeat a million times: one string each instead of one per block.
    const reasons = new Map<string, string>();
    const store = this.#store;
    const visitor: LineVisitor = {
      block: (r) => {
        if (r === null) skipped++;
        if (r === null || r === 'expired') return;
        const same = reasons.get(r.reason);
        if (same !== undefined) r.reason = same;
        else if (reasons.size < 10_000) reasons.set(r.reason, r.reason);
        if (rules.size > 0) {
          // A block inside a restored one is not in the firewall: the rules look at its container (as #dropProtected does).
          const why = rules.why(r.parsed, r.manual);
          if (why !== null && !store.covered(r.parsed) && store.get(r.cidr) === undefined) {
            doomed.push([r.cidr, why]);
            return;
          }
        }
        const inOrder = r.parsed.len >= longest[r.parsed.family];
        if (inOrder) longest[r.parsed.family] = r.parsed.len;
        store.put(r, inOrder, change, r.parsed, true);
        if (change.uninstall.length > 0) {
          nestedLate = true;
          change.uninstall.length = 0;
        }
        if (installed !== undefined) for (const rec of change.install) installed(rec);
        change.install.length = 0;
      },
      offender: (row) => {
        const o = readOffenderRow(row);
        if (o !== null) offenders.push(o);
      },
      bad: (problem, line) => {
        if (line) skipped++;
        else this.#log('warn', problem);
      },
    };
    return {
      visitor,
      nestedLate: () => nestedLate,
      finish: () => {
        if (skipped > 0) this.#log('warn', `ignored ${skipped} unreadable saved block(s) in ${data.path}`);
        this.#unreadable = skipped;
        this.#notRestored(doomed);
        offenders.sort((a, b) => a.last - b.last);
        this.#offenders.load(offenders);
      },
    };
  }

  /** Saved blocks that could not be read at the restore (damaged lines or entries). */
  get unreadableAtLoad(): number {
    return this.#unreadable;
  }

  toJSON(): BlockStateJson {
    return writeState(this.#store.values(), this.#offenders.values(), this.#now());
  }

  /** blocks.json (version 2, one block per line) as pieces, from a snapshot taken now. */
  toLines(): () => string | null {
    return blockLinePieces(this.#store.values(), this.#offenders.values(), this.#now());
  }

  get size(): number {
    return this.#store.size;
  }

  /** Blocks in force: IPv4 first, outer prefixes before the blocks inside them, then by cidr. */
  records(): BlockRecord[] {
    return [...this.#store.values()].map((r) => ({ ...r })).sort((a, b) => a.family - b.family || prefixLen(a.cidr) - prefixLen(b.cidr) || a.cidr.localeCompare(b.cidr));
  }

  get(cidr: string): BlockRecord | undefined {
    const c = canonicalCidr(cidr);
    const r = c ? this.#store.get(c.text) : undefined;
    return r ? { ...r } : undefined;
  }

  /** Backends waiting for a retry after a failed command. */
  failingBackends(): string[] {
    return this.#set.failing();
  }

  /** Blocks one address or prefix (manual blocks, the daemon's control socket). */
  async block(cidr: string, opts: BlockOptions = {}): Promise<BlockResult> {
    return (await this.blockMany([cidr], opts))[0] as BlockResult;
  }

  /** Blocks several addresses or prefixes with the same options in one firewall batch (reputation feeds with block=Y). */
  async blockMany(cidrs: readonly string[], opts: BlockOptions = {}): Promise<BlockResult[]> {
    await this.#freshGuard();
    const now = this.#now();
    const p = this.#o.policy;
    const dl = opts.dl ?? (opts.manual === true ? 5 : p.minDl);
    const timeoutSec = opts.timeoutSec ?? (p.timeouts[Math.min(5, Math.max(1, dl)) - 1] as number);
    const expiresAt = timeoutSec === 0 ? null : now + timeoutSec * 1000;
    const refused: BlockResult[] = [];
    const recs: NewRecord[] = [];
    for (const cidr of cidrs) {
      const parsed = canonicalCidr(cidr);
      if (parsed === null) {
        refused.push({ ok: false, cidr, code: 'invalid', reason: `"${cidr}" is not an address or CIDR` });
        continue;
      }
      const why = this.#o.guard.check(parsed.text, { force: opts.force });
      if (why !== null) refused.push(this.#refuse(parsed.text, why));
      else recs.push({ cidr: parsed.text, createdAt: now, expiresAt, reason: opts.reason ?? (opts.manual ? 'manual' : `danger level ${dl}`), dl: opts.dl ?? null, manual: opts.manual ?? false });
    }
    // Outer prefixes first, so nested blocks find their container instead of displacing it.
    recs.sort((a, b) => prefixLen(a.cidr) - prefixLen(b.cidr));
    return [...refused, ...(await this.#commit(recs, now))];
  }

  /** Scores a batch of sources with decideBlock() and applies every block in one firewall batch. */
  async autoBlock(candidates: readonly BlockCandidate[]): Promise<BlockResult[]> {
    if (!this.#o.policy.enabled || candidates.length === 0) return [];
    await this.#freshGuard();
    const now = this.#now();
    this.#pruneRecent(now);
    const results: BlockResult[] = [];
    const recs: NewRecord[] = [];
    for (const c of candidates) {
      const canon = canonicalCidr(c.src)?.text ?? c.src;
      const found = this.#store.get(canon);
      const current = found && (found.expiresAt === null || found.expiresAt > now) ? found : undefined;
      const d = decideBlock(c, this.#o.policy, {
        now,
        blocksLastMinute: this.#recentAuto.length,
        liveBlocks: this.#store.size + recs.length,
        priorOffenses: this.#offenders.prior(canon, now),
        current,
        protectedReason: this.#o.guard.check(canon, { sshFailures: c.sshFailures === true }),
      });
      if (!d.block) {
        if (d.code === 'protected') this.#refuse(canon, d.reason);
        if (d.code !== 'below-level' && d.code !== 'already') results.push({ ok: false, cidr: canon, code: d.code, reason: d.reason });
        continue;
      }
      if (!current) this.#recentAuto.push(now);
      recs.push({ cidr: d.cidr, createdAt: current?.createdAt ?? now, expiresAt: d.timeoutSec === 0 ? null : now + d.timeoutSec * 1000, reason: d.reason, dl: c.dl, manual: false });
    }
    return [...results, ...(await this.#commit(recs, now))];
  }

  /** Removes a block (and, defensively, the cidr from every backend even when tsad has no record of it). */
  async unblock(cidr: string): Promise<{ cidr: string; removed: boolean }> {
    const parsed = canonicalCidr(cidr);
    if (parsed === null) throw new Error(`"${cidr}" is not an address or CIDR`);
    const rec = this.#store.get(parsed.text);
    if (!rec) {
      await this.#serial(() => Promise.all(this.#o.backends.map((b) => b.remove([parsed.text]).catch(() => undefined))));
      return { cidr: parsed.text, removed: false };
    }
    const change = this.#store.drop([parsed.text]);
    await this.#serial(() => this.#set.apply(change, this.#now(), false));
    this.#log('info', `removed block against ${parsed.text} (unblocked)`);
    this.#changed();
    return { cidr: parsed.text, removed: true };
  }

  /** Drops blocks that ran out; backends without kernel timeouts get the removals. Returns the cidrs. */
  async expire(now = this.#now()): Promise<string[]> {
    const gone = this.#store.expired(now);
    this.#offenders.prune(now);
    if (gone.length === 0) return gone;
    const change = this.#store.drop(gone);
    await this.#serial(() => this.#set.apply(change, now, true));
    for (const c of gone.slice(0, 20)) this.#log('info', `removed block against ${c} (expired)`);
    if (gone.length > 20) this.#log('info', `... and ${gone.length - 20} more expired blocks removed`);
    this.#changed();
    return gone;
  }

  /** Re-creates tsad's firewall objects and loads every live block, one batch per backend. */
  async reconcile(): Promise<boolean> {
    const now = this.#now();
    const gone = this.#store.expired(now);
    if (gone.length > 0) {
      this.#store.drop(gone);
      this.#changed();
    }
    this.#lastPresentCheck = now;
    return this.#serial(() => this.#set.syncAll(entriesFor(this.#store.installed(), now), now));
  }

  /**
   * Checks that the firewall objects still exist and restores any backend
   * that lost them. `quiet` logs the restore as info instead of a warning
   * (first use, or a CLI run after a reboot, where nothing is amiss).
   */
  async checkPresent(opts: { quiet?: boolean } = {}): Promise<string[]> {
    const now = this.#now();
    this.#lastPresentCheck = now;
    return this.#serial(() => this.#set.repairMissing(() => entriesFor(this.#store.installed(), this.#now()), now, opts.quiet ?? false));
  }

  /** Removes every block and everything tsad created in the firewall. Returns how many blocks were dropped. */
  async flush(): Promise<number> {
    const n = this.#store.size;
    const installed = this.#store.clear().map((r) => r.cidr);
    await this.#serial(() => this.#set.flush(installed));
    this.#log('info', `flushed ${n} block(s)`);
    this.#changed();
    return n;
  }

  /** Periodic work: fresh never-block facts, expiry, retries of failed backends, and every checkIntervalSec the presence check. */
  async tick(now = this.#now()): Promise<void> {
    await this.#freshGuard(1).catch((err: unknown) => this.#log('error', `cannot re-read the never-block facts: ${(err as Error).message}`));
    await this.expire(now);
    await this.#serial(() => this.#set.retryDue(() => entriesFor(this.#store.installed(), this.#now()), now));
    if (now - this.#lastPresentCheck >= (this.#o.checkIntervalSec ?? 30) * 1000) await this.checkPresent();
  }

  /** Runs tick() every `intervalMs` until stop(); the timer does not keep the process alive. */
  start(intervalMs = 1000): void {
    this.stop();
    this.#timer = setInterval(() => {
      this.tick().catch((err: unknown) => this.#log('error', `block maintenance failed: ${(err as Error).message}`));
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** stop(), and the guard stops following host changes: the manager is done with. */
  close(): void {
    this.stop();
    this.#o.guard.close?.();
  }

  /** Resolves when queued firewall work has finished. */
  async idle(): Promise<void> {
    await this.#queue.catch(() => undefined);
  }

  /** Records the blocks and applies the firewall work in one batch. */
  async #commit(recs: NewRecord[], now: number): Promise<BlockResult[]> {
    if (recs.length === 0) return [];
    await this.expire(now);
    const change = emptyChange();
    const results: Array<Extract<BlockResult, { ok: true }>> = [];
    for (const r of recs) {
      const before = this.#store.get(r.cidr);
      const changed = !before || before.expiresAt !== r.expiresAt;
      this.#store.put(r, false, change);
      if (!before) this.#offenders.record(r.cidr, now);
      const after = this.#store.get(r.cidr) as BlockRecord;
      results.push({ ok: true, cidr: r.cidr, expiresAt: after.expiresAt, changed, applied: true, coveredBy: after.coveredBy });
      if (changed) this.#log('info', `added block against ${r.cidr} ${r.expiresAt === null ? '(until removed)' : `for ${Math.round((r.expiresAt - now) / 1000)} seconds`}: ${r.reason}${after.coveredBy ? ` (inside blocked ${after.coveredBy})` : ''}`);
    }
    const ok = await this.#serial(() => this.#set.apply(change, now, false));
    if (!ok) for (const r of results) r.applied = false;
    this.#changed();
    return results;
  }

  #refuse(cidr: string, reason: string): BlockResult {
    const key = `${cidr}|${reason}`;
    if (!this.#refused.has(key)) {
      if (this.#refused.size >= 10_000) this.#refused.clear();
      this.#refused.add(key);
      this.#log('warn', `not blocking ${cidr}: ${reason}`);
    }
    return { ok: false, cidr, code: 'protected', reason };
  }

  /** tick() keeps the host facts fresh; a block only waits for a refresh when ticks have stopped (6x overdue). */
  async #freshGuard(factor = 6): Promise<void> {
    const g = this.#o.guard;
    if (g.refresh && (g.ageMs ?? 0) > (this.#o.guardMaxAgeMs ?? 10_000) * factor) await g.refresh();
  }

  #pruneRecent(now: number): void {
    while (this.#recentAuto.length > 0 && (this.#recentAuto[0] as number) <= now - 60_000) this.#recentAuto.shift();
  }

  #changed(): void {
    this.#o.onChange?.();
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

function prefixLen(cidr: string): number {
  const slash = cidr.indexOf('/');
  return slash < 0 ? (cidr.includes(':') ? 128 : 32) : Number(cidr.slice(slash + 1));
}

