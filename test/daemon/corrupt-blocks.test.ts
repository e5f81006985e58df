/**
 * A corrupt STATE_DIR/blocks.json (a torn write, an editor accident) must not
 * stop the daemon: with Restart=on-failure that loops with no detection at
 * all. The daemon (the built CLI) moves it aside as it does state.json,
 * rebuilds the blocks from the copy in state.json and from what the
 * firewall still holds (the real nftables sets, in a namespace), starts, and
 * warns in its log and in `tsad status`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot, runCli } from '../helpers/run-cli.js';
import { startDaemon, waitStatus, type DaemonProc } from './helpers/daemon-proc.js';
import { writeTestConfig } from './helpers/config.js';
import { waitFor } from '../helpers/wait.js';

const TORN = '{"version":1,"savedAt":"2026-12-01T10:00:00.000Z","blocks":[{"cidr":"198.51.100.2';

let dir = '';
let daemon: DaemonProc | null = null;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-daemon-badblocks-'));
});
afterAll(async () => {
  if (daemon) await daemon.kill9().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  conf: string;
  stateDir: string;
  socket: string;
  ns?: string;
}

function setup(name: string, extra: Record<string, string>, ns?: string): Setup {
  const base = join(dir, name);
  const conf = writeTestConfig(dir, { ENABLE_AUTO_IDS: 'Y', ...extra });
  const copy = join(dir, `${name}.conf`);
  writeFileSync(copy, readFileSync(conf));
  writeFileSync(join(dir, `${name}.log`), '');
  return { conf: copy, stateDir: join(base, 'state'), socket: join(base, 'tsad.sock'), ns };
}

const start = (s: Setup, name: string): Promise<DaemonProc> => startDaemon(['-c', s.conf, '--source', `file:${join(dir, `${name}.log`)}`, '--state-dir', s.stateDir], s.socket, s.ns === undefined ? {} : { ns: s.ns });
const cli = (s: Setup, args: string[]): ReturnType<typeof runCli> => runCli([...args, '-c', s.conf, '--socket', s.socket, '--state-dir', s.stateDir], s.ns === undefined ? {} : { ns: s.ns });

async function blocked(d: DaemonProc): Promise<string[]> {
  const r = await d.request('blocks');
  if (!r.ok) throw new Error(r.error);
  return (r.blocks as Array<{ cidr: string }>).map((b) => b.cidr).sort();
}

function asides(stateDir: string): string[] {
  return readdirSync(stateDir).filter((f) => f.startsWith('blocks.json.bad-'));
}

describe('a corrupt blocks.json', () => {
  it('is moved aside; the daemon starts with the blocks from state.json and warns', async () => {
    const s = setup('none', { BLOCK_BACKEND: 'none' });
    daemon = await start(s, 'none');
    expect((await cli(s, ['block', '198.51.100.20', '--timeout', '0'])).code).toBe(0);
    expect(await daemon.stop()).toBe(0);
    daemon = null;
    writeFileSync(join(s.stateDir, 'blocks.json'), TORN);

    daemon = await start(s, 'none');
    const d = daemon;
    expect(d.proc.exitCode).toBeNull();
    expect(d.log()).toMatch(/blocks\.json: not valid JSON .*; moved aside to .*blocks\.json\.bad-\S+; blocks rebuilt: 1 from state\.json, 0 more from the firewall/);
    expect(await blocked(d)).toEqual(['198.51.100.20']);
    expect(asides(s.stateDir)).toHaveLength(1);
    expect(readFileSync(join(s.stateDir, asides(s.stateDir)[0] as string), 'utf8')).toBe(TORN);
    const st = await waitStatus(d, (r) => (r.daemon as { warnings: string[] }).warnings.some((w) => w.includes('blocks.json')));
    expect((st.daemon as { warnings: string[] }).warnings.join('\n')).toMatch(/moved aside to .*blocks\.json\.bad-/);
    const text = await cli(s, ['status']);
    expect(text.stdout).toMatch(/^ {4}Warning: .*blocks\.json: not valid JSON/m);
    // A good blocks.json is written again.
    await waitFor('a new blocks.json', () => existsSync(join(s.stateDir, 'blocks.json')), { watch: d });
    const again = JSON.parse(readFileSync(join(s.stateDir, 'blocks.json'), 'utf8')) as { version: number; blocks: Array<[string]> };
    expect(again.version).toBe(2);
    expect(again.blocks.map((b) => b[0])).toEqual(['198.51.100.20']);
    expect(await d.stop()).toBe(0);
    daemon = null;
  });

  it('a JSON file that is not a block list counts as corrupt too', async () => {
    const s = setup('shape', { BLOCK_BACKEND: 'none' });
    daemon = await start(s, 'shape');
    expect(await daemon.stop()).toBe(0);
    writeFileSync(join(s.stateDir, 'blocks.json'), '[1, 2, 3]\n');
    daemon = await start(s, 'shape');
    expect(daemon.log()).toMatch(/blocks\.json: not a list of blocks \(version 1 or 2\); moved aside/);
    expect(await daemon.stop()).toBe(0);
    daemon = null;
  });

  const root = requireRoot('nftables in a network namespace');
  it.skipIf(!root)('with nftables: blocks made after the last state.json copy are taken back from the kernel set', async () => {
    const ns = `tsadbb-${randomBytes(3).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      const s = setup('nft', { BLOCK_BACKEND: 'nftables' }, ns);
      daemon = await start(s, 'nft');
      expect((await cli(s, ['block', '198.51.100.20', '--timeout', '0'])).code).toBe(0);
      expect(await daemon.stop()).toBe(0);
      daemon = null;
      // While the daemon is down a block is made directly: it is in the kernel and in blocks.json, not in state.json.
      expect(await cli(s, ['block', '198.51.100.21', '--timeout', '3600'])).toMatchObject({ code: 0 });
      writeFileSync(join(s.stateDir, 'blocks.json'), TORN);

      daemon = await start(s, 'nft');
      expect(daemon.log()).toMatch(/moved aside to .*; blocks rebuilt: 1 from state\.json, 1 more from the firewall/);
      expect(await blocked(daemon)).toEqual(['198.51.100.20', '198.51.100.21']);
      const set = execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'set', 'inet', 'tsad', 'block_v4'], { encoding: 'utf8' });
      expect(set).toContain('198.51.100.20');
      expect(set).toMatch(/198\.51\.100\.21 timeout/);
      expect(await daemon.stop()).toBe(0);
      daemon = null;
    } finally {
      if (daemon) await daemon.kill9();
      daemon = null;
      execFileSync('ip', ['netns', 'del', ns]);
    }
  });
});
