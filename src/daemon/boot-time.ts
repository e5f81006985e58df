/** This host's boot time (ms since the epoch), for uptime-stamped kernel records. */
import { readFileSync } from 'node:fs';

let cached: number | undefined;

export function bootTimeMs(): number {
  if (cached !== undefined) return cached;
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    cached = m ? Number(m[1]) * 1000 : Date.now() - performance.now();
  } catch {
    cached = Date.now() - performance.now();
  }
  return cached;
}
