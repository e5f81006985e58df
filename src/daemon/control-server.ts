/**
 * The daemon's control socket. Root only: the socket is created mode 0600
 * (under a 0177 umask, so it is never briefly wider) in a directory of mode
 * 0700; node cannot read SO_PEERCRED, so the file modes are the check, as
 * for most daemons. It is never created in a directory other users can
 * write to (they could replace it; socket-trust.ts), unless
 * CONTROL_SOCKET_SHARED_DIR says so. A live socket of another daemon is
 * never taken over.
 */
import { chmodSync, existsSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { encode, MAX_REQUEST_BYTES, parseRequest, type ControlRequest, type ControlResponse } from './control-protocol.js';
import type { Logger } from './hooks.js';
import { directoryProblem, DEFAULT_TRUST, type SocketTrust } from './socket-trust.js';

export type ControlHandler = (req: ControlRequest) => Promise<Record<string, unknown>>;

const IDLE_MS = 60_000;
const MAX_CONNECTIONS = 32;

/** True when something answers on the socket (another daemon). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function prepareDirectory(path: string, log: Logger, trust: SocketTrust): void {
  const dir = dirname(path);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
  }
  const self = process.getuid?.() ?? 0;
  const problem = directoryProblem(dir, new Set([0, self]), true);
  if (problem === null) return;
  if (!trust.sharedDir) throw new Error(`${problem}; refusing to create the control socket ${path} there (choose a directory only root can write to, or set CONTROL_SOCKET_SHARED_DIR Y)`);
  log('warn', `${problem} (CONTROL_SOCKET_SHARED_DIR Y)`);
}

async function serve(socket: Socket, handler: ControlHandler): Promise<void> {
  socket.setEncoding('utf8');
  socket.setTimeout(IDLE_MS, () => socket.destroy());
  let buf = '';
  let chain = Promise.resolve();
  socket.on('data', (d: string) => {
    buf += d;
    if (buf.length > MAX_REQUEST_BYTES && buf.indexOf('\n') < 0) {
      socket.end(encode({ ok: false, error: `request longer than ${MAX_REQUEST_BYTES} bytes` }));
      return;
    }
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line !== '') chain = chain.then(() => answer(socket, line, handler));
      nl = buf.indexOf('\n');
    }
  });
  // Half-open: the client sent its last request; answer what is pending, then close our side too.
  socket.on('end', () => void chain.then(() => socket.end()));
  socket.on('error', () => socket.destroy());
}

async function answer(socket: Socket, line: string, handler: ControlHandler): Promise<void> {
  const req = parseRequest(line);
  let res: ControlResponse;
  if (typeof req === 'string') res = { ok: false, error: req };
  else {
    try {
      res = { ok: true, ...(await handler(req)) };
    } catch (err) {
      res = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
  }
  if (!socket.destroyed) socket.write(encode(res));
}

export class ControlServer {
  private constructor(private readonly server: Server, readonly path: string, private readonly sockets: Set<Socket>) {}

  static async listen(path: string, handler: ControlHandler, log: Logger, trust: SocketTrust = DEFAULT_TRUST): Promise<ControlServer> {
    prepareDirectory(path, log, trust);
    if (existsSync(path)) {
      if (await answers(path)) throw new Error(`another tsad daemon is running (it answers on ${path})`);
      unlinkSync(path); // left by a daemon that was killed
    }
    const sockets = new Set<Socket>();
    // allowHalfOpen: a client may close its sending side after the request (nc -N, socat) and still get the answer.
    const server = createServer({ allowHalfOpen: true }, (s) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      void serve(s, handler);
    });
    server.maxConnections = MAX_CONNECTIONS;
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => resolve());
      });
    } finally {
      process.umask(old);
    }
    chmodSync(path, 0o600);
    server.on('error', (err) => log('error', `control socket ${path}: ${err.message}`));
    return new ControlServer(server, path, sockets);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    });
  }
}
