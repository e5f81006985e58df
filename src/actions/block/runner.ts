/**
 * Running firewall tools: execFile with an argument vector (no shell), stdin
 * fed from a string (one `nft -f -` script per batch), and an error that
 * names the command and quotes the tool's own message.
 */
import { execFile, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
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

/** In a streamed run, the argument that stands for the path of the named pipe the script comes through. */
export const STREAM_PATH_ARG = '@script';

/**
 * Feeds `input` to the program as it comes (always a bulk load), through a
 * named pipe the program opens itself (STREAM_PATH_ARG): nft parses a file
 * it opens as the text arrives, but reads its stdin whole first. The pipe
 * is opened for writing once the program has opened it for reading, and
 * closed when the input ends. If the input fails, the program is killed
 * before the pipe is closed: it never sees an end of input, so it never
 * runs a cut script. After the end, the pipe is opened and closed again
 * now and then while the program runs: nft reopens its input file to quote
 * the line of an error, which for a pipe waits for a writer forever.
 */
async function runStreamed(cmd: string, args: string[], input: ScriptInput): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tsad-stream-'));
  const path = join(dir, 'script');
  try {
    await promisify(execFile)('mkfifo', ['-m', '600', path]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return new Promise<RunResult>((resolve, reject) => {
    let abandoned: Error | null = null;
    let exited = false;
    let out: Socket | null = null;
    let timer: NodeJS.Timeout | undefined;
    let unblock: NodeJS.Timeout | undefined;
    let stdout = '';
    let stderr = '';
    let onExit: () => void = () => undefined;
    const gone = new Promise<void>((done) => {
      onExit = done;
    });
    const child = spawn(cmd, args.map((a) => (a === STREAM_PATH_ARG ? path : a)), { stdio: ['ignore', 'pipe', 'pipe'], env: bulkEnv() });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const finish = (err: Error | null, code: number | null, signal: NodeJS.Signals | null): void => {
      if (exited) return;
      exited = true;
      clearTimeout(timer);
      clearInterval(unblock);
      onExit();
      out?.destroy();
      rmSync(dir, { recursive: true, force: true });
      if (abandoned !== null) reject(abandoned);
      else if (err !== null) reject(commandError(cmd, args, err, stderr));
      else if (code !== 0) reject(new CommandError(cmd, args, code ?? signal, stderr));
      else resolve({ stdout, stderr });
    };
    child.on('error', (err) => finish(err, null, null));
    child.on('close', (code, signal) => finish(null, code, signal));
    /** The pipe's write end, once the program has it open for reading (until then opening fails with ENXIO). */
    const writer = async (): Promise<Socket | null> => {
      for (;;) {
        if (exited) return null;
        try {
          const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
          const s = new Socket({ fd, readable: false, writable: true });
          s.on('error', () => undefined);
          return s;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
        }
        await Promise.race([new Promise((done) => setTimeout(done, 2)), gone]);
      }
    };
    const pump = async (): Promise<void> => {
      let written = 0;
      try {
        for await (const text of input) {
          out ??= await writer();
          if (exited || out === null) break;
          written += text.length;
          if (!out.write(text)) await Promise.race([new Promise((done) => out?.once('drain', done)), gone]);
        }
        out ??= await writer();
      } catch (err) {
        abandoned = err as Error;
        child.kill('SIGKILL'); // before the pipe closes
        return;
      }
      if (exited || out === null) return;
      timer = setTimeout(() => child.kill('SIGTERM'), timeLimitMs(written));
      // The end of input is the pipe closing (a socket's end() alone would leave it open).
      const s = out;
      s.end(() => {
        s.destroy();
        // A reopen of the pipe (nft quoting an error) finds a writer that writes nothing: an empty quote instead of a hang.
        unblock = setInterval(() => {
          try {
            closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
          } catch {
            // ENXIO: nobody has the pipe open for reading now; ENOENT: already removed.
          }
        }, 20);
      });
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
