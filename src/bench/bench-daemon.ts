/** What the benches that run a daemon or a child share: its scratch directory and config, and peak RSS from /proc. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** VmHWM (peak RSS) of a running process, in kB; 0 once it is gone. */
export function vmHwm(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * A scratch directory with an empty log file to follow and a tsad.conf
 * without start-up checks, lookups or mail (plus `extra` lines such as
 * "KEY VALUE;"): what a benchmarked daemon reads.
 */
export function benchDaemonDir(prefix: string, extra: readonly string[] = []): { dir: string; log: string; conf: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const log = join(dir, 'kern.log');
  writeFileSync(log, '');
  const conf = join(dir, 'tsad.conf');
  writeFileSync(conf, ['ENABLE_FW_LOGGING_CHECK N;', 'NO_FW_LINES_WARN 0;', 'ENABLE_GEOIP N;', 'ENABLE_REPUTATION_FEEDS N;', 'ENABLE_DNS_LOOKUPS N;', 'EMAIL_ADDRESSES NONE;', `AUTO_DL_FILE ${join(dir, 'none')};`, ...extra, ''].join('\n'));
  return { dir, log, conf };
}
