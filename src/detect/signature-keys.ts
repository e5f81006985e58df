/**
 * One small number per signature as sources keep it (sid, message and role
 * together), so a source's matches are a few numbers on the source instead
 * of an object per match: with a million sources matching two rules each,
 * those objects were 200 bytes a source and most of the garbage collector's
 * work. The numbers are handed out once per distinct (sid, msg, role) and
 * kept for the life of the process (rules are few; saved state brings the
 * same ones back).
 */
import type { SignatureRole } from '../model/signature.js';

const sids: number[] = [];
const msgs: string[] = [];
const roles: SignatureRole[] = [];
/** The next number with the same sid (another message or role), -1 at the end. */
const next: number[] = [];
const first = new Map<number, number>();

/** The number of (sid, msg, role). */
export function signatureKey(sid: number, msg: string, role: SignatureRole): number {
  let k = first.get(sid) ?? -1;
  let last = -1;
  for (; k >= 0; k = next[k] as number) {
    if (msgs[k] === msg && roles[k] === role) return k;
    last = k;
  }
  k = sids.length;
  sids.push(sid);
  msgs.push(msg);
  roles.push(role);
  next.push(-1);
  if (last < 0) first.set(sid, k);
  else next[last] = k;
  return k;
}

export function keySid(k: number): number {
  return sids[k] as number;
}

export function keyMsg(k: number): string {
  return msgs[k] as string;
}

export function keyRole(k: number): SignatureRole {
  return roles[k] as SignatureRole;
}
