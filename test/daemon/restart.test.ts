/**
 * The daemon process (the built CLI) is killed with SIGKILL and stopped
 * with SIGTERM in the middle of a stream that is also being rotated; after
 * each restart it resumes from its saved state. At the end every line must
 * have been counted exactly once: summary.lines, firewallLines and (when the
 * detect state is saved) the packets of the sources equal what was written.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, summaryOf, waitStatus, type DaemonProc } from './helpers/daemon-proc.js';
import { writeTestConfig } from './helpers/config.js';
import { startWriter } from './helpers/writer.js';

let dir: string;
let daemon: DaemonProc | null = null;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-daemon-restart-'));
});
afterAll(async () => {
  if (daemon) await daemon.kill9().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface SourceRow {
  src: string;
  packets: number;
}

describe('restart and kill -9 in the middle of a stream', () => {
  it('loses no line and counts none twice', async () => {
    const log = join(dir, 'kern.log');
    writeFileSync(log, '');
    const conf = writeTestConfig(dir);
    const socket = join(dir, 'run', 'tsad.sock');
    const args = ['-c', conf, '--source', `file:${log}`, '--state-dir', join(dir, 'state')];
    const start = (): Promise<DaemonProc> => startDaemon(args, socket);

    daemon = await start();
    const total = 24_000;
    const w = startWriter(log, { total, perTick: 12, rotateEvery: 5000, mode: 'rename', prefix: 'DROP' });
    const events: string[] = [];
    await sleep(1500);
    await daemon.kill9();
    events.push('kill -9');
    await sleep(400); // lines keep coming while it is down
    daemon = await start();
    await sleep(1500);
    expect(await daemon.stop()).toBe(0);
    events.push('SIGTERM');
    await sleep(300);
    daemon = await start();
    await sleep(1200);
    await daemon.kill9();
    events.push('kill -9');
    daemon = await start();
    const written = await w.done;
    expect(written.written).toBe(total);
    expect(written.rotations).toBeGreaterThanOrEqual(4);

    // A lost line leaves this waiting: vitest's timeout ends it, and the failure shows the last summary.
    const st = await waitStatus(daemon, (r) => summaryOf(r).lines >= total);
    await sleep(500); // a doubled line would arrive late
    const final = (await daemon.request('status')) as Record<string, unknown>;
    const s = summaryOf(final);
    expect({ lines: s.lines, firewallLines: s.firewallLines, skipped: s.skipped }, `after ${events.join(', ')}`).toEqual({ lines: total, firewallLines: total, skipped: {} });
    const info = final.daemon as { scanStateSaved: boolean };
    if (info.scanStateSaved) {
      const sources = (final.report as { sources: SourceRow[] }).sources;
      expect(sources.reduce((a, x) => a + x.packets, 0)).toBe(total);
      expect(sources.length).toBe(50);
    }
    expect(st).toBeTruthy();
    expect(await daemon.stop()).toBe(0);
    daemon = null;
  }, 180_000); // a backstop for a loaded machine: the waits have no clock limit of their own
});
