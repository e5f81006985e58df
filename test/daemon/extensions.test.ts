/**
 * The hook points the blocking and mail stages plug into, exercised on a
 * real Daemon (in process, stdin source, real control socket) with a
 * recording extension: level changes arrive in log order with the source
 * report, the extension's state is saved in the snapshot and handed back on
 * the next start, the socket's block commands reach its transport, and
 * status marks blocked sources and shows the extension's lines.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.js';
import { controlRequest } from '../../src/daemon/control-client.js';
import type { DaemonExtension, ExtensionContext, LevelChange } from '../../src/daemon/hooks.js';
import type { BlockView } from '../../src/actions/block/control.js';
import { writeTestConfig } from './helpers/config.js';
import { waitFor } from '../helpers/wait.js';

const SCAN = readFileSync(new URL('../../fixtures/captured/ipt/syn.kern.log', import.meta.url), 'utf8');
let dir: string;
const running: Daemon[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-daemon-ext-'));
});
afterAll(async () => {
  for (const d of running) await d.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Recorder {
  ext: DaemonExtension;
  changes: Array<{ key: string; from: number; to: number; reportDl: number; packets: number }>;
  blocked: string[];
  ctx: ExtensionContext | null;
}

function recorder(): { factory: (ctx: ExtensionContext) => Promise<DaemonExtension>; rec: Recorder } {
  const rec: Recorder = { ext: null as unknown as DaemonExtension, changes: [], blocked: [], ctx: null };
  const views = (): BlockView[] => rec.blocked.map((cidr) => ({ cidr, family: 4, createdAt: '', expiresAt: null, secondsLeft: null, reason: 'manual', dl: null, manual: true, coveredBy: null }));
  rec.ext = {
    name: 'recorder',
    onLevelChange: (ev: LevelChange) => {
      const r = ev.report();
      rec.changes.push({ key: ev.key, from: ev.from, to: ev.to, reportDl: r.dl, packets: r.packets });
    },
    saveState: () => ({ blocked: rec.blocked, changes: rec.changes.length }),
    statusLines: () => ['Recorder: listening'],
    blocks: {
      block: async (req) => {
        rec.blocked.push(req.target);
        return { ok: true, cidr: req.target, expiresAt: null, changed: true, applied: rec.ctx?.dryRun !== true, coveredBy: null };
      },
      unblock: async (cidr) => ({ cidr, removed: rec.blocked.includes(cidr) }),
      list: async () => views(),
      flush: async () => rec.blocked.splice(0).length,
    },
  };
  return { rec, factory: async (ctx) => ((rec.ctx = ctx), rec.ext) };
}

describe('daemon extension hooks', () => {
  it('delivers level changes, saves and restores extension state, routes block commands', async () => {
    const conf = writeTestConfig(dir);
    const socket = join(dir, 'tsad.sock');
    const stateDir = join(dir, 'state');
    const quiet = (): void => undefined;
    const { factory, rec } = recorder();
    const stdin = new PassThrough();
    const d = await Daemon.start({ configPath: conf, sources: ['stdin'], stateDir, socket, dryRun: true, extensions: [factory], log: quiet, stdin, version: 'test' });
    running.push(d);
    expect(rec.ctx?.dryRun).toBe(true);
    expect(rec.ctx?.saved('recorder')).toBeUndefined();
    stdin.write(SCAN);
    const lines = SCAN.trim().split('\n').length;
    const summary = await waitFor(`${lines} lines read`, async () => {
      const s = ((await controlRequest(socket, 'status')) as unknown as { report: { summary: { lines: number } } }).report.summary;
      return s.lines >= lines ? s : null;
    }, { every: 50 });
    expect(summary.lines).toBe(lines);
    // In log order, each change starting where the last one ended, each with the report of the source at that moment.
    expect(rec.changes.length).toBeGreaterThanOrEqual(2);
    rec.changes.forEach((c, i) => {
      expect(c.key).toBe('198.51.100.10');
      expect(c.from).toBe(i === 0 ? 0 : rec.changes[i - 1]?.to);
      expect(c.to).toBeGreaterThan(c.from);
      expect(c.reportDl).toBe(c.to);
    });
    expect(rec.changes[0]?.packets).toBeLessThan(rec.changes[rec.changes.length - 1]?.packets ?? 0);

    const blocked = await controlRequest(socket, 'block', { target: '198.51.100.10', timeoutSec: 60 });
    expect(blocked).toMatchObject({ ok: true, result: { ok: true, cidr: '198.51.100.10', applied: false } });
    const list = await controlRequest(socket, 'blocks');
    expect(list).toMatchObject({ ok: true, blocks: [{ cidr: '198.51.100.10' }] });
    const st = (await controlRequest(socket, 'status')) as Record<string, unknown>;
    const src = (st.report as { sources: Array<{ src: string; blocked: unknown }> }).sources.find((s) => s.src === '198.51.100.10');
    expect(src?.blocked).toEqual({ until: null });
    expect((st.daemon as { notes: string[] }).notes).toEqual(['Recorder: listening']);

    stdin.end(); // the only source ends: the daemon saves and stops
    await d.finished;
    const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as { extensions: Record<string, unknown>; positions: Record<string, unknown> };
    expect(state.extensions.recorder).toEqual({ blocked: ['198.51.100.10'], changes: rec.changes.length });

    const again = recorder();
    const d2 = await Daemon.start({ configPath: conf, sources: ['stdin'], stateDir, socket, extensions: [again.factory], log: quiet, stdin: new PassThrough(), version: 'test' });
    running.push(d2);
    expect(again.rec.ctx?.saved('recorder')).toEqual({ blocked: ['198.51.100.10'], changes: rec.changes.length });
    expect(again.rec.ctx?.dryRun).toBe(false);
    await d2.stop();
  });
});
