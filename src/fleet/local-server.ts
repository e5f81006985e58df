/**
 * A private redis-server on 127.0.0.1 for the fleet tests and benchmark (not
 * used by the daemon): random free port, no RDB snapshots, optionally AOF
 * (appendfsync always) in its own directory so a kill and restart keeps the
 * stream.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
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
  /** A config file (first argument: sentinels need one they can rewrite). */
  configFile?: string;
  /** Serve TLS only, on the port, with these PEM files (client certificates required). */
  tls?: { cert: string; key: string; ca: string };
}

/** Servers still running: killed when the process exits, so a failed test leaves none behind. */
const running = new Set<ChildProcess>();
let exitHook = false;

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const c of running) c.kill('SIGKILL');
  });
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
    const t = this.o.tls;
    const args = this.o.configFile ? [this.o.configFile] : [];
    args.push(...(t ? ['--port', '0', '--tls-port', String(this.port), '--tls-cert-file', t.cert, '--tls-key-file', t.key, '--tls-ca-cert-file', t.ca] : ['--port', String(this.port)]));
    args.push('--bind', '127.0.0.1', '--dir', this.dir, '--daemonize', 'no', '--loglevel', 'warning');
    if (!this.o.configFile) args.push('--save', '', '--appendonly', this.o.aof ? 'yes' : 'no');
    if (this.o.aof) args.push('--appendfsync', 'always');
    const child = spawn(REDIS_SERVER, [...args, ...(this.o.args ?? [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    track(child);
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
    const t = this.o.tls;
    return new Promise((resolve) => {
      let s: Socket;
      const ping = () => s.write('PING\r\n');
      if (t) s = tlsConnect({ host: '127.0.0.1', port: this.port, ca: readFileSync(t.ca), cert: readFileSync(t.cert), key: readFileSync(t.key), rejectUnauthorized: false }, ping);
      else s = connect(this.port, '127.0.0.1', ping);
      // Any answer will do: with the default user switched off it is -NOAUTH.
      s.once('data', (d) => {
        s.destroy();
        resolve(/^[+-]/.test(d.toString()));
      });
      s.once('error', () => resolve(false));
    });
  }
}
