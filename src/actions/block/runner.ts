/**
 * Running firewall tools: execFile with an argument vector (no shell), stdin
 * fed from a string (one `nft -f -` script per batch), and an error that
 * names the command and quotes the tool's own message.
 */
import { execFile } from 'node:child_process';
import type { BackendContext, Logger, RunResult, Runner } from './types.js';

export class CommandError extends Error {
  constructor(
    readonly cmd: string,
    readonly args: readonly string[],
    readonly code: number | string | null,
    readonly stderr: string,
  ) {
    super(`${cmd} ${args.slice(0, 6).join(' ')}${args.length > 6 ? ' ...' : ''} failed (${code ?? 'signal'}): ${firstLines(stderr)}`);
    this.name = 'CommandError';
  }
}

function firstLines(s: string): string {
  const lines = s.trim().split('\n').slice(0, 3).join(' | ');
  return lines === '' ? 'no message' : lines.length > 400 ? `${lines.slice(0, 397)}...` : lines;
}

/** Scripts from this size on are bulk loads (a restart's or a feed's blocks). */
const BULK_INPUT = 1 << 20;

/**
 * The environment for a bulk load: glibc's malloc asks for transparent huge
 * pages (ignored where glibc lacks the tunable). nft allocates a small
 * object per element; a million elements cost it some 190,000 page faults,
 * and this takes 10-20% off its CPU time (nft 1.0.6, 1M elements).
 */
function bulkEnv(): NodeJS.ProcessEnv {
  const own = process.env.GLIBC_TUNABLES;
  return { ...process.env, GLIBC_TUNABLES: own ? `${own}:glibc.malloc.hugetlb=1` : 'glibc.malloc.hugetlb=1' };
}

/**
 * The default Runner: the real program, large output allowed (a 100k-element
 * set listing), and a time limit of 60 s plus 2 s per MB of script, so a
 * million blocks (30 MB) on a busy machine are not cut off and retried forever.
 */
export const execRunner: Runner = (cmd, args, input) =>
  new Promise<RunResult>((resolve, reject) => {
    const bulk = (input?.length ?? 0) >= BULK_INPUT;
    const timeout = 60_000 + Math.ceil(((input?.length ?? 0) / 1e6) * 2000);
    const child = execFile(cmd, args, { maxBuffer: 512 * 1024 * 1024, timeout, encoding: 'utf8', env: bulk ? bulkEnv() : undefined }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
        reject(new CommandError(cmd, args, code, stderr || err.message));
      } else resolve({ stdout, stderr });
    });
    // A tool that exits before reading all of stdin raises EPIPE here; the exit status reports the failure.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });

/** A Runner that runs every command inside network namespace `ns` (`ip netns exec NS CMD ...`). */
export function netnsRunner(ns: string, base: Runner = execRunner): Runner {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(ns)) throw new Error(`bad namespace name "${ns}"`);
  return (cmd, args, input) => base('ip', ['netns', 'exec', ns, cmd, ...args], input);
}

/** Shell-style quoting for display only (dry-run output, logs); never executed. */
export function displayCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * Runs a command that changes the firewall, or under --dry-run prints it
 * (with its stdin script) and pretends it succeeded.
 */
export async function applyCommand(ctx: BackendContext, cmd: string, args: string[], input?: string): Promise<RunResult> {
  if (ctx.dryRun) {
    ctx.out(`${displayCommand(cmd, args)}${input ? ` <<'EOF'\n${input}${input.endsWith('\n') ? '' : '\n'}EOF` : ''}\n`);
    return { stdout: '', stderr: '' };
  }
  return ctx.run(cmd, args, input);
}

/** Runs a read-only query; a failure (object missing) yields null instead of throwing. */
export async function queryCommand(ctx: BackendContext, cmd: string, args: string[]): Promise<string | null> {
  try {
    return (await ctx.run(cmd, args)).stdout;
  } catch (err) {
    if (err instanceof CommandError) return null;
    throw err;
  }
}

export const silentLogger: Logger = () => undefined;

/** A BackendContext with defaults: real commands, stdout for dry-run text, no logging. */
export function backendContext(partial: Partial<BackendContext> = {}): BackendContext {
  return {
    run: partial.run ?? execRunner,
    dryRun: partial.dryRun ?? false,
    out: partial.out ?? ((t) => void process.stdout.write(t)),
    log: partial.log ?? silentLogger,
  };
}
