/**
 * Automatic blocking in the daemon (ENABLE_AUTO_IDS Y): a BlockManager from
 * the blocking stage, fed with the level changes. Changes that arrive
 * together (one chunk of log lines) go to the firewall as one batch. At
 * start the saved blocks are restored and the firewall reconciled; the
 * manager's timer then expires blocks and repairs the firewall objects
 * every BLOCK_CHECK_INTERVAL. The blocks serve the control socket's block
 * commands, are saved in state.json and in blocks.json (shared with direct
 * mode), and reputation feeds with block=Y are blocked proactively.
 */
import { managerTransport, restoreBlockManager, type BlockManager, type BlockResult, type BlockTransport, type BlockView } from '../../actions/block/index.js';
import { covers, canonicalCidr } from '../../actions/block/cidr.js';
import type { Config } from '../../config/keys/index.js';
import type { DaemonExtension, ExtensionContext, ExtensionFactory, LevelChange, MetricSample } from '../hooks.js';
import type { RetryingSave } from '../retrying-save.js';
import { BlockLines, linesFromPieces } from '../../actions/block/saved-lines.js';
import { BLOCKING_STATE, blocksFileWriter, blocksFilePath, copyNotKept, firewallBlocks, STATE_COPY_MAX, newestBlocks, offlineBlocks, readBlocksFileOrSetAside, stateCopy, withFirewallBlocks } from './blocks-file.js';
import { syncFeedBlocks } from './feed-blocks.js';
import type { BlockedUntil, ExtensionHub } from './hub.js';

/** Latencies kept for the status line and metrics. */
const LATENCY_WINDOW = 100;
const TICK_MS = 1000;

export function blockingExtension(hub: ExtensionHub): ExtensionFactory {
  return async (ctx) => {
    const ext = new BlockingExtension(ctx, hub);
    await ext.init();
    return ext;
  };
}

function backends(cfg: Config): string {
  return cfg.BLOCK_BACKEND.length === 0 ? 'no backend (blocks are recorded only)' : cfg.BLOCK_BACKEND.join(', ');
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.floor((s.length - 1) / 2)] as number);
}

class BlockingExtension implements DaemonExtension {
  readonly name = BLOCKING_STATE;
  #cfg: Config;
  /** The manager once built and reconciled; null while automatic blocking is off. Work queues behind it. */
  #ready: Promise<BlockManager | null> = Promise.resolve(null);
  #current: BlockManager | null = null;
  #batch: LevelChange[] = [];
  readonly #pending = new Map<string, Promise<void>>();
  readonly #latencies: number[] = [];
  #autoBlocks = 0;
  readonly #writer: RetryingSave<(() => string | null) | null>;
  /** What was loaded at start: saved again unchanged under --dry-run, whose blocks are not real. */
  #loaded: unknown;
  readonly #transport: BlockTransport;
  readonly #hub: ExtensionHub;
  /** The transport as the fleet shares it, made once sharing is known. */
  #shared: BlockTransport | null = null;
  /** Set when blocks.json was unreadable at start: what happened, for the log and `tsad status`. */
  #recovery: string | null = null;

