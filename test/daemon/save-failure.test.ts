/**
 * A state directory that cannot be written: a small tmpfs filled to the last
 * byte (ENOSPC), then remounted read-only (EROFS). The daemon (the built
 * CLI, a separate process) must say so everywhere and claim nothing that
 * did not happen: the control socket's save fails, `tsad block` exits 1
 * without printing "blocked", `tsad status` warns, the metrics count the
 * failures, it keeps retrying and recovers by itself once there is space,
 * and a SIGTERM that cannot save exits 1 instead of "stopped; state saved".
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/run-cli.js';
import { runTsad, startDaemon, waitStatus, type DaemonProc } from './helpers/daemon-proc.js';
import { writeTestConfig } from './helpers/config.js';

const root = requireRoot('mounting a small tmpfs as the state directory');
const SCAN = readFileSync(new URL('../../fixtures/captured/ipt/syn.kern.log', import.meta.url), 'utf8');
const METRICS_PORT = 20000 + Math.floor(Math.random() * 20000);

let dir = '';
let stateDir = '';
let conf = '';
let socket = '';
let log = '';
let daemon: DaemonProc | null = null;
let mounted = false;

const sh = (cmd: string, args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Fills the tmpfs until a write fails with ENOSPC. */
function fill(): void {
  try {
    sh('dd', ['if=/dev/zero', `of=${join(stateDir, 'fill')}`, 'bs=4096']);
  } catch {
    // "No space left on device": full, as intended
  }
}

const start = (): Promise<DaemonProc> => startDaemon(['-c', conf, '--source', `file:${log}`, '--state-dir', stateDir], socket);
const cli = (args: string[]): ReturnType<typeof runTsad> => runTsad([...args, '-c', conf, '--socket', socket, '--state-dir', stateDir]);

async function metric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${METRICS_PORT}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m === null ? Number.NaN : Number(m[1]);
}

const warnings = (r: Record<string, unknown>): string[] => (r.daemon as { warnings: string[] }).warnings;

beforeAll(() => {
  if (!root) return;
  dir = mkdtempSync(join(tmpdir(), 'tsad-daemon-savefail-'));
  stateDir = join(dir, 'state');
  mkdirSync(stateDir);
  sh('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tsad-test', stateDir]);
  mounted = true;
  log = join(dir, 'kern.log');
  writeFileSync(log, '');
  conf = writeTestConfig(dir, { ENABLE_AUTO_IDS: 'Y', BLOCK_BACKEND: 'none', METRICS_LISTEN: `127.0.0.1:${METRICS_PORT}` });
  socket = join(dir, 'run', 'tsad.sock');
});

afterAll(async () => {
  if (daemon) await daemon.kill9().catch(() => undefined);
  if (mounted) sh('umount', ['-l', stateDir]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!root)('a state directory that cannot be written', () => {
  it('disk full: save, block, status and metrics say so; the daemon retries and recovers once there is space', async () => {
    daemon = await start();
    const d = daemon;
    appendFileSync(log, SCAN);
    await waitStatus(d, (r) => (r.report as { summary: { lines: number } }).summary.lines > 0);
    fill();

    const save = await d.request('save');
    expect(save.ok).toBe(false);
    expect(save.ok ? '' : save.error).toMatch(/ENOSPC/);

    const b = await cli(['block', '198.51.100.9']);
    expect(b.code).toBe(1);
    expect(b.stdout).toBe('');
    expect(b.stderr).toMatch(/blocked 198\.51\.100\.9 in the firewall, but .*(blocks|state)\.json could not be saved \(ENOSPC/);

    const st = await waitStatus(d, (r) => warnings(r).some((w) => /state\.json NOT saved/.test(w)));
    expect(warnings(st).join('\n')).toMatch(/state\.json NOT saved since \S+ \(\d+ failed attempt\(s\): ENOSPC/);
    const text = await cli(['status']);
    expect(text.stdout).toMatch(/^ {4}Warning: .*state\.json NOT saved .*ENOSPC/m);
    expect(await metric('tsad_state_save_failures_total')).toBeGreaterThanOrEqual(1);
    expect(await metric('tsad_state_save_failing')).toBeGreaterThanOrEqual(1);
    expect(d.log()).toMatch(/cannot save .*state\.json: ENOSPC.*; retrying in \d+ s/);

    // Space again: the retry (with backoff) saves by itself, and the warning goes.
    rmSync(join(stateDir, 'fill'));
    await waitStatus(d, (r) => warnings(r).length === 0);
    expect(d.log()).toMatch(/state\.json saved again after \d+ failed attempt\(s\)/);
    expect(await metric('tsad_state_save_failing')).toBe(0);
    expect(await cli(['block', '198.51.100.9'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^blocked 198\.51\.100\.9 /) });
    expect((await d.request('save')).ok).toBe(true);
  }, 120_000); // a backstop for a loaded machine: the waits have no clock limit of their own

  it('SIGTERM with the disk full exits 1 and does not claim the state was saved', async () => {
    const d = daemon as DaemonProc;
    fill();
    expect(await d.stop()).toBe(1);
    daemon = null;
    expect(d.log()).toMatch(/stopped; state NOT saved in .*state\.json \(ENOSPC/);
    expect(d.log()).not.toMatch(/stopped; state saved/);
    // No daemon: `tsad block` acts directly and says what it did and what it could not record.
    const b = await cli(['block', '198.51.100.11']);
    expect(b.code).toBe(1);
    expect(b.stdout).toBe('');
    expect(b.stderr).toMatch(/blocked 198\.51\.100\.11 in the firewall, but .*blocks\.json could not be written \(ENOSPC/);
    rmSync(join(stateDir, 'fill'));
  });

  it('a read-only state directory: block fails with the reason, SIGTERM exits 1', async () => {
    daemon = await start();
    const d = daemon;
    sh('mount', ['-o', 'remount,ro', stateDir]);
    try {
      const b = await cli(['block', '198.51.100.10']);
      expect(b.code).toBe(1);
      expect(b.stdout).toBe('');
      expect(b.stderr).toMatch(/could not be saved \(EROFS/);
      expect(await d.stop()).toBe(1);
      daemon = null;
      expect(d.log()).toMatch(/stopped; state NOT saved in .*\(EROFS/);
    } finally {
      sh('mount', ['-o', 'remount,rw', stateDir]);
    }
  });
});
