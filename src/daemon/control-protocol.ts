/**
 * The control socket protocol: newline-delimited JSON over a Unix socket.
 *
 *   request:  {"cmd":"status","args":{"minDl":2,"ip":"198.51.100.7"}}\n
 *   response: {"ok":true,...}\n   or   {"ok":false,"error":"..."}\n
 *
 * A connection may send several requests; each gets one response line, in
 * order. Commands:
 *   status  args {minDl?, ip?}       -> {report, daemon, blocks}
 *   block   args {target, timeoutSec?, force?, reason?} -> {result}
 *   unblock args {target}            -> {result}
 *   blocks                           -> {blocks}
 *   flush                            -> {removed}
 *   reload                           -> {message}   (as SIGHUP)
 *   save                             -> {path}      (write the state snapshot now)
 */

export const COMMANDS = ['status', 'block', 'unblock', 'blocks', 'flush', 'reload', 'save'] as const;
export type ControlCommand = (typeof COMMANDS)[number];

/** Longest request line accepted; a longer one closes the connection. */
export const MAX_REQUEST_BYTES = 65536;

export interface ControlRequest {
  cmd: ControlCommand;
  args: Record<string, unknown>;
}

export type ControlResponse = ({ ok: true } & Record<string, unknown>) | { ok: false; error: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Parses one request line; a string is the error to send back. */
export function parseRequest(line: string): ControlRequest | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'request is not valid JSON';
  }
  if (!isRecord(v) || typeof v.cmd !== 'string') return 'request must be an object with a "cmd" string';
  if (!(COMMANDS as readonly string[]).includes(v.cmd)) return `unknown command "${v.cmd}" (known: ${COMMANDS.join(', ')})`;
  if (v.args !== undefined && !isRecord(v.args)) return '"args" must be an object';
  return { cmd: v.cmd as ControlCommand, args: (v.args as Record<string, unknown> | undefined) ?? {} };
}

export function encode(v: ControlResponse | ControlRequest): string {
  return `${JSON.stringify(v)}\n`;
}
