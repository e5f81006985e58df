/**
 * Who may stand behind the control socket. Node cannot read SO_PEERCRED, so
 * trust rests on the file system: the client talks only to a socket owned
 * by root, by the daemon's configured user (CONTROL_SOCKET_OWNER) or by the
 * user running the client, and the daemon creates its socket only in a
 * directory nobody else can write to (unless CONTROL_SOCKET_SHARED_DIR Y).
 * Otherwise another local user could plant a socket at the path and capture
 * root's `tsad block` and `tsad status` (or answer them with lies).
 */
import { lstatSync, readFileSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import type { Config } from '../config/keys/index.js';

export interface SocketTrust {
  /** Owners accepted besides root and the current user: CONTROL_SOCKET_OWNER as a name or uid. */
  owner: string;
  /** CONTROL_SOCKET_SHARED_DIR: a directory others can write to is accepted. */
  sharedDir: boolean;
}

export const DEFAULT_TRUST: SocketTrust = { owner: 'root', sharedDir: false };

export function trustOf(cfg: Pick<Config, 'CONTROL_SOCKET_OWNER' | 'CONTROL_SOCKET_SHARED_DIR'>): SocketTrust {
  return { owner: cfg.CONTROL_SOCKET_OWNER, sharedDir: cfg.CONTROL_SOCKET_SHARED_DIR };
}

/** The uid of a user name (from /etc/passwd) or a numeric uid; null when unknown. */
export function uidOf(user: string): number | null {
  if (/^\d{1,10}$/.test(user)) return Number(user);
  let text = '';
  try {
    text = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return user === 'root' ? 0 : null;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f[2] !== undefined && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  return null;
}

/** root, the current user and the configured owner. */
export function trustedUids(t: SocketTrust): Set<number> {
  const out = new Set<number>([0]);
  const self = process.getuid?.();
  if (self !== undefined) out.add(self);
  const owner = uidOf(t.owner);
  if (owner !== null) out.add(owner);
  return out;
}

function mode(st: Stats): string {
  return (st.mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * Why a directory is no safe place for the control socket: users other than
 * the trusted ones can create, rename or remove entries in it. A sticky
 * directory (/tmp) keeps others from replacing an entry they do not own, so
 * for an existing socket (`forCreate` false) only a non-sticky one is
 * unsafe; the daemon creating its socket accepts neither.
 */
export function directoryProblem(dir: string, trusted: ReadonlySet<number>, forCreate: boolean): string | null {
  const st = statSync(dir);
  if (!trusted.has(st.uid)) return `${dir} belongs to uid ${st.uid}, who could replace the control socket`;
  if ((st.mode & 0o022) !== 0 && (forCreate || (st.mode & 0o1000) === 0)) return `${dir} is writable by other users (mode ${mode(st)}): one of them could put a socket of their own there`;
  // The directories above: someone who may rename an entry there can swap the whole directory.
  for (let d = dirname(dir), prev = dir; d !== prev; prev = d, d = dirname(d)) {
    const a = statSync(d);
    if (!trusted.has(a.uid) && (a.mode & 0o1000) === 0) return `${d} belongs to uid ${a.uid}, who could replace ${prev}`;
    if ((a.mode & 0o022) !== 0 && (a.mode & 0o1000) === 0) return `${d} is writable by other users (mode ${mode(a)}): one of them could replace ${prev}`;
  }
  return null;
}

/** Why the client must not talk to the socket at `path`; null when it may. Throws ENOENT (no daemon) as lstat does. */
export function socketProblem(path: string, t: SocketTrust): string | null {
  const trusted = trustedUids(t);
  const link = lstatSync(path);
  if (link.isSymbolicLink() && !trusted.has(link.uid)) return `${path} is a symbolic link owned by uid ${link.uid}`;
  const st = link.isSymbolicLink() ? statSync(path) : link;
  if (!st.isSocket()) return `${path} is not a socket`;
  if (!trusted.has(st.uid)) return `${path} is owned by uid ${st.uid}, not by root or CONTROL_SOCKET_OWNER (${t.owner}): it is not tsad's socket`;
  return t.sharedDir ? null : directoryProblem(dirname(path), trusted, false);
}
