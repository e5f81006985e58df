/** Runs the built CLI (dist/cli/main.js) as a user would, capturing output and exit code. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = `${ROOT}dist/cli/main.js`;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tsad ARGS`, inside network namespace `ns` when given. */
export function runCli(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; ns?: string } = {}): Promise<CliResult> {
  const [cmd, argv] = opts.ns === undefined ? [process.execPath, [CLI, ...args]] : ['ip', ['netns', 'exec', opts.ns, process.execPath, CLI, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    // A command that exits before reading its input makes this write fail with EPIPE; its exit code is the result.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** Root and kernel features: skip on a laptop, but under CI=true a missing prerequisite fails. */
export function requireRoot(what: string): boolean {
  const root = process.getuid?.() === 0;
  if (!root && process.env.CI === 'true') throw new Error(`${what} needs root, and CI=true forbids skipping`);
  return root;
}
