/**
 * Keeps one live source running: a source that fails (journalctl exits, a
 * directory disappears) is logged and started again after 1 s, 2 s, 4 s ...
 * up to SOURCE_RESTART_MAX, resuming from where the failed instance
 * stopped; the other sources are not affected. A source that ran for a
 * minute before failing starts the backoff over.
 */
import type { LiveSource } from '../sources/live-source.js';
import type { Logger } from './hooks.js';

export type SourceState = 'starting' | 'running' | 'restarting' | 'ended' | 'stopped';

export interface SourceStatus {
  name: string;
  state: SourceState;
  restarts: number;
  lastError: string | null;
  /** ISO time of the next start while restarting. */
  retryAt: string | null;
  lines: number;
  /** ISO time of the last line read, null before the first. */
  lastLine: string | null;
  stats: Record<string, number>;
}

export interface SupervisorOptions {
  maxDelayMs: number;
  log: Logger;
  /** The source ended by itself (stdin at EOF). */
  onEnd: (name: string) => void;
}

const HEALTHY_MS = 60_000;

export class SupervisedSource {
  lines = 0;
  lastLineAt = 0;
  private cur: LiveSource | null = null;
  private pos: unknown;
  private state: SourceState = 'starting';
  private restarts = 0;
  private lastError: string | null = null;
  private retryAt = 0;
  private stopped = false;
  private wakeUp: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly name: string, private readonly create: (resume: unknown) => LiveSource, resume: unknown, private readonly o: SupervisorOptions) {
    this.pos = resume;
  }

  /** Counts a line (called by the sink, before the source advances its position). */
  countLine(): void {
    this.lines++;
    this.lastLineAt = Date.now();
  }

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.state = 'stopped';
    this.cur?.stop();
    if (this.timer) clearTimeout(this.timer);
    this.wakeUp?.();
  }

  /** Where the source stands now (the running instance's position, or the last one's). */
  position(): unknown {
    return this.cur !== null ? this.cur.position() : this.pos;
  }

  status(): SourceStatus {
    let stats: Record<string, number> = {};
    try {
      stats = this.cur?.stats() ?? {};
    } catch {
      // a source between instances
    }
    return {
      name: this.name,
      state: this.state,
      restarts: this.restarts,
      lastError: this.lastError,
      retryAt: this.state === 'restarting' ? new Date(this.retryAt).toISOString() : null,
      lines: this.lines,
      lastLine: this.lastLineAt > 0 ? new Date(this.lastLineAt).toISOString() : null,
      stats,
    };
  }

  private async loop(): Promise<void> {
    let delay = 1000;
    while (!this.stopped) {
      let src: LiveSource | null = null;
      const started = Date.now();
      try {
        src = this.create(this.pos);
        this.cur = src;
        this.state = 'running';
        await src.run();
        if (this.stopped) break;
        this.pos = src.position();
        this.cur = null;
        this.state = 'ended';
        this.o.log('info', `source ${this.name} ended`);
        this.o.onEnd(this.name);
        return;
      } catch (err) {
        if (src !== null) this.pos = src.position();
        this.cur = null;
        if (this.stopped) break;
        if (Date.now() - started > HEALTHY_MS) delay = 1000;
        this.restarts++;
        this.lastError = err instanceof Error ? err.message : String(err);
        this.o.log('warn', `source ${this.name} failed: ${this.lastError}; restarting in ${Math.round(delay / 1000)} s`);
        this.state = 'restarting';
        this.retryAt = Date.now() + delay;
        await this.sleep(delay);
        delay = Math.min(delay * 2, this.o.maxDelayMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }
}
