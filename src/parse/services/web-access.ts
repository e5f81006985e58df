/**
 * Web servers' access logs in the common and combined formats (Apache,
 * nginx, lighttpd, Caddy's common format):
 *   HOST IDENT USER [06/Dec/2026:20:01:02 +0000] "GET /path HTTP/1.1" STATUS BYTES ...
 * Two rules: a 401 is a failed login (the user name from the log, when
 * any); a 400, 403, 404 or 444 for a path that only exploit scanners ask
 * for (/wp-login.php, /.env, /phpmyadmin, /cgi-bin/, /.git/config, ...) is
 * a probe. Scanned with indexOf and charCodeAt, no regular expressions.
 */
import type { ParseContext } from '../context.js';
import { timestampAtText, type TimeResult } from '../syslog-time.js';

export interface WebHit {
  host: string;
  user: string;
  ts: number;
  status: number;
  path: string;
}

/** Paths (lowercase substrings of the request path) that only exploit scanners ask a site for. */
export const EXPLOIT_PATHS: readonly string[] = [
  '/wp-login.php', '/xmlrpc.php', '/wp-admin/', '/wp-config', '/.env', '/.git/', '/.svn/', '/.hg/', '/.aws/', '/.ssh/',
  '/.htpasswd', '/.ds_store', '/phpmyadmin', '/pma/', '/myadmin/', '/mysqladmin', '/adminer', '/cgi-bin/',
  '/vendor/phpunit/', '/boaform/', '/hnap1', '/actuator/', '/manager/html', '/solr/admin', '/setup.cgi',
  '/owa/auth/', '/autodiscover/autodiscover', '/_ignition/', '/server-status', '/etc/passwd', '/../', '/%2e%2e/',
  '/shell?', '/goform/', '/console/login', '/phpunit/', '/config.php.bak', '/backup.sql', '/dump.sql',
];

const scratch: TimeResult = { ts: 0, end: 0 };

function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

/** The fields of an access-log line, or null when it is not one. */
export function parseAccessLine(s: string, ctx: ParseContext): WebHit | null {
  const a = s.indexOf(' ');
  if (a <= 0 || a > 45) return null;
  const b = s.indexOf(' ', a + 1);
  if (b < 0) return null;
  const c = s.indexOf(' [', b);
  if (c < 0 || c - b > 256) return null;
  if (!timestampAtText(s, c + 2, ctx, scratch)) return null;
  const ts = scratch.ts;
  let k = scratch.end;
  if (!s.startsWith('] "', k)) return null;
  const req = k + 3;
  // The request ends at `" NNN `; a quote inside it is escaped by the server (\x22 or \").
  let q = s.indexOf('" ', req);
  while (q >= 0 && !(digit(s, q + 2) >= 0 && digit(s, q + 3) >= 0 && digit(s, q + 4) >= 0 && (q + 5 === s.length || s.charCodeAt(q + 5) === 32))) q = s.indexOf('" ', q + 1);
  if (q < 0) return null;
  const status = digit(s, q + 2) * 100 + digit(s, q + 3) * 10 + digit(s, q + 4);
  const m = s.indexOf(' ', req);
  let path = '';
  if (m > 0 && m < q) {
    const e = s.indexOf(' ', m + 1);
    path = s.slice(m + 1, e > 0 && e < q ? e : q);
  }
  const user = s.slice(b + 1, c);
  return { host: s.slice(0, a), user: user === '-' ? '' : user, ts, status, path };
}

/** True when the path is one only exploit scanners ask for. */
export function isExploitPath(path: string): boolean {
  const p = path.toLowerCase();
  for (const x of EXPLOIT_PATHS) if (p.includes(x)) return true;
  return false;
}
