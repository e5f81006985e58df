/** Without FLEET_REDIS_URL nothing changes: no Redis needed, and the Redis client is never loaded. */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { fleetStatus } from '../../src/fleet/status.js';
import { openFleet } from '../../src/fleet/fleet.js';
import { requireFreshDist, ROOT } from './helpers.js';

const execFileP = promisify(execFile);

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('fleet mode off', () => {
  it('openFleet returns null and fleetStatus says fleet mode is off', async () => {
    expect(await openFleet(defaultConfig(), { onDecisions: async () => [] })).toBeNull();
    await expect(fleetStatus(defaultConfig())).rejects.toThrow(/fleet mode is off/);
  });

  it('ioredis is imported in one place, dynamically', () => {
    const users = tsFiles(join(ROOT, 'src')).filter((f) => /['"]ioredis['"]/.test(readFileSync(f, 'utf8')));
    expect(users.map((f) => relative(ROOT, f))).toEqual(['src/fleet/connection.ts']);
    const text = readFileSync(join(ROOT, 'src/fleet/connection.ts'), 'utf8');
    expect(text).not.toMatch(/^import\s+(?!type\b)[^;]*from\s+['"]ioredis['"]/m);
    expect(text).toContain("await import('ioredis')");
  });

  it('a process that opens the fleet with the defaults never loads ioredis', async () => {
    requireFreshDist();
    const script = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const loaded = () => Object.keys(require.cache).some((k) => k.includes('/node_modules/ioredis/'));
      const { openFleet } = await import('./dist/fleet/index.js');
      const { defaultConfig } = await import('./dist/config/load.js');
      const fleet = await openFleet(defaultConfig(), { onDecisions: async () => [] });
      const before = loaded();
      await import('ioredis'); // the probe can see a loaded client
      console.log(JSON.stringify({ fleet, before, after: loaded() }));`;
    const { stdout } = await execFileP(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT });
    expect(JSON.parse(stdout)).toEqual({ fleet: null, before: false, after: true });
  });
});
