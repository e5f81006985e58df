/**
 * Writes state snapshots one at a time, in the order they were taken. A
 * snapshot is taken synchronously when save() is called (so it is
 * consistent), then written; a write in progress never holds up the lines.
 */
import type { Logger } from './hooks.js';
import { statePath, writeState, type DaemonState } from './state-file.js';

export class StateSaver {
  saves = 0;
  lastSaveMs = 0;
  /** Wall clock (ms) of the last snapshot written, or null before the first. */
  lastSavedAt: number | null = null;
  private chain: Promise<void> = Promise.resolve();
  private soon: NodeJS.Timeout | null = null;

  constructor(private readonly dir: string, private readonly take: () => DaemonState, private readonly log: Logger) {}

  get path(): string {
    return statePath(this.dir);
  }

  /** Takes a snapshot now and queues its write; resolves when it is on disk (or failed and was logged). */
  save(): Promise<void> {
    const snap = this.take();
    this.chain = this.chain.then(async () => {
      const t0 = performance.now();
      try {
        await writeState(this.dir, snap);
        this.saves++;
        this.lastSaveMs = performance.now() - t0;
        this.lastSavedAt = Date.parse(snap.savedAt);
      } catch (err) {
        this.log('error', `cannot save ${this.path}: ${err instanceof Error ? err.message : String(err)}`);
      }
    });
    return this.chain;
  }

  /** A save within `ms` (coalesced): after a level change, to keep the window of repeated alerts after a crash small. */
  saveSoon(ms = 1000): void {
    if (this.soon !== null) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.save();
    }, ms);
  }

  cancel(): void {
    if (this.soon !== null) clearTimeout(this.soon);
    this.soon = null;
  }
}
