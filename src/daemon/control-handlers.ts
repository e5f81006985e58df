/**
 * The daemon side of each control command. Arguments come from a local
 * root client but are still checked: types, and addresses parsed before
 * they reach the block hook.
 */
import type { BlockTransport } from '../actions/block/control.js';
import { formatCidr, parseCidr } from '../net/address.js';
import type { ControlRequest } from './control-protocol.js';
import type { StatusPayload } from './status-view.js';

export interface ControlTarget {
  status(o: { ip?: string; minDl?: number }): Promise<StatusPayload>;
  blocks(): BlockTransport | null;
  reload(): Promise<string>;
  save(): Promise<string>;
}

function optString(args: Record<string, unknown>, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new Error(`"${key}" must be a string`);
  return v;
}

function optInt(args: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new Error(`"${key}" must be a whole number from ${min} to ${max}`);
  return v;
}

function target(args: Record<string, unknown>): string {
  const t = optString(args, 'target');
  if (t === undefined) throw new Error('"target" (ADDR or ADDR/LEN) is required');
  const c = parseCidr(t.trim());
  if (c === null) throw new Error(`"${t}" is not an IPv4/IPv6 address or CIDR`);
  return formatCidr(c);
}

function blocking(t: ControlTarget): BlockTransport {
  const b = t.blocks();
  if (b === null) throw new Error('blocking is not enabled');
  return b;
}

export async function handleControl(t: ControlTarget, req: ControlRequest): Promise<Record<string, unknown>> {
  const a = req.args;
  switch (req.cmd) {
    case 'status': {
      const ip = optString(a, 'ip');
      if (ip !== undefined && parseCidr(ip) === null) throw new Error(`"${ip}" is not an IPv4/IPv6 address or network`);
      return { ...(await t.status({ ip, minDl: optInt(a, 'minDl', 0, 5) })) };
    }
    case 'block': {
      const force = a.force;
      if (force !== undefined && typeof force !== 'boolean') throw new Error('"force" must be true or false');
      const req = { target: target(a), timeoutSec: optInt(a, 'timeoutSec', 0, 2 ** 31), force: force === true, reason: optString(a, 'reason') ?? 'manual' };
      return { result: await blocking(t).block(req) };
    }
    case 'unblock': {
      const cidr = target(a);
      return { result: await blocking(t).unblock(cidr) };
    }
    case 'blocks':
      return { blocks: await blocking(t).list() };
    case 'flush':
      return { removed: await blocking(t).flush() };
    case 'reload':
      return { message: await t.reload() };
    case 'save':
      return { path: await t.save() };
  }
}
