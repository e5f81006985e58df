/**
 * Types shared by the blocking code: what a backend is asked to hold, what it
 * reports back, and how every firewall command is run (a Runner, so tests run
 * the real tools inside a network namespace and --dry-run prints instead).
 */
import type { Family } from '../../net/address.js';

export type { Family };

/** One block as handed to a backend. */
export interface BlockEntry {
  /** Normalized address or prefix text: `198.51.100.7`, `2001:db8:1:2::/64`. */
  cidr: string;
  family: Family;
  /** Seconds left; 0 = until removed. */
  timeoutSec: number;
  /** Already installed with another timeout: overwrite it (kernels before 6.10 ignore a plain re-add). */
  replace?: boolean;
}

/** One block as found in the firewall by list(). */
export interface LiveBlock {
  cidr: string;
  family: Family;
  /** Seconds until the kernel expires it; null when permanent or not known. */
  expiresInSec: number | null;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs one program with an argument vector (never a shell), optionally feeding
 * `input` on stdin: a string, or text still being written (ScriptInput).
 */
export type Runner = (cmd: string, args: string[], input?: string | ScriptInput) => Promise<RunResult>;

/**
 * Stdin written while the program already runs (text-stream.ts). When the
 * iteration throws, the runner stops the program before it can read an end
 * of input (a cut script must never run) and rejects with that error.
 */
export type ScriptInput = AsyncIterable<string>;

export type LogLevel = 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, msg: string) => void;

/** What every backend is built with. */
export interface BackendContext {
  run: Runner;
  /** Print mutating commands (and their stdin) through `out` instead of running them. */
  dryRun: boolean;
  out: (text: string) => void;
  log: Logger;
}

export interface BlockBackend {
  readonly name: string;
  /**
   * Longest timeout (seconds) the backend expires by itself; entries with a
   * longer timeout, and all entries when 0, are removed by tsad at expiry.
   */
  readonly maxKernelTimeoutSec: number;
  /** True when flush() cannot find tsad's entries by itself (command): the manager removes each record first. */
  readonly needsRemoveBeforeFlush: boolean;
  /** Create table/sets/chains if missing. */
  ensure(): Promise<void>;
  add(entries: BlockEntry[]): Promise<void>;
  /** Idempotent: a cidr that is not present is not an error. */
  remove(cidrs: string[]): Promise<void>;
  list(): Promise<LiveBlock[]>;
  /** Remove everything tsad created. */
  flush(): Promise<void>;
  /** Are tsad's table/sets/chains still there? */
  present(): Promise<boolean>;
  /** ensure() and make the backend hold exactly `entries`, in one batch where the tool allows. */
  sync(entries: BlockEntry[]): Promise<void>;
  /**
   * sync() fed entry by entry while the entries are still being read (a
   * restart): the tool works alongside, and the load is still one
   * transaction. Null when the backend cannot (or under --dry-run).
   */
  syncStream?(): EntryStream | null;
}

/** A full load in progress (BlockBackend.syncStream). */
export interface EntryStream {
  /** One more entry (same meaning as BlockEntry's fields). */
  add(cidr: string, family: Family, timeoutSec: number): void;
  /** Resolves when the producer may go on: on the next turn of the event loop, or once the tool has caught up. */
  ready(): Promise<void>;
  /** No more entries: resolves when the tool has committed them all, rejects with its error (the old contents then stay). */
  end(): Promise<void>;
  /** Gives up: the tool is stopped before it commits anything (the old contents stay); end() then rejects with `why`. */
  abort(why: Error): void;
}
