/** Option value parsers: a bad value is a usage error (exit 2) naming the option. */
import { InvalidArgumentError } from 'commander';
import { UsageError } from './usage-error.js';

export function parseIntOption(min: number, max: number): (v: string) => number {
  return (v) => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

const UNIT_MS: Record<string, number> = { s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * ISO 8601 / RFC 3339, `YYYY-MM-DD[ HH:MM[:SS]]` (local time), seconds since
 * the epoch (optionally as `@N`), `now`, `today`, `yesterday`, `tomorrow`, or
 * a relative time such as `-2h`, `-30min`, `-7d` (journalctl's words).
 */
export function parseTimeOption(v: string, name: string, now = Date.now()): number {
  if (/^@?\d{9,}$/.test(v)) return Number(v.replace('@', '')) * 1000;
  const midnight = new Date(now);
  midnight.setHours(0, 0, 0, 0);
  const words: Record<string, number> = { now, today: midnight.getTime(), yesterday: midnight.getTime() - 86_400_000, tomorrow: midnight.getTime() + 86_400_000 };
  const w = words[v];
  if (w !== undefined) return w;
  const rel = /^([+-])(\d+)\s*(s|sec|m|min|h|d|w)$/.exec(v);
  if (rel) return now + (rel[1] === '-' ? -1 : 1) * Number(rel[2]) * (UNIT_MS[rel[3] as string] as number);
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(v);
  if (local) {
    const [, y, mo, d, h, mi, s] = local;
    return new Date(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0)).getTime();
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`${name}: cannot read time "${v}" (use ISO 8601, e.g. 2026-11-21T08:00:00Z)`);
  return t;
}
