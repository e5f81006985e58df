/**
 * `tsad daemon`: live sources -> the same pipeline as `analyze` -> level
 * changes to the extensions (blocking, mail), with the state saved in one
 * atomic snapshot (positions and scan state together), a control socket,
 * SIGHUP reload and SIGTERM save-and-exit.
 *
 * Every line is handled synchronously as it arrives, and a source advances
 * its position only after the line was handled; snapshots are only taken
 * between event-loop tasks, so a snapshot's positions always match the
 * scan state in it.
 */
import { mkdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { Readable } from 'node:stream';
import type { BlockTransport } from '../actions/block/control.js';
import type { Config } from '../config/keys/index.js';
import { loadConfig } from '../config/load.js';
import { sourceReport, type SourceState } from '../detect/index.js';
import { normalizeAddress } from '../net/address.js';
import { createParseContext, type ParseContext } from '../parse/index.js';
import type { LiveSink } from '../sources/live-source.js';
import { buildAnalysis, type Analysis } from '../pipeline/analysis.js';
import { bootTimeMs } from './boot-time.js';
import { ControlServer } from './control-server.js';
import { handleControl } from './control-handlers.js';
import { collectMetrics } from './daemon-metrics.js';
import { fwCheck } from './fw-check/fw-check.js';
import { FwLinesWatch, logFirewallCheck } from './health.js';
import type { DaemonExtension, ExtensionFactory, LevelChange, Logger } from './hooks.js';
import { createLiveSource, pipelineSink } from './live-sources.js';
import { createLogger } from './log.js';
import { MetricsServer } from './metrics.js';
import { metricsToken } from './metrics-access.js';
import { liveReportPage } from './report-page.js';
import { exportScan, importScan, pipelineCounters, restorePipelineCounters, scanStateSavable, snapshotScan } from './scan-persistence.js';
import { resolveSources, type SourceSpec } from './source-spec.js';
import { SourceNotes } from './source-notes.js';
import { SupervisedSource } from './source-supervisor.js';
import { trustOf } from './socket-trust.js';
import { openState, setAsideState, STATE_VERSION, type DaemonState, type SourceReader } from './state-file.js';
import { StateSaver, type DaemonSnapshot } from './state-saver.js';
import { budgetSources, MemoryGuard } from './memory-budget.js';
import { filterReport, keyFilter, listedLevel, markBlocked, statusReportOptions, type DaemonInfo, type StatusPayload } from './status-view.js';

export interface DaemonOptions {
  configPath?: string;
  /** --source values; empty: DAEMON_SOURCES. */
  sources: readonly string[];
  stateDir?: string;
  socket?: string;
  dryRun?: boolean;
  extensions?: readonly ExtensionFactory[];
  log?: Logger;
  stdin?: Readable;
  version: string;
}

const MINUTE = 60_000;

export class Daemon {
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private analysis!: Analysis;
  private exts: DaemonExtension[] = [];
  /** The extensions that see every packet (most see none). */
  private packetExts: DaemonExtension[] = [];
  private sources: SupervisedSource[] = [];
  private contexts: ParseContext[] = [];
  private control: ControlServer | null = null;
  private metrics: MetricsServer | null = null;
  private timers: NodeJS.Timeout[] = [];
  private readonly saver: StateSaver;
  /** MEMORY_BUDGET after full collections (null: no budget); its last warning, and when it was logged. */
  private memory: MemoryGuard | null = null;
  private memoryNote: string | null = null;
  private memoryLoggedAt = 0;
  private levelChanges = 0;
  private stopping = false;
  /** 0, or 1 when the final save failed (the process exit status). */
  exitCode = 0;
  /** Sources are running: from here on the state may be saved. */
  private started = false;
  private readonly startedAt = Date.now();
  private readonly health: FwLinesWatch;
  private readonly signals: Array<[NodeJS.Signals, () => void]> = [];
  private notes: SourceNotes;
  /** What the firewall logging check at start found missing. */
  private readonly fwWarnings: string[] = [];
  /** The raw line being handled (for the notes): its text, or its bytes until a note asks for the text. */
  private lineText: string | null = '';
  private lineBytes: { b: Buffer; start: number; end: number } = { b: Buffer.alloc(0), start: 0, end: 0 };
  /** The line being handled as text, decoded from its bytes once a note keeps it (most lines are never decoded). */
  private readonly currentLine = (): string => {
    if (this.lineText === null) {
      const l = this.lineBytes;
      this.lineText = l.b.toString('utf8', l.start, l.end);
    }
    return this.lineText;
  };

  private constructor(private cfg: Config, private readonly o: DaemonOptions, private readonly specs: SourceSpec[], readonly stateDir: string, readonly socketPath: string, private readonly log: Logger) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.health = new FwLinesWatch(cfg.NO_FW_LINES_WARN, () => fwCheck({ searchAll: this.cfg.FW_SEARCH_ALL, msgSearch: this.cfg.FW_MSG_SEARCH }), log);
    this.saver = new StateSaver(stateDir, () => this.snapshot(), log);
    this.notes = Daemon.notesFor(cfg);
  }

  private static notesFor(cfg: Config): SourceNotes {
    return new SourceNotes({ lineLevel: cfg.EMAIL_ALERT_DANGER_LEVEL, maxLines: cfg.EMAIL_LOG_SAMPLES, prefixes: cfg.ENABLE_AUTO_IDS && cfg.ENABLE_AUTO_IDS_REGEX });
  }

  /** Loads the configuration and saved state, opens the socket, starts the sources. Throws ConfigError, SourceSpecError. */
  static async start(o: DaemonOptions): Promise<Daemon> {
    const log = o.log ?? createLogger();
    const cfg = loadConfig(o.configPath);
    const stateDir = o.stateDir ?? cfg.STATE_DIR;
    const { specs, notes } = resolveSources(o.sources, cfg.DAEMON_SOURCES, cfg.IPT_SYSLOG_FILE);
    for (const n of notes) log('info', n);
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const d = new Daemon(cfg, o, specs, stateDir, o.socket ?? cfg.CONTROL_SOCKET, log);
    // The socket first: a second daemon must stop here, before it reads or writes the state.
    d.control = await ControlServer.listen(d.socketPath, (req) => handleControl(d.controlTarget(), req), log, trustOf(cfg));
    try {
      await d.init();
    } catch (err) {
      await d.stop(); // nothing is saved: the state on disk stays as it was
      throw err;
    }
    return d;
  }

  private async init(): Promise<void> {
    const read = openState(this.stateDir);
    let saved: DaemonState | null = read.state;
    if (read.problem !== null) {
      this.log('error', `${read.problem}; moved aside to ${setAsideState(this.stateDir)}, starting without saved state`);
      saved = null;
    }
    this.analysis = await this.buildAnalysis(this.cfg);
    const savable = scanStateSavable(this.analysis.tracker, this.analysis.counters);
    if (!savable) this.log('warn', 'this build cannot save the scan state (the detect stage has no exportState/importState): levels start over after a restart');
    if (saved !== null) this.restore(saved, read.sources);
    const blobs = saved?.extensions ?? {};
    for (const f of this.o.extensions ?? []) {
      this.exts.push(await f({
        cfg: this.cfg,
        stateDir: this.stateDir,
        dryRun: this.o.dryRun === true,
        log: this.log,
        saved: (name) => blobs[name],
        feeds: () => this.analysis.feeds,
        autoDl: () => this.analysis.autoDl,
        raise: (key, dl, reason) => this.analysis.tracker.raise(key, dl, reason),
        stateChanged: () => this.saver.soon(),
      }));
    }
    this.packetExts = this.exts.filter((e) => e.onPacket !== undefined);
    const token = metricsToken(this.cfg);
    if (this.cfg.METRICS_LISTEN !== '') {
      const page = this.cfg.METRICS_REPORT_PAGE ? liveReportPage({ status: (o) => this.status(o), samples: (key) => this.samples(key) }) : null;
      this.metrics = await MetricsServer.listen(this.cfg.METRICS_LISTEN, () => this.collect(), this.log, { token, page: page === null ? undefined : () => page.html() });
    }
    for (const spec of this.specs) this.startSource(spec, saved?.positions[spec.name] ?? null);
    this.started = true;
    this.guardMemory();
    this.startTimers();
    this.trapSignals();
    if (this.cfg.ENABLE_FW_LOGGING_CHECK) {
      void logFirewallCheck(this.cfg, (level, msg) => {
        // What the check found stays in `tsad status` (warnings), not only in the log.
        if (level === 'warn' || level === 'error') this.fwWarnings.push(msg);
        if (!this.stopping) this.log(level, msg);
      });
    }
    this.log('notice', `started: sources ${this.specs.map((s) => s.name).join(', ')}; state ${this.saver.path}${saved ? ` (resumed from ${saved.savedAt})` : ' (new)'}; socket ${this.socketPath}${this.o.dryRun ? '; dry run' : ''}`);
  }

  private restore(saved: DaemonState, sources: SourceReader | null): void {
    restorePipelineCounters(this.analysis.pipeline, saved.pipeline);
    if (saved.lastFirewallLineAt !== null) this.health.lastLineAt = saved.lastFirewallLineAt;
    if (!this.cfg.IMPORT_OLD_SCANS) return;
    try {
      importScan(this.analysis.tracker, this.analysis.counters, saved, (m) => this.log('warn', m), sources);
    } catch (err) {
      this.log('error', `saved scan state unreadable (${err instanceof Error ? err.message : String(err)}); starting with none`);
    }
  }

  /** The heap after each full collection against MEMORY_BUDGET (memory-budget.ts). */
  private guardMemory(): void {
    if (this.cfg.MEMORY_BUDGET <= 0) return;
    const base = budgetSources(this.cfg.MEMORY_BUDGET, this.cfg.MAX_TRACKED_SOURCES);
    this.memory = new MemoryGuard(this.cfg.MEMORY_BUDGET * 1024 * 1024, base, () => this.analysis.tracker, (msg) => {
      this.memoryNote = msg;
      // During a flood this comes with many collections: logged once a minute.
      if (Date.now() - this.memoryLoggedAt < MINUTE) return;
      this.memoryLoggedAt = Date.now();
      this.log('warn', msg);
    });
    this.memory.start();
  }

  /** A warning for `tsad status` while the memory budget holds the source limit below what it allows by count. */
  private memoryWarning(): string | null {
    const t = this.analysis.tracker;
    return this.memoryNote !== null && t.maxSources < budgetSources(this.cfg.MEMORY_BUDGET, this.cfg.MAX_TRACKED_SOURCES) ? this.memoryNote : null;
  }

  private async buildAnalysis(cfg: Config): Promise<Analysis> {
    const a = await buildAnalysis({
      cfg,
      // Reverse DNS names in `tsad status` (looked up when a status is asked for, cached).
      dns: cfg.ENABLE_DNS_LOOKUPS,
      warn: (m) => this.log('warn', m),
      onLevelChange: (s, from, to, reason) => this.levelChanged(s, from, to, reason),
      onPacket: (p, s) => {
        this.notes.packet(p, s, this.currentLine);
        for (const e of this.packetExts) e.onPacket?.(p, s);
      },
      onService: (_ev, s) => this.notes.serviceLine(s, this.currentLine()),
      // The notes keep log prefixes by SourceState, which a packed one-packet source would not keep.
      packSources: !this.notes.keepsPrefixes,
    });
    // The daemon runs unattended: its sources stay within MEMORY_BUDGET (analyze uses MAX_TRACKED_SOURCES alone).
    a.tracker.limit(budgetSources(cfg.MEMORY_BUDGET, cfg.MAX_TRACKED_SOURCES));
    // This host's own addresses: answers to them are replies, what they send is this host's traffic.
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) a.traffic.addLocalAddress(i.family === 'IPv6' ? normalizeAddress(i.address.replace(/%.*$/, '')) ?? i.address : i.address);
    return a;
  }

  private levelChanged(s: SourceState, from: number, to: number, reason: string): void {
    this.levelChanges++;
    let built: ReturnType<typeof sourceReport> | null = null;
    const notes = this.notes;
    const ev: LevelChange = {
      key: s.key, family: s.family, from, to, reason, eventTime: s.lastSeen, at: Date.now(),
      report: () => (built ??= sourceReport(s, this.cfg)),
      samples: () => notes.lines(s),
      logPrefixes: () => notes.prefixes(s),
    };
    // The alert line of the log (journal/syslog); ALERTING_METHODS nosyslog turns it off.
    if (!this.cfg.ALERTING_METHODS.some((m) => m.toLowerCase() === 'nosyslog')) this.log('notice', `${s.key}: danger level ${from} -> ${to} (${reason})`);
    for (const e of this.exts) {
      try {
        e.onLevelChange?.(ev);
      } catch (err) {
        this.log('error', `${e.name}: level change handler failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.saver.soon();
  }

  private sinkFor(spec: SourceSpec, sup: () => SupervisedSource): LiveSink {
    const ctx = createParseContext({ bootTime: bootTimeMs() });
    this.contexts.push(ctx);
    const sink = pipelineSink({ pipeline: () => this.analysis.pipeline, ctx, ulogd: spec.kind === 'ulogd', line: () => sup().countLine(), firewallLine: () => this.health.seen(Date.now()) });
    return {
      line: (text) => {
        this.lineText = text;
        sink.line(text);
      },
      bytes: (b, start, end, ascii) => {
        this.lineText = null;
        const l = this.lineBytes;
        l.b = b;
        l.start = start;
        l.end = end;
        sink.bytes?.(b, start, end, ascii);
      },
      tooLong: () => sink.tooLong(),
    };
  }

  private startSource(spec: SourceSpec, resume: unknown): void {
    let sup: SupervisedSource | null = null;
    const sink = this.sinkFor(spec, () => sup as SupervisedSource);
    const stdin = this.o.stdin ?? process.stdin;
    const log = (level: 'info' | 'warn', msg: string): void => this.log(level, `${spec.name}: ${msg}`);
    sup = new SupervisedSource(spec.name, (r) => createLiveSource(spec, r, { cfg: this.cfg, sink, log, stdin }), resume, {
      maxDelayMs: this.cfg.SOURCE_RESTART_MAX * 1000,
      log: this.log,
      onEnd: () => this.sourceEnded(),
    });
    this.sources.push(sup);
    sup.start();
  }

  /** A source that ends by itself (stdin at EOF); when none is left the daemon saves and exits. */
  private sourceEnded(): void {
    if (this.sources.every((s) => s.status().state === 'ended')) {
      this.log('notice', 'all sources ended');
      void this.stop();
    }
  }

  private startTimers(): void {
    const every = (ms: number, f: () => void): void => {
      this.timers.push(setInterval(f, ms));
    };
    every(this.cfg.STATE_SAVE_INTERVAL * 1000, () => this.saver.request());
    every(Math.min(MINUTE, this.cfg.SCAN_TIMEOUT * 250), () => {
      const now = Date.now();
      for (const c of this.contexts) c.refTime = now;
      // Sources age by event time (the log's clock), as in analyze: lines replayed from an
      // older file stay in status until the log itself has moved SCAN_TIMEOUT past them
      // (a line dated in the future moves this clock no further than now).
      const clock = Math.min(this.analysis.pipeline.lastSeen, now);
      if (!Number.isFinite(clock)) return;
      const n = this.analysis.tracker.expire(clock);
      if (n > 0) this.log('info', `forgot ${n} sources silent for SCAN_TIMEOUT of log time (the log's latest line is of ${new Date(clock).toISOString()})`);
    });
    if (this.cfg.NO_FW_LINES_WARN > 0) every(Math.min(MINUTE, this.cfg.NO_FW_LINES_WARN * 250), () => this.health.tick(Date.now()));
  }

  private trapSignals(): void {
    const on = (sig: NodeJS.Signals, f: () => void): void => {
      process.on(sig, f);
      this.signals.push([sig, f]);
    };
    on('SIGTERM', () => void this.stop());
    on('SIGINT', () => void this.stop());
    on('SIGHUP', () => void this.reload().catch(() => undefined));
  }

  /**
   * Everything to save, begun between two lines (positions and the state
   * they produced, together); the tracked sources follow as they were now,
   * a slice at a time while lines go on (copy-on-write).
   */
  snapshot(): DaemonSnapshot {
    const positions: Record<string, unknown> = {};
    for (const s of this.sources) positions[s.name] = s.position();
    const extensions: Record<string, unknown> = {};
    for (const e of this.exts) if (e.saveState) extensions[e.name] = e.saveState();
    const { scan, counters, sources } = snapshotScan(this.analysis.tracker, this.analysis.counters);
    return {
      state: {
        version: STATE_VERSION,
        savedAt: new Date().toISOString(),
        pid: process.pid,
        positions,
        pipeline: pipelineCounters(this.analysis.pipeline),
        counters,
        extensions,
        lastFirewallLineAt: this.health.lastLineAt,
        scan,
      },
      sources,
    };
  }

  /** SIGHUP: new configuration, signatures, auto_dl and feeds; a bad configuration keeps the old one running. */
  async reload(): Promise<string> {
    let cfg: Config;
    let next: Analysis;
    try {
      cfg = loadConfig(this.o.configPath);
      next = await this.buildAnalysis(cfg);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.log('error', `reload refused, the running configuration stays: ${msg}`);
      throw new Error(`reload refused: ${msg}`);
    }
    const cur = this.analysis;
    if (scanStateSavable(cur.tracker, cur.counters)) {
      // Synchronous from here: no line can slip between the export and the switch.
      restorePipelineCounters(next.pipeline, pipelineCounters(cur.pipeline));
      importScan(next.tracker, next.counters, exportScan(cur.tracker, cur.counters), (m) => this.log('warn', `reload: ${m}`));
      this.analysis = next;
    } else {
      this.log('warn', 'reload: the scan state cannot be moved to new detection settings in this build; thresholds, signatures and auto_dl apply after a restart');
    }
    const restart = (['STATE_DIR', 'CONTROL_SOCKET', 'DAEMON_SOURCES', 'METRICS_LISTEN', 'METRICS_REPORT_PAGE', 'METRICS_TOKEN_FILE', 'STATE_SAVE_INTERVAL', 'NO_FW_LINES_WARN'] as const).filter((k) => JSON.stringify(cfg[k]) !== JSON.stringify(this.cfg[k]));
    this.cfg = cfg;
    this.memory?.stop();
    this.memory = null;
    this.guardMemory();
    this.notes = Daemon.notesFor(cfg);
    for (const e of this.exts) {
      await e.reload?.(cfg).catch((err: unknown) => this.log('error', `${e.name}: reload failed: ${err instanceof Error ? err.message : String(err)}`));
    }
    const msg = `configuration reloaded${restart.length > 0 ? `; ${restart.join(', ')} take effect at the next start` : ''}`;
    this.log('notice', msg);
    return msg;
  }

  private controlTarget(): Parameters<typeof handleControl>[0] {
    return {
      status: (o) => this.status(o),
      blocks: () => {
        const t = this.exts.find((e) => e.blocks !== undefined)?.blocks;
        return t === undefined ? null : this.durable(t);
      },
      reload: () => this.reload(),
      save: async () => {
        await this.saver.save();
        return this.saver.path;
      },
    };
  }

  /**
   * The block commands of the control socket answer only once the change is
   * in a snapshot on disk (with the fleet's queue of decisions to share), and
   * fail with the reason when it could not be saved: "blocked" is never said
   * of a block a restart would lose.
   */
  private durable(t: BlockTransport): BlockTransport {
    return {
      block: async (req) => {
        const r = await t.block(req);
        if (r.ok && r.changed) await this.saver.saveOrExplain(`blocked ${r.cidr} in the firewall`);
        return r;
      },
      unblock: async (cidr) => {
        const r = await t.unblock(cidr);
        // Also when nothing was removed here: the unblock may be queued for the fleet.
        await this.saver.saveOrExplain(r.removed ? `unblocked ${r.cidr} in the firewall` : `${r.cidr} was not blocked here`);
        return r;
      },
      list: () => t.list(),
      flush: async () => {
        const n = await t.flush();
        await this.saver.saveOrExplain(`removed ${n} block(s) from the firewall`);
        return n;
      },
    };
  }

  async status(o: { ip?: string; minDl?: number }): Promise<StatusPayload> {
    if (this.analysis === undefined) throw new Error('the daemon is still starting');
    // The blocking extension's own records first; else whatever takes block commands (an extension's list).
    const holder = this.exts.find((e) => e.blockList !== undefined);
    const target = holder === undefined ? this.controlTarget().blocks() : null;
    const blocks = holder !== undefined ? ((await holder.blockList?.()) ?? null) : target === null ? null : await target.list();
    // With --ip only the sources asked about are built (under a flood, a report of every tracked source first cost 400-700 MB).
    const keep = o.ip === undefined ? undefined : keyFilter(o.ip);
    const report = await this.analysis.report(listedLevel(o, this.cfg.MIN_DANGER_LEVEL), { ...statusReportOptions(this.cfg), keep });
    if (blocks !== null) markBlocked(report, blocks);
    return { report: filterReport(report, o), blocks, daemon: this.info() };
  }

  private info(): DaemonInfo {
    const warnings = [this.health.current(), this.saver.warning(), this.memoryWarning(), ...this.exts.flatMap((e) => e.warnings?.() ?? []), ...this.fwWarnings].filter((w): w is string => w !== null);
    return {
      running: true,
      pid: process.pid,
      version: this.o.version,
      startedAt: new Date(this.startedAt).toISOString(),
      savedAt: ((at) => (at === null ? null : new Date(at).toISOString()))(this.saver.health().lastOkAt),
      stateFile: this.saver.path,
      dryRun: this.o.dryRun === true,
      sources: this.sources.map((s) => s.status()),
      scanStateSaved: scanStateSavable(this.analysis.tracker, this.analysis.counters),
      levelChanges: this.levelChanges,
      warnings,
      notes: this.exts.flatMap((e) => e.statusLines?.() ?? []),
    };
  }

  /** Raw log lines kept for a tracked source (for the live report page). */
  private samples(key: string): string[] {
    const s = this.analysis.tracker.get(key);
    return s === undefined ? [] : this.notes.lines(s);
  }

  private collect(): ReturnType<typeof collectMetrics> {
    const a = this.analysis;
    return collectMetrics({ pipeline: a.pipeline, tracker: a.tracker, sources: this.sources, extensions: this.exts, levelChanges: this.levelChanges, save: this.saver.health() });
  }

  /** SIGTERM: stop reading, let the extensions settle, save, close. */
  async stop(): Promise<void> {
    if (this.stopping) return this.finished;
    this.stopping = true;
    for (const s of this.sources) s.stop();
    for (const t of this.timers) clearInterval(t);
    this.memory?.stop();
    this.saver.cancel();
    for (const e of this.exts) {
      await e.stop?.().catch((err: unknown) => this.log('error', `${e.name}: stop failed: ${err instanceof Error ? err.message : String(err)}`));
    }
    let saved: string | null = null;
    if (this.started) {
      try {
        await this.saver.save();
      } catch (err) {
        saved = err instanceof Error ? err.message : String(err);
        this.exitCode = 1;
      }
    }
    await this.control?.close();
    await this.metrics?.close();
    for (const [sig, f] of this.signals) process.off(sig, f);
    if (!this.started) this.log('notice', 'stopped before start-up completed; saved state left as it was');
    else if (saved === null) this.log('notice', `stopped; state saved in ${this.saver.path}`);
    else {
      const last = this.saver.health().lastOkAt;
      this.log('error', `stopped; state NOT saved in ${this.saver.path} (${saved}): the next start resumes from ${last === null ? 'the snapshot before this run' : `the snapshot of ${new Date(last).toISOString()}`}, reading the lines since then again; blocks and queued fleet decisions made since then are not in it`);
    }
    this.resolveFinished();
    return this.finished;
  }
}
