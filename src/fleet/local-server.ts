/**
 * A private redis-server on 127.0.0.1 for the fleet tests and benchmark (not
 * used by the daemon): random free port, no RDB snapshots, optionally AOF
 * (appendfsync always) in its own directory so a kill and restart keeps the
 * stream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER = '/usr/bin/redis-server';

export function haveRedisServer(): boolean {
  return existsSync(REDIS_SERVER);
}

/** A free TCP port on loopback (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export interface LocalRedisOptions {
  /** appendonly yes, fsync always: the data survive a kill -9. */
  aof?: boolean;
  /** Extra `--name value` arguments. */
  args?: string[];
  port?: number;
}

export class LocalRedis {
  #child: ChildProcess | null = null;

  private constructor(readonly port: number, readonly dir: string, private readonly o: LocalRedisOptions) {}

  static async start(o: LocalRedisOptions = {}): Promise<LocalRedis> {
    const r = new LocalRedis(o.port ?? (await freePort()), mkdtempSync(join(tmpdir(), 'tsad-fleet-redis-')), o);
    await r.restart();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts (again) on the same port and directory; resolves when it accepts connections. */
  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--daemonize', 'no', '--loglevel', 'warning'];
    args.push('--appendonly', this.o.aof ? 'yes' : 'no');
    if (this.o.aof) args.push('--appendfsync', 'always');
    const child = spawn(REDIS_SERVER, [...args, ...(this.o.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    const deadline = Date.now() + 10_000;
    while (!(await this.#answers())) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${this.port}: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** kill -9, as a crash or power loss would. */
  async kill(): Promise<void> {
    const c = this.#child;
    this.#child = null;
    if (c === null || c.exitCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await gone;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  #answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = connect(this.port, '127.0.0.1');
      s.once('connect', () => s.write('PING\r\n'));
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      s.once('error', () => resolve(false));
    });
  }
}
