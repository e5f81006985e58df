/**
 * Service-log evidence of a source (the report's `services` object) as
 * lines of text for the text report, `tsad status` and the alert mails. The
 * object may come from a saved or received report, so every field is
 * checked; user names are log text and are escaped and cut.
 */
import { visibleText } from './escape.js';

const SERVICE_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
/** User names shown per service line (JSON keeps up to SERVICE_MAX_USERS). */
const USERS_SHOWN = 10;

function count(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.floor(n) : 0;
}

/** `sshd: 12 failures (failed-login 8, invalid-user 3, max-auth 1); users tried: admin, root (+4 more)` per service. */
export function serviceLines(services: unknown): string[] {
  if (services === null || typeof services !== 'object' || Array.isArray(services)) return [];
  const out: string[] = [];
  for (const [name, v] of Object.entries(services as Record<string, unknown>).sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (!SERVICE_NAME.test(name) || v === null || typeof v !== 'object') continue;
    const t = v as Record<string, unknown>;
    const n = count(t.events);
    let line = `${name}: ${n} failure${n === 1 ? '' : 's'}`;
    const kinds = t.kinds !== null && typeof t.kinds === 'object' ? Object.entries(t.kinds as Record<string, unknown>).filter(([k]) => SERVICE_NAME.test(k)) : [];
    if (kinds.length > 0) line += ` (${kinds.map(([k, c]) => `${k} ${count(c)}`).join(', ')})`;
    const users = Array.isArray(t.users) ? t.users.filter((u): u is string => typeof u === 'string') : [];
    const more = count(t.moreUsers) + Math.max(0, users.length - USERS_SHOWN);
    if (users.length > 0) line += `; users tried: ${users.slice(0, USERS_SHOWN).map((u) => `"${visibleText(u, 64)}"`).join(', ')}${more > 0 ? ` (+${more} more)` : ''}`;
    out.push(line);
  }
  return out;
}

/** Total failures over all services (for mail subjects). */
export function serviceFailures(services: unknown): Array<[string, number]> {
  if (services === null || typeof services !== 'object' || Array.isArray(services)) return [];
  return Object.entries(services as Record<string, unknown>)
    .filter(([name, v]) => SERVICE_NAME.test(name) && v !== null && typeof v === 'object')
    .map(([name, v]) => [name, count((v as Record<string, unknown>).events)] as [string, number])
    .sort((a, b) => b[1] - a[1]);
}