  constructor(private readonly ctx: ExtensionContext, hub: ExtensionHub) {
    this.#cfg = ctx.cfg;
    this.#writer = blocksFileWriter(blocksFilePath(ctx.stateDir), () => this.#current?.toLines() ?? null, ctx.log);
    // Manual changes answer once blocks.json holds them (the daemon then saves its state too).
    this.#transport = {
      block: async (req) => {
        const r = await managerTransport(await this.#manager()).block(req);
        if (r.ok && r.changed) await this.#persisted(`blocked ${r.cidr} in the firewall`);
        return r;
      },
      unblock: async (cidr) => {
        const r = await managerTransport(await this.#manager()).unblock(cidr);
        if (r.removed) await this.#persisted(`unblocked ${r.cidr} in the firewall`);
        return r;
      },
      list: async () => this.#marked(await managerTransport(await this.#manager()).list()),
      flush: async () => {
        const n = await managerTransport(await this.#manager()).flush();
        await this.#persisted(`removed ${n} block(s) from the firewall`);
        return n;
      },
    };
    hub.provideBlockLookup((key) => this.#blockedUntil(key));
    hub.provideBlockManager(() => this.#ready.catch(() => this.#current));
    this.#hub = hub;
    hub.onFeedsChanged(() => void this.#syncFeeds());
  }

  async init(): Promise<void> {
    const { ctx } = this;
    const fromState = ctx.saved(BLOCKING_STATE);
    const file = readBlocksFileOrSetAside(ctx.stateDir, ctx.log);
    const loaded = newestBlocks(fromState, file.data);
    // blocks.json read lazily (its bytes) goes to the manager; a copy is kept as objects only where it is saved again as it is.
    const keep = (): unknown => (loaded instanceof BlockLines ? loaded.toJSON() : loaded);
    this.#loaded = !this.#cfg.ENABLE_AUTO_IDS || ctx.dryRun ? keep() : undefined;
    if (file.problem !== null) {
      this.#loaded = loaded;
      await this.#recover(file.problem.problem, file.problem.aside, fromState);
    }
    if (!this.#cfg.ENABLE_AUTO_IDS) return;
    this.#ready = this.#build(this.#cfg, file.problem !== null ? this.#loaded : loaded);
    await this.#ready;
    if (file.problem !== null && !ctx.dryRun) this.#writer.request(); // a good blocks.json again
  }

  /**
   * blocks.json could not be read (and was moved aside): the blocks are
   * rebuilt from the copy in state.json and from what the firewall still
   * holds (blocks made after that copy was saved), and the start goes on.
   */
  async #recover(problem: string, aside: string | null, fromState: unknown): Promise<void> {
    const { ctx } = this;
    const inState = Array.isArray((fromState as { blocks?: unknown } | undefined)?.blocks) ? (fromState as { blocks: unknown[] }).blocks.length : 0;
    let fromFirewall = 0;
    if (this.#cfg.ENABLE_AUTO_IDS && !ctx.dryRun) {
      const r = withFirewallBlocks(this.#loaded, await firewallBlocks(this.#cfg, ctx.log), Date.now());
      this.#loaded = r.data;
      fromFirewall = r.added;
    }
    const copy = copyNotKept(fromState) ? ` (state.json keeps no copy of more than ${STATE_COPY_MAX} blocks)` : '';
    this.#recovery = `${problem}; ${aside === null ? 'it could not be moved aside' : `moved aside to ${aside}`}; blocks rebuilt: ${inState} from state.json${copy}, ${fromFirewall} more from the firewall`;
    ctx.log('error', this.#recovery);
  }

  /** The control socket's block commands, while automatic blocking is on (else `tsad block` works directly). */
  get blocks(): BlockTransport | undefined {
    if (this.#current === null) return undefined;
    const sharing = this.#hub.sharing();
    if (sharing === null) return this.#transport;
    return (this.#shared ??= sharing.transport(this.#transport));
  }

  /** Under --dry-run the blocks are decisions only: each says so. */
  #marked(views: BlockView[]): BlockView[] {
    return this.ctx.dryRun ? views.map((v) => ({ ...v, dryRun: true })) : views;
  }

  /** For `tsad status`: the daemon's blocks, or while automatic blocking is off those `tsad block` recorded directly. */
  async blockList(): Promise<BlockView[] | null> {
    const m = await this.#ready.catch(() => this.#current);
    if (m !== null) return this.#marked(await managerTransport(m).list());
    return offlineBlocks({ cfg: this.#cfg, stateDir: this.ctx.stateDir });
  }

  async #manager(): Promise<BlockManager> {
    const m = await this.#ready;
    if (m === null) throw new Error('blocking is not enabled');
    return m;
  }

  async #build(cfg: Config, saved: unknown): Promise<BlockManager> {
    const { ctx } = this;
    // The firewall is loaded as the saved blocks are read (nft parses while tsad reads), one transaction.
    const m = await restoreBlockManager(cfg, {
      saved,
      onChange: () => this.#changed(),
      log: ctx.log,
      dryRun: ctx.dryRun,
      out: (text) => {
        for (const line of text.trimEnd().split('\n')) ctx.log('notice', `dry run: ${line}`);
      },
      dl0: ctx.autoDl()?.dl0() ?? [],
      watchHost: !ctx.dryRun,
    });
    ctx.log('info', `blocking: ${backends(cfg)}, ${m.size} saved block(s) restored`);
    // Under --dry-run nothing was created, so the periodic presence check would "repair" it every time.
    if (!ctx.dryRun) m.start(TICK_MS);
    this.#current = m;
    await syncFeedBlocks(m, ctx.feeds(), ctx.log).catch((err: unknown) => ctx.log('error', `reputation feed blocks: ${(err as Error).message}`));
    return m;
  }

  #changed(): void {
    if (this.ctx.dryRun) return;
    this.#writer.soon(1000, 0);
    this.ctx.stateChanged();
  }

  async #persisted(done: string): Promise<void> {
    if (!this.ctx.dryRun) await this.#writer.saveOrExplain(done);
  }

  warnings(): string[] {
    return [this.#recovery, this.#writer.warning()].filter((w): w is string => w !== null);
  }

  onLevelChange(ev: LevelChange): void {
    if (this.#current === null || ev.to < this.#cfg.AUTO_IDS_DANGER_LEVEL) return;
    this.#batch.push(ev);
    // The rest of the chunk of lines being handled joins the batch; log prefixes are complete by then too.
    if (this.#batch.length === 1) queueMicrotask(() => this.#flushBatch());
  }

  #flushBatch(): void {
    const evs = this.#batch;
    this.#batch = [];
    // One candidate per source: its highest level in the batch, timed from its first change.
    const bySource = new Map<string, { key: string; dl: number; at: number; ev: LevelChange }>();
    for (const e of evs) {
      const c = bySource.get(e.key);
      if (c === undefined) bySource.set(e.key, { key: e.key, dl: e.to, at: e.at, ev: e });
      else c.dl = Math.max(c.dl, e.to);
    }
    const cands = [...bySource.values()];
    const work = this.#ready.then(async (m) => {
      if (m === null) return;
      const results = await m.autoBlock(cands.map((c) => ({ src: c.key, dl: c.dl, logPrefixes: c.ev.logPrefixes(), sshFailures: (c.ev.report().services?.sshd?.events ?? 0) > 0 })));
      this.#settled(cands, results, Date.now());
      this.#hub.sharing()?.autoBlocked(results, (cidr) => cands.find((c) => (canonicalCidr(c.key)?.text ?? c.key) === cidr)?.dl ?? null);
    }).catch((err: unknown) => this.ctx.log('error', `automatic block failed: ${err instanceof Error ? err.message : String(err)}`));
    for (const e of evs) this.#pending.set(e.key, work);
    void work.then(() => {
      for (const e of evs) if (this.#pending.get(e.key) === work) this.#pending.delete(e.key);
    });
  }

  /** Logs each new block with the time from the line that earned it to the firewall. */
  #settled(cands: ReadonlyArray<{ key: string; dl: number; at: number }>, results: readonly BlockResult[], done: number): void {
    for (const r of results) {
      if (!r.ok || !r.changed) continue;
      this.#autoBlocks++;
      const c = cands.find((x) => (canonicalCidr(x.key)?.text ?? x.key) === r.cidr);
      if (c === undefined || !r.applied) continue;
      const ms = done - c.at;
      this.#latencies.push(ms);
      if (this.#latencies.length > LATENCY_WINDOW) this.#latencies.shift();
      this.ctx.log('info', `${r.cidr}: in the firewall ${ms} ms after the line that raised it to DL${c.dl}${this.ctx.dryRun ? ' (dry run)' : ''}`);
    }
  }

  async #blockedUntil(key: string): Promise<BlockedUntil | null> {
    await this.#pending.get(key);
    const m = this.#current;
    const k = canonicalCidr(key);
    if (m === null || k === null) return null;
    const now = Date.now();
    for (const r of m.records()) {
      const c = canonicalCidr(r.cidr);
      if (c === null || (r.expiresAt !== null && r.expiresAt <= now) || !covers(c.cidr, k.cidr)) continue;
      return { until: r.expiresAt === null ? null : new Date(r.expiresAt).toISOString() };
    }
    return null;
  }

  async #syncFeeds(): Promise<void> {
    const m = await this.#ready.catch(() => null);
    if (m === null) return;
    await syncFeedBlocks(m, this.ctx.feeds(), this.ctx.log).catch((err: unknown) => this.ctx.log('error', `reputation feed blocks: ${(err as Error).message}`));
  }

  saveState(): unknown {
    return this.ctx.dryRun || this.#current === null ? this.#loaded : stateCopy(this.#current, Date.now());
  }

  /** SIGHUP: backends, policy, never-block rules and auto_dl may have changed: rebuild from the blocks in force. */
  async reload(cfg: Config): Promise<void> {
    this.#cfg = cfg;
    const next = this.#ready.then(async (old) => {
      old?.stop();
      await old?.idle();
      const saved = old === null ? this.#loaded : linesFromPieces(old.toLines(), '(the blocks in force)');
      if (!cfg.ENABLE_AUTO_IDS) {
        if (old !== null) this.ctx.log('notice', 'automatic blocking switched off: blocks in force stay until they expire or "tsad flush"');
        old?.close();
        this.#current = null;
        this.#loaded = saved instanceof BlockLines ? saved.toJSON() : saved;
        return null;
      }
      try {
        const m = await this.#build(cfg, saved);
        old?.close();
        return m;
      } catch (err) {
        if (old !== null && !this.ctx.dryRun) old.start(TICK_MS); // keep the blocks in force maintained
        throw err;
      }
    });
    this.#ready = next.catch(() => this.#current);
    await next;
  }

  statusLines(): string[] {
    const m = this.#current;
    if (m === null) return [];
    const failing = m.failingBackends();
    const lat = this.#latencies.length === 0 ? '' : `; line-to-firewall latency last ${this.#latencies.at(-1) ?? 0} ms, median ${median(this.#latencies)} ms`;
    return [`Blocking: ${backends(this.#cfg)}, ${m.size} block(s) in force, ${this.#autoBlocks} automatic since start${lat}${failing.length > 0 ? `; failing, retrying: ${failing.join(', ')}` : ''}`];
  }

  metrics(): MetricSample[] {
    const m = this.#current;
    if (m === null) return [];
    const out: MetricSample[] = [
      { name: 'tsad_blocks', help: 'Blocks in force.', type: 'gauge', value: m.size },
      { name: 'tsad_auto_blocks_total', help: 'Automatic blocks added since start.', type: 'counter', value: this.#autoBlocks },
      { name: 'tsad_block_failing_backends', help: 'Firewall backends waiting to retry a failed command.', type: 'gauge', value: m.failingBackends().length },
      { name: 'tsad_blocks_file_save_failures_total', help: 'Writes of blocks.json that failed (disk full, read-only, ...).', type: 'counter', value: this.#writer.health().failures },
    ];
    if (this.#latencies.length > 0) {
      out.push({ name: 'tsad_block_latency_seconds', help: 'Median time from the log line that earned a block to the block in the firewall (last 100 blocks).', type: 'gauge', value: median(this.#latencies) / 1000 });
    }
    return out;
  }

  async stop(): Promise<void> {
    const m = await this.#ready.catch(() => null);
    if (m === null) return;
    m.close();
    await Promise.all(this.#pending.values());
    await m.idle();
    this.#writer.cancel();
    // A failure is logged; the daemon's own final snapshot holds the blocks as well.
    if (!this.ctx.dryRun) await this.#writer.save().catch(() => undefined);
  }
}
