/**
 * Control socket trust, with real users: another user (nobody, uid 65534)
 * plants a listening socket at the path root's client uses, in a /tmp-like
 * directory (mode 1777). `tsad block` and `tsad status` must refuse it and
 * send it nothing (it records every byte it receives), unless it is the
 * configured CONTROL_SOCKET_OWNER. The daemon refuses to create its own
 * socket in a directory others can write to, unless CONTROL_SOCKET_SHARED_DIR
 * Y says so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/run-cli.js';
import { runTsad, startDaemon, type DaemonProc } from './helpers/daemon-proc.js';
import { writeTestConfig } from './helpers/config.js';

const root = requireRoot('running a process as another user');
const NOBODY = 65534;

let dir = '';
let shared = '';
let planted: ChildProcess | null = null;
let daemon: DaemonProc | null = null;

/** A socket server run as uid 65534 at `path`: answers like a daemon would, and writes what it received to `path`.got. */
async function plant(path: string): Promise<void> {
  const code = `
    const fs = require('node:fs');
    require('node:net').createServer((c) => {
      c.on('data', (d) => { fs.appendFileSync(${JSON.stringify(`${path}.got`)}, d); c.write(JSON.stringify({ ok: true, result: { ok: true, cidr: '198.51.100.9', expiresAt: null, changed: true, applied: true, coveredBy: null } }) + '\\n'); });
      c.on('error', () => {});
    }).listen(${JSON.stringify(path)}, () => console.log('up'));`;
  planted = spawn(process.execPath, ['-e', code], { uid: NOBODY, gid: NOBODY, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    planted?.stdout?.once('data', () => resolve());
    planted?.once('exit', (c) => reject(new Error(`planted server exited ${c}`)));
  });
}

const got = (path: string): string => (existsSync(`${path}.got`) ? readFileSync(`${path}.got`, 'utf8') : '');

beforeAll(() => {
  if (!root) return;
  dir = mkdtempSync(join(tmpdir(), 'tsad-daemon-trust-'));
  chmodSync(dir, 0o755); // so uid 65534 can reach the shared directory inside
  shared = join(dir, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777); // like /tmp
  writeFileSync(join(dir, 'auto_dl'), '');
});
afterEach(async () => {
  planted?.kill();
  planted = null;
  if (daemon) await daemon.kill9().catch(() => undefined);
  daemon = null;
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!root)('control socket trust', () => {
  it('the client refuses a socket another user planted, and sends it nothing', async () => {
    const sock = join(shared, 'tsad.sock');
    await plant(sock);
    expect(statSync(sock).uid).toBe(NOBODY);
    const conf = writeTestConfig(dir, { ENABLE_AUTO_IDS: 'Y', BLOCK_BACKEND: 'none' });
    const b = await runTsad(['block', '198.51.100.9', '-c', conf, '--socket', sock, '--state-dir', join(dir, 'state')]);
    expect(b.code).toBe(1);
    expect(b.stdout).toBe('');
    expect(b.stderr).toMatch(/refusing to use the control socket: .*tsad\.sock is owned by uid 65534, not by root or CONTROL_SOCKET_OWNER \(root\)/);
    const s = await runTsad(['status', '-c', conf, '--socket', sock, '--state-dir', join(dir, 'state')]);
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/owned by uid 65534/);
    expect(got(sock)).toBe('');
  });

  it('CONTROL_SOCKET_OWNER names the user the daemon runs as: its socket is used', async () => {
    const sock = join(shared, 'owner.sock');
    await plant(sock);
    const conf = writeTestConfig(dir, { ENABLE_AUTO_IDS: 'Y', BLOCK_BACKEND: 'none', CONTROL_SOCKET_OWNER: 'nobody' });
    const b = await runTsad(['block', '198.51.100.9', '-c', conf, '--socket', sock, '--state-dir', join(dir, 'state')]);
    expect(b).toMatchObject({ code: 0, stdout: 'blocked 198.51.100.9 until removed\n' });
    expect(got(sock)).toContain('"cmd":"block"');
  });

  it('the daemon will not create its socket in a directory others can write to, unless told', async () => {
    const conf = writeTestConfig(dir);
    const args = ['daemon', '-c', conf, '--source', 'stdin', '--state-dir', join(dir, 'state2'), '--socket', join(shared, 'd.sock')];
    const refused = await runTsad(args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/shared is writable by other users \(mode 1777\).*refusing to create the control socket .*d\.sock there/);
    expect(existsSync(join(shared, 'd.sock'))).toBe(false);

    const allowed = writeTestConfig(dir, { CONTROL_SOCKET_SHARED_DIR: 'Y' });
    daemon = await startDaemon(['-c', allowed, '--source', 'file:/dev/null', '--state-dir', join(dir, 'state2')], join(shared, 'd.sock'));
    expect(daemon.log()).toMatch(/writable by other users .*\(CONTROL_SOCKET_SHARED_DIR Y\)/);
    expect(statSync(join(shared, 'd.sock')).mode & 0o777).toBe(0o600);
    // A root-owned socket in a sticky directory cannot be replaced by others: the client uses it.
    const st = await runTsad(['status', '--json', '-c', allowed, '--socket', join(shared, 'd.sock')]);
    expect(st.code, st.stderr).toBe(0);
    expect((JSON.parse(st.stdout) as { daemon: { running: boolean } }).daemon.running).toBe(true);
  });

  it('a directory owned by another user is refused too', async () => {
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs, { mode: 0o755 });
    const { chownSync } = await import('node:fs');
    chownSync(theirs, NOBODY, NOBODY);
    const r = await runTsad(['daemon', '-c', writeTestConfig(dir), '--source', 'stdin', '--state-dir', join(dir, 'state3'), '--socket', join(theirs, 't.sock')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/theirs belongs to uid 65534, who could replace the control socket/);
  });
});
