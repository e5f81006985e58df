/**
 * Who may read METRICS_LISTEN: anyone on the host while it listens on
 * loopback; with METRICS_TOKEN_FILE only requests carrying the token, as
 * `Authorization: Bearer TOKEN` (Prometheus) or as the password of HTTP
 * basic authentication (a browser asks for it). Another address than
 * loopback without a token is refused at start: the live report names
 * attackers and the host's exposure, and must not reach a network by
 * accident.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from '../config/keys/index.js';
import { isLoopbackListen } from '../config/keys/daemon.js';
import { ConfigError } from '../config/errors.js';

const MIN_TOKEN = 16;

function fail(key: string, reason: string): never {
  throw new ConfigError('(configuration)', 0, key, reason);
}

/** The token METRICS_TOKEN_FILE holds (null when unset); throws ConfigError on an unusable setup. */
export function metricsToken(cfg: Config): string | null {
  if (cfg.METRICS_REPORT_PAGE && cfg.METRICS_LISTEN === '') fail('METRICS_REPORT_PAGE', 'the report page is served on METRICS_LISTEN, which is empty');
  let token: string | null = null;
  if (cfg.METRICS_TOKEN_FILE !== '') {
    let text: string;
    try {
      text = readFileSync(cfg.METRICS_TOKEN_FILE, 'utf8');
    } catch (err) {
      return fail('METRICS_TOKEN_FILE', `cannot read ${cfg.METRICS_TOKEN_FILE}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    token = (text.split('\n')[0] ?? '').trim();
    if (token.length < MIN_TOKEN || /[\s\x00-\x1f\x7f]/.test(token)) fail('METRICS_TOKEN_FILE', `the first line of ${cfg.METRICS_TOKEN_FILE} must be a token of at least ${MIN_TOKEN} printable characters without spaces`);
  }
  if (cfg.METRICS_LISTEN !== '' && token === null && !isLoopbackListen(cfg.METRICS_LISTEN)) {
    fail('METRICS_LISTEN', `"${cfg.METRICS_LISTEN}" is not a loopback address: set METRICS_TOKEN_FILE to serve metrics and the report page on another address`);
  }
  return token;
}

function same(a: string, b: string): boolean {
  // Digests of equal length, so the comparison takes the same time whatever the guess.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Whether an Authorization header carries `token` (Bearer, or Basic with any user and the token as password). */
export function authorized(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer !== null) return same(bearer[1] as string, token);
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (basic === null) return false;
  const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && same(decoded.slice(colon + 1), token);
}
