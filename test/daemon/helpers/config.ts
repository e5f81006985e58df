/** A tsad.conf for daemon tests: quick saves, no start-up firewall check, no lookups that cost time. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeTestConfig(dir: string, extra: Record<string, string> = {}): string {
  const keys: Record<string, string> = {
    STATE_SAVE_INTERVAL: '1',
    ENABLE_FW_LOGGING_CHECK: 'N',
    NO_FW_LINES_WARN: '0',
    ENABLE_GEOIP: 'N',
    ENABLE_REPUTATION_FEEDS: 'N',
    ENABLE_DNS_LOOKUPS: 'N',
    EMAIL_ADDRESSES: 'NONE',
    AUTO_DL_FILE: join(dir, 'auto_dl'),
    ...extra,
  };
  const path = join(dir, 'tsad.conf');
  writeFileSync(path, Object.entries(keys).map(([k, v]) => `${k} ${v};`).join('\n') + '\n');
  return path;
}
