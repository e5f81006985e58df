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

/** ISO 8601 / RFC 3339 or `YYYY-MM-DD[ HH:MM[:SS]]` (local time), or a number of seconds since the epoch. */
export function parseTimeOption(v: string, name: string): number {
  if (/^\d{9,}$/.test(v)) return Number(v) * 1000;
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(v);
  if (local) {
    const [, y, mo, d, h, mi, s] = local;
    return new Date(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0)).getTime();
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`${name}: cannot read time "${v}" (use ISO 8601, e.g. 2026-11-21T08:00:00Z)`);
  return t;
}
