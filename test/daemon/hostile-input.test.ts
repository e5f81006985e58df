/**
 * The real daemon (built CLI) fed real lines mixed with hostile ones (issue
 * 14 items 1, 2, 9 and the poisoned state): absurd timestamps and numbers are
 * counted as skipped; `tsad status` (live and from the saved state) keeps
 * working and shows log text escaped; a saved state with a poisoned source
 * loses only that source at the next start, with a warning.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report.js';
import { ROOT } from '../helpers/run-cli.js';
import { writeTestConfig } from './helpers/config.js';
import { runTsad, startDaemon, summaryOf, waitStatus, type DaemonProc } from './helpers/daemon-proc.js';

let dir: string;
let daemon: DaemonProc | null = null;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-daemon-hostile-'));
});
afterAll(async () => {
  if (daemon) await daemon.kill9().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const sample = readFileSync(`${ROOT}fixtures/sample/kern.log`, 'utf8').split('\n').filter((l) => l.includes(' SRC='));
const kmsg = readFileSync(`${ROOT}fixtures/captured/nft/syn.kmsg`, 'utf8').split('\n')[0] as string;
const payload = kmsg.slice(kmsg.indexOf(';') + 1);
const json = readFileSync(`${ROOT}fixtures/captured/nft/syn.json.txt`, 'utf8').split('\n')[0] as string;
const evil = '\u001b[31mDROP\u001b]0;owned\u0007\rFAKE\u202eKCOLB';
/** Raw terminal-unsafe characters: C0 (but LF), DEL, C1, bidi controls. */
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const good = sample.map((l, i) => (i % 3 === 0 ? l.replace(' DROP IN=', ` ${evil} IN=`) : l));
const hostile = [
  `[ 9999999999999999999036.198848] ${payload}`,
  `4,17579,9999999999999999991626634362,-;${payload}`,
  json.replace(/"__REALTIME_TIMESTAMP":"\d+"/, '"__REALTIME_TIMESTAMP":"17952508095263999999999999"'),
  (sample[5] as string).replace(/DPT=\d+/, 'DPT=999999999999'),
  `\u0000\u0000\u0000${sample[6] as string}`,
];

type Row = { src: string; packets: number; dl: number };

describe('hostile lines and a poisoned saved state', () => {
  it('counts the bad lines, keeps status working and escaped, and loses only the poisoned source', async () => {
    const log = join(dir, 'kern.log');
    writeFileSync(log, '');
    const conf = writeTestConfig(dir, { MIN_DANGER_LEVEL: '0' });
    const socket = join(dir, 'run', 'tsad.sock');
    const stateDir = join(dir, 'state');
    const args = ['-c', conf, '--source', `file:${log}`, '--state-dir', stateDir];
    daemon = await startDaemon(args, socket);
    appendFileSync(log, `${[...good.slice(0, 150), ...hostile, ...good.slice(150)].join('\n')}\n`);
    const total = good.length + hostile.length;

    const live = await waitStatus(daemon, (r) => summaryOf(r).lines >= total);
    expect(summaryOf(live)).toMatchObject({ lines: total, firewallLines: total, skipped: { 'bad-time': 3, 'bad-number': 1 } });
    const before = (live.report as Report).sources as unknown as Row[];
    expect(before.length).toBeGreaterThanOrEqual(3);

    const text = await runTsad(['status', '-c', conf, '--socket', socket, '--min-dl', '0']);
    expect([text.code, text.stderr]).toEqual([0, '']);
    expect(text.stdout).not.toMatch(RAW);
    expect(text.stdout).toContain(`"\\x1b[31mDROP\\x1b]0;owned\\x07\\x0dFAKE\\u202eKCOLB": ${good.filter((l) => l.includes(evil)).length}`);

    expect(await daemon.stop()).toBe(0);
    daemon = null;

    // Stopped: status is rebuilt from the saved state, escaped the same way.
    const offline = await runTsad(['status', '-c', conf, '--socket', socket, '--state-dir', stateDir, '--min-dl', '0']);
    expect([offline.code, offline.stderr]).toEqual([0, '']);
    expect(offline.stdout).toContain('daemon is not running');
    expect(offline.stdout).not.toMatch(RAW);

    // Poison one source as an absurd timestamp once did (a time beyond any Date), and the clock and line times with it.
    const statePath = join(stateDir, 'state.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as { scan: { clock: number; sources: unknown[][] }; pipeline: { lastSeen: number; timeline: number[][] } };
    const victim = state.scan.sources[1] as unknown[];
    victim[2] = 1e21;
    state.scan.clock = 1e24;
    state.pipeline.lastSeen = 1e24;
    state.pipeline.timeline.push([1e15, 1, 0, 0, 0, 0, 0]);
    writeFileSync(statePath, JSON.stringify(state));
    const victimKey = victim[0] as string;

    const saved = await runTsad(['status', '--json', '-c', conf, '--socket', socket, '--state-dir', stateDir, '--min-dl', '0']);
    expect([saved.code, saved.stderr]).toEqual([0, '']);
    const savedReport = JSON.parse(saved.stdout) as Report & { daemon: { warnings: string[] } };
    expect(savedReport.sources.map((s) => s.src).sort()).toEqual(before.map((s) => s.src).filter((s) => s !== victimKey).sort());
    expect(savedReport.daemon.warnings.join('\n')).toMatch(/saved scan state: left out 2 unreadable parts, kept the rest \(sources\[1\] \([^)]+\)\.lastSec/);

    daemon = await startDaemon(args, socket);
    expect(daemon.log()).toMatch(/warning: saved scan state: left out 2 unreadable parts, kept the rest/);
    expect(daemon.log()).not.toMatch(/starting with none|moved aside/);
    const after = ((await daemon.request('status')) as Record<string, unknown>).report as Report;
    const rows = after.sources as unknown as Row[];
    expect(rows.map((s) => [s.src, s.packets, s.dl]).sort()).toEqual(before.filter((s) => s.src !== victimKey).map((s) => [s.src, s.packets, s.dl]).sort());
    // The poisoned line time was dropped, not carried into the report.
    expect(after.summary.lastSeen === null || Date.parse(after.summary.lastSeen) < Date.UTC(2050, 0, 1)).toBe(true);
    expect(await daemon.stop()).toBe(0);
    daemon = null;
  });
});
