/** Network-namespace helpers shared by the kernel test suites. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Root, iproute2 and nftables available? */
export async function netnsUsable(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  try {
    await exec('ip', ['netns', 'list']);
    await exec('nft', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `node -e script` inside namespace `ns` and resolves when it prints
 * "listening". `track` receives the process at once, so a teardown kills it
 * even when it never starts.
 */
export function startListener(ns: string, script: string, track: (c: ChildProcess) => void): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  track(child);
  // No clock limit: a listener that dies says so at once; a hang is ended by vitest's timeout.
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`listener exited with ${code}`)));
  });
}
