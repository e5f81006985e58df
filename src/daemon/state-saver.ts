/**
 * Writes state snapshots of the daemon (STATE_DIR/state.json) through a
 * RetryingSave: one write at a time, at most one snapshot waiting behind it
 * (taken when its write starts, so it is of one moment and the newest),
 * failures reported and retried with backoff. The snapshot's head is taken
 * between two lines; its sources are written a slice at a time while lines
 * go on (copy-on-write), so a save neither holds up the lines nor holds a
 * second copy of the state.
 */
import type { Logger } from './hooks.js';
import { readAhead } from './read-ahead.js';
import { RetryingSave } from './retrying-save.js';
import { statePath, writeState, type DaemonState, type SourceLines } from './state-file.js';

/** What one save writes: the state, and its sources when they are streamed from the tracker (ended after the write). */
export interface DaemonSnapshot {
  state: DaemonState;
  sources: (SourceLines & { end(): void }) | null;
}

/** Writes a snapshot and lets go of its sources, written or not; they are encoded from now on, while the file is opened (read-ahead.ts). */
export async function writeSnapshot(dir: string, snap: DaemonSnapshot): Promise<void> {
  const sources = snap.sources === null ? null : readAhead(snap.sources);
  try {
    await writeState(dir, snap.state, sources ?? undefined);
  } finally {
    sources?.stop();
    snap.sources?.end();
  }
}

export class StateSaver extends RetryingSave<DaemonSnapshot> {
  readonly path: string;

  constructor(dir: string, take: () => DaemonSnapshot, log: Logger, write: (s: DaemonSnapshot) => Promise<void> = (s) => writeSnapshot(dir, s)) {
    super({ what: statePath(dir), take, write, log });
    this.path = statePath(dir);
  }
}
