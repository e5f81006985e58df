/**
 * Several rotations while the daemon is down: stop, write, rotate, write,
 * rotate again, write, start. Every line must be counted exactly once, the
 * lines of the middle file included, whatever logrotate did: rename and
 * create, copytruncate, compress with and without delaycompress (so the
 * file the saved position points into may itself be compressed now), and
 * dateext names. The rotations are done by the real logrotate (dateext by
 * hand: logrotate will not rotate twice on one day), the daemon is the built
 * CLI in its own process. When the saved file is gone for good, the daemon
 * says so.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, summaryOf, waitStatus, type DaemonProc } from './helpers/daemon-proc.js';
import { writeTestConfig } from './helpers/config.js';

const LOGROTATE = '/usr/sbin/logrotate';
let haveLogrotate = false;
try {
  execFileSync(LOGROTATE, ['--version'], { stdio: 'ignore' });
  haveLogrotate = true;
} catch {
  if (process.env.CI === 'true') throw new Error('CI=true: the rotation tests need logrotate (Debian package logrotate)');
}

let base = '';
let daemon: DaemonProc | null = null;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'tsad-daemon-chain-'));
});
afterAll(async () => {
  if (daemon) await daemon.kill9().catch(() => undefined);
  rmSync(base, { recursive: true, force: true });
});

/** Firewall lines numbered from..to-1 (each its own source port, all from one scanner). */
function lines(from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += `2026-12-01T10:00:${String(i % 60).padStart(2, '0')}.000000+00:00 fw1 kernel: DROP IN=eth0 OUT= SRC=198.51.100.77 DST=203.0.113.5 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=${i} PROTO=TCP SPT=${20000 + i} DPT=${1000 + i} SEQ=${i} ACK=0 WINDOW=1024 RES=0x00 SYN URGP=0 \n`;
  return s;
}

interface Case {
  dir: string;
  log: string;
  rotate(): void;
}

function setup(name: string, directives: string[]): Case {
  const dir = join(base, name);
  mkdirSync(dir);
  const log = join(dir, 'kern.log');
  writeFileSync(log, '');
  const conf = join(dir, 'logrotate.conf');
  writeFileSync(conf, `${log} {\n  ${['rotate 5', 'missingok', ...directives].join('\n  ')}\n}\n`);
  const state = join(dir, 'logrotate.state');
  return { dir, log, rotate: () => void execFileSync(LOGROTATE, ['-f', '-s', state, conf], { stdio: 'pipe' }) };
}

async function start(c: Case): Promise<DaemonProc> {
  const conf = writeTestConfig(c.dir);
  daemon = await startDaemon(['-c', conf, '--source', `file:${c.log}`, '--state-dir', join(c.dir, 'state')], join(c.dir, 'tsad.sock'));
  return daemon;
}

/** Counts `n` lines, then nothing more for a moment (a line read twice would show up late). */
async function counted(d: DaemonProc, n: number): Promise<{ lines: number; firewallLines: number; packets: number }> {
  await waitStatus(d, (r) => summaryOf(r).lines >= n);
  await new Promise((r) => setTimeout(r, 700));
  const r = (await d.request('status', { minDl: 0 })) as Record<string, unknown>;
  const s = summaryOf(r);
  const packets = (r.report as { sources: Array<{ packets: number }> }).sources.reduce((a, x) => a + x.packets, 0);
  return { lines: s.lines, firewallLines: s.firewallLines, packets };
}

/** Stop, write, rotate, write, rotate, write, start: all 40 lines, once each. */
async function twoRotationsWhileDown(c: Case, rotate: () => void = c.rotate): Promise<DaemonProc> {
  let d = await start(c);
  appendFileSync(c.log, lines(0, 10));
  expect(await counted(d, 10)).toEqual({ lines: 10, firewallLines: 10, packets: 10 });
  expect(await d.stop()).toBe(0);
  appendFileSync(c.log, lines(10, 20));
  rotate();
  appendFileSync(c.log, lines(20, 30));
  rotate();
  appendFileSync(c.log, lines(30, 40));
  d = await start(c);
  expect(await counted(d, 40), d.log()).toEqual({ lines: 40, firewallLines: 40, packets: 40 });
  expect(d.log()).not.toMatch(/cannot find the saved position/);
  return d;
}

const cases: Array<[string, string[], RegExp]> = [
  ['rename and create', ['create'], /kern\.log\.2 at byte|resuming rotated .*kern\.log\.2/],
  ['rename, compress, delaycompress (the saved file is compressed by the second rotation)', ['create', 'compress', 'delaycompress'], /resuming in the compressed .*kern\.log\.2\.gz/],
  ['rename and compress at once', ['create', 'compress'], /resuming in the compressed .*kern\.log\.2\.gz/],
  ['copytruncate', ['copytruncate'], /resuming from the copy .*kern\.log\.2 at byte/],
  ['copytruncate with compress and delaycompress', ['copytruncate', 'compress', 'delaycompress'], /resuming in the compressed .*kern\.log\.2\.gz/],
];

describe.skipIf(!haveLogrotate)('two rotations while the daemon is stopped', () => {
  it.each(cases)('%s: every line once, the middle file included', async (name, directives, how) => {
    const c = setup(directives.join('-'), directives);
    const d = await twoRotationsWhileDown(c);
    expect(d.log()).toMatch(how);
    expect(d.log()).toMatch(/1 file\(s\) were rotated while tsad was stopped: reading kern\.log\.1(\.gz)? before kern\.log/);
    expect(await d.stop()).toBe(0);
    daemon = null;
  });

  it('dateext names (kern.log-YYYYMMDD, one of them gzipped): every line once', async () => {
    const c = setup('dateext', []);
    let day = 29;
    const d = await twoRotationsWhileDown(c, () => {
      const rotated = join(c.dir, `kern.log-202611${day++}`);
      renameSync(c.log, rotated);
      writeFileSync(c.log, '');
      if (day === 30) execFileSync('gzip', [rotated]);
    });
    expect(readdirSync(c.dir).filter((f) => f.startsWith('kern.log-')).sort()).toEqual(['kern.log-20261129.gz', 'kern.log-20261130']);
    expect(d.log()).toMatch(/resuming in the compressed .*kern\.log-20261129\.gz/);
    expect(d.log()).toMatch(/reading kern\.log-20261130 before kern\.log/);
    expect(await d.stop()).toBe(0);
    daemon = null;
  });

  it('a saved file rotated away for good is reported; the newer files are still read', async () => {
    const c = setup('gone', ['create', 'rotate 1']);
    let d = await start(c);
    appendFileSync(c.log, lines(0, 10));
    await counted(d, 10);
    expect(await d.stop()).toBe(0);
    appendFileSync(c.log, lines(10, 20));
    c.rotate();
    appendFileSync(c.log, lines(20, 30));
    c.rotate(); // rotate 1: the file holding lines 10-19 is deleted
    appendFileSync(c.log, lines(30, 40));
    d = await start(c);
    // Lines 10-19 are gone with their file; 20-29 (rotated after the save) and 30-39 are read.
    expect(await counted(d, 30)).toEqual({ lines: 30, firewallLines: 30, packets: 30 });
    expect(d.log()).toMatch(/cannot find the saved position \(inode \d+, byte \d+\) of .*kern\.log any more/);
    expect(d.log()).toMatch(/reading kern\.log\.1 before kern\.log/);
    expect(await d.stop()).toBe(0);
    daemon = null;
  });
});
