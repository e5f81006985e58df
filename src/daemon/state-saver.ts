/**
 * Writes state snapshots of the daemon (STATE_DIR/state.json) through a
 * RetryingSave: one write at a time, at most one snapshot waiting behind it
 * (taken when its write starts, so it is consistent and newest), failures
 * reported and retried with backoff. A write in progress never holds up the
 * lines.
 */
import type { Logger } from './hooks.js';
import { RetryingSave } from './retrying-save.js';
import { statePath, writeState, type DaemonState } from './state-file.js';

export class StateSaver extends RetryingSave<DaemonState> {
  readonly path: string;

  constructor(dir: string, take: () => DaemonState, log: Logger, write: (s: DaemonState) => Promise<void> = (s) => writeState(dir, s)) {
    super({ what: statePath(dir), take, write, log });
    this.path = statePath(dir);
  }
}
