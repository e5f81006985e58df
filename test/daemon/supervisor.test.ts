/**
 * A source that fails is restarted with backoff and reported in status,
 * while the other sources keep running; the source starts reading once its
 * input appears.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, summaryOf, waitStatus, type DaemonProc } from './helpers/daemon-proc.js';
import { writeTestConfig } from './helpers/config.js';

let dir: string;
let daemon: DaemonProc | null = null;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-daemon-supervise-'));
});
afterAll(async () => {
  if (daemon) await daemon.kill9().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

interface Src {
  name: string;
  state: string;
  restarts: number;
  lastError: string | null;
  lines: number;
}

const line = (k: number): string => `2026-11-21T08:00:0${k % 10}Z fw1 kernel: DROP IN=eth0 OUT= SRC=203.0.113.${k + 1} DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=UDP SPT=5000 DPT=53 LEN=24 \n`;

describe('source supervision', () => {
  it('restarts a failing source with backoff; the others keep reading', async () => {
    const conf = writeTestConfig(dir, { SOURCE_RESTART_MAX: '2' });
    const log = join(dir, 'kern.log');
    writeFileSync(log, '');
    const missing = join(dir, 'later', 'kern2.log');
    const socket = join(dir, 'tsad.sock');
    daemon = await startDaemon(['-c', conf, '--source', `file:${log}`, '--source', `file:${missing}`, '--state-dir', join(dir, 'state')], socket);
    for (let k = 0; k < 5; k++) appendFileSync(log, line(k));
    const st = await waitStatus(daemon, (r) => {
      const s = (r.daemon as { sources: Src[] }).sources;
      return summaryOf(r).lines === 5 && (s[1]?.restarts ?? 0) >= 2;
    });
    const [ok, failing] = (st.daemon as { sources: Src[] }).sources;
    expect(ok).toMatchObject({ name: `file:${log}`, state: 'running', restarts: 0, lines: 5 });
    expect(failing?.lastError).toContain('ENOENT');
    expect(daemon.log()).toMatch(/source file:.*kern2\.log failed: .*restarting in 1 s/);
    expect(daemon.log()).toMatch(/restarting in 2 s/);

    // Once the directory exists the source comes up and reads the new file from its start.
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'later'));
    writeFileSync(missing, line(7) + line(8));
    const up = await waitStatus(daemon, (r) => summaryOf(r).lines === 7);
    expect((up.daemon as { sources: Src[] }).sources[1]?.state).toBe('running');
    expect(await daemon.stop()).toBe(0);
    daemon = null;
  });
});
