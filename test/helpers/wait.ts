/**
 * The one wait of the tests outside test/fleet: poll until something holds,
 * with no clock limit of its own. A loaded CI machine may be slow but must not
 * fail a test for it; a real hang is ended by vitest's test timeout, and the
 * failure then prints what was still awaited. A watched
 * process that exits ends its waits at once, with what it logged.
 */
import { onTestFailed, onTestFinished } from 'vitest';

/** A process whose exit makes waiting on it pointless (a DaemonProc fits). */
export interface Watched {
  exited: Promise<unknown>;
  /** What it logged (stderr), for the failure message. */
  log(): string;
}

export interface WaitOptions {
  /** How often to look (ms): a polling interval, never a limit. Default 25. */
  every?: number;
  /** Fail at once when this process (or one of these) exits before the wait is over; null: none yet. */
  watch?: Watched | null | ReadonlyArray<Watched | null>;
}

type Probe<T> = () => T | null | undefined | false | Promise<T | null | undefined | false>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Inside a test: print `what()` if it fails, and return a flag that turns true when it is over. */
function trackInTest(what: () => string): { over: boolean } {
  const state = { over: false };
  try {
    onTestFailed(() => {
      const s = what();
      if (s) console.error(s);
    });
    onTestFinished(() => void (state.over = true));
  } catch {
    // in a hook, outside any test: its hook timeout ends a hang
  }
  return state;
}

/**
 * Resolves with the first value of `probe` that is not null, undefined or
 * false (a predicate resolves with `true`). Rejects when `probe` throws or a
 * watched process exits first. `what` names the wait in a failure (a
 * function is asked when printed, so it can say what the probe last saw).
 * Once its test is over (vitest timed it out) it stops polling and never settles.
 */
export async function waitFor<T>(what: string | (() => string), probe: Probe<T>, opts: WaitOptions = {}): Promise<T> {
  const name = (): string => (typeof what === 'string' ? what : what());
  let done = false;
  const watched = [opts.watch ?? []].flat().filter((w): w is Watched => w !== null);
  const logs = (): string => watched.map((w) => `; log of a watched process:\n${w.log().slice(-2000)}`).join('');
  const test = trackInTest(() => (done ? '' : `still waiting for ${name()}${logs()}`));
  let gone: Error | null = null;
  for (const w of watched) void w.exited.then(() => (gone ??= new Error(`a watched process exited while waiting for ${name()}; its log:\n${w.log().slice(-4000)}`)));
  for (;;) {
    if (test.over) return new Promise<T>(() => undefined);
    try {
      const v = await probe();
      if (v !== null && v !== undefined && v !== false) {
        done = true;
        return v;
      }
    } catch (err) {
      done = true;
      throw err;
    }
    // Looked after the probe: a last line logged just before the exit still counts.
    if (gone) {
      done = true;
      throw gone;
    }
    await sleep(opts.every ?? 25);
  }
}
