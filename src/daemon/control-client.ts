/**
 * Talking to a running daemon over its control socket (the protocol is in
 * control-protocol.ts): one request, one response line. Also a
 * BlockTransport over the socket, so `tsad block` and friends act through
 * the daemon when it runs (its BlockManager then owns the blocks).
 */
import { connect } from 'node:net';
import type { BlockTransport, BlockView } from '../actions/block/control.js';
import type { BlockResult } from '../actions/block/manager.js';
import { encode, type ControlCommand, type ControlResponse } from './control-protocol.js';
import { DEFAULT_TRUST, socketProblem, type SocketTrust } from './socket-trust.js';

/** No daemon answers on the socket (none runs, or it left a stale socket). */
export class DaemonNotRunning extends Error {
  override name = 'DaemonNotRunning';
}

const MAX_RESPONSE = 256 << 20;

/** Checks who owns the socket before anything is sent: a socket another user planted gets nothing. */
function checkSocket(path: string, trust: SocketTrust): void {
  let problem: string | null;
  try {
    problem = socketProblem(path, trust);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new DaemonNotRunning(`no tsad daemon answers on ${path}`);
    if (code === 'EACCES' || code === 'EPERM') throw new Error(`${path}: permission denied (the control socket is for root)`);
    throw new Error(`${path}: ${(err as Error).message}`);
  }
  if (problem !== null) throw new Error(`refusing to use the control socket: ${problem} (see CONTROL_SOCKET_OWNER and CONTROL_SOCKET_SHARED_DIR in tsad.conf(5))`);
}

export function controlRequest(path: string, cmd: ControlCommand, args: Record<string, unknown> = {}, timeoutMs = 30_000, trust: SocketTrust = DEFAULT_TRUST): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    try {
      checkSocket(path, trust);
    } catch (err) {
      reject(err as Error);
      return;
    }
    const s = connect(path);
    let buf = '';
    const fail = (err: Error): void => {
      s.destroy();
      reject(err);
    };
    s.setEncoding('utf8');
    s.setTimeout(timeoutMs, () => fail(new Error(`the daemon did not answer "${cmd}" within ${timeoutMs / 1000} s (${path})`)));
    s.once('connect', () => s.write(encode({ cmd, args })));
    s.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) {
        if (buf.length > MAX_RESPONSE) fail(new Error('response too long'));
        return;
      }
      s.end();
      try {
        resolve(JSON.parse(buf.slice(0, nl)) as ControlResponse);
      } catch {
        reject(new Error(`the daemon sent an unreadable response on ${path}`));
      }
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') fail(new DaemonNotRunning(`no tsad daemon answers on ${path}`));
      else if (err.code === 'EACCES' || err.code === 'EPERM') fail(new Error(`${path}: permission denied (the control socket is for root)`));
      else fail(err);
    });
    s.once('end', () => {
      if (buf.indexOf('\n') < 0) reject(new Error(`the daemon closed ${path} without answering`));
    });
  });
}

/** The response's payload, or an Error with the daemon's message. */
export async function call(path: string, cmd: ControlCommand, args: Record<string, unknown> = {}, trust: SocketTrust = DEFAULT_TRUST): Promise<Record<string, unknown>> {
  const r = await controlRequest(path, cmd, args, 30_000, trust);
  if (!r.ok) throw new Error(r.error);
  return r;
}

/** Block commands through the daemon. */
export function socketBlockTransport(path: string, trust: SocketTrust = DEFAULT_TRUST): BlockTransport {
  return {
    block: async (req) => (await call(path, 'block', { ...req }, trust)).result as BlockResult,
    unblock: async (cidr) => (await call(path, 'unblock', { target: cidr }, trust)).result as { cidr: string; removed: boolean },
    list: async () => (await call(path, 'blocks', {}, trust)).blocks as BlockView[],
    flush: async () => (await call(path, 'flush', {}, trust)).removed as number,
  };
}
