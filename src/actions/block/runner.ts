/**
 * Running firewall tools: execFile with an argument vector (no shell), stdin
 * fed from a string (one `nft -f -` script per batch), and an error that
 * names the command and quotes the tool's own message.
 */
import { execFile } from 'node:child_process';
import type { BackendContext, Logger, RunResult, Runner, ScriptInput } from './types.js';

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

/** Time a tool may take once its whole script is written: 60 s plus 2 s per MB (a million blocks, 30 MB, on a busy machine). */
function timeLimitMs(inputChars: number): number {
  return 60_000 + Math.ceil((inputChars / 1e6) * 2000);
}

/**
 * The default Runner: the real program, large output allowed (a 100k-element
 * set listing), and a time limit (timeLimitMs) so a bulk load on a busy
 * machine is not cut off and retried forever. A streamed input's time
 * limit starts when its last text is written.
 */
export const execRunner: Runner = (cmd, args, input) => {
  if (input !== undefined && typeof input !== 'string') return runStreamed(cmd, args, input);
  return new Promise<RunResult>((resolve, reject) => {
    const bulk = (input?.length ?? 0) >= BULK_INPUT;
    const child = execFile(cmd, args, { maxBuffer: 512 * 1024 * 1024, timeout: timeLimitMs(input?.length ?? 0), encoding: 'utf8', env: bulk ? bulkEnv() : undefined }, (err, stdout, stderr) => {
      if (err) reject(commandError(cmd, args, err, stderr));
      else resolve({ stdout, stderr });
    });
    // A tool that exits before reading all of stdin raises EPIPE here; the exit status reports the failure.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
};

function commandError(cmd: string, args: readonly string[], err: Error, stderr: string): CommandError {
  const code = (err as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
  return new CommandError(cmd, args, code, stderr || err.message);
}

/**
 * Feeds `input` to the program as it comes (always a bulk load). If the
 * input fails, the program is killed before its stdin is closed: it never
 * sees an end of input, so it never runs a cut script.
 */
function runStreamed(cmd: string, args: string[], input: ScriptInput): Promise<RunResult> {
  return new Promise<RunResult>((resolve, reject) => {
    let abandoned: Error | null = null;
    let exited = false;
    let timer: NodeJS.Timeout | undefined;
    let onExit: () => void = () => undefined;
    const gone = new Promise<void>((r) => {
      onExit = r;
    });
    const child = execFile(cmd, args, { maxBuffer: 512 * 1024 * 1024, encoding: 'utf8', env: bulkEnv() }, (err, stdout, stderr) => {
      exited = true;
      clearTimeout(timer);
      onExit();
      if (abandoned !== null) reject(abandoned);
      else if (err) reject(commandError(cmd, args, err, stderr));
      else resolve({ stdout, stderr });
    });
    const stdin = child.stdin;
    stdin?.on('error', () => undefined);
    const pump = async (): Promise<void> => {
      let written = 0;
      try {
        for await (const text of input) {
          if (exited || stdin === null) break;
          written += text.length;
          if (!stdin.write(text)) await Promise.race([new Promise((r) => stdin.once('drain', r)), gone]);
        }
      } catch (err) {
        abandoned = err as Error;
        child.kill('SIGKILL'); // before stdin closes
        stdin?.destroy();
        return;
      }
      if (exited) return;
      timer = setTimeout(() => child.kill('SIGTERM'), timeLimitMs(written));
      stdin?.end();
    };
    void pump();
  });
}

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
export async function applyCommand(ctx: BackendContext, cmd: string, args: string[], input?: string | ScriptInput): Promise<RunResult> {
  if (ctx.dryRun) {
    if (typeof input === 'object') throw new Error('a streamed script is not shown under --dry-run (backends stream only for real)');
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
