/**
 * The daemon's state file written as a stream and read back a line at a
 * time (state-file.ts, detect/state/scan-snapshot.ts), with the real tracker,
 * counters and disk:
 * - a save of many sources while packets keep changing, adding, raising and
 *   evicting sources restores exactly the moment the save began;
 * - the save holds one slice of encoded sources (plus those changed during
 *   it), never the whole state, and the event loop runs between slices;
 * - a damaged source line in the middle costs that source only, a file cut
 *   short keeps the sources before the cut, neither stops a start;
 * - a state.json in the one-line layout of earlier versions still loads,
 *   in the daemon too (the upgrade path).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { exportScan, importScan, snapshotScan } from '../../src/daemon/scan-persistence.js';
import { openState, readState, SAVE_SLICE, statePath, writeState, type DaemonState, type SourceLines } from '../../src/daemon/state-file.js';
import { GlobalCounters, ScanTracker } from '../../src/detect/index.js';
import { pkt, T0 } from '../detect/packet-builder.js';
import { writeTestConfig } from './helpers/config.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-state-stream-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cfg = { ...defaultConfig(), MAX_TRACKED_SOURCES: 100_000 };
const addr = (i: number): string => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;

/** A tracker and counters with `n` sources: most one packet, every 7th a few ports, every 50th an IPv6 source. */
function tracked(n: number): { tracker: ScanTracker; counters: GlobalCounters; feed: (i: number, k?: number) => void } {
  const tracker = new ScanTracker(cfg);
  const counters = new GlobalCounters();
  let t = T0;
  const feed = (i: number, k = 0): void => {
    const p = pkt({ src: i % 50 === 49 ? `2001:db8:${i.toString(16)}::1` : addr(i), dport: 20 + k, ts: (t += 10) });
    tracker.observe(p, null);
    counters.observe(p, null);
  };
  for (let i = 0; i < n; i++) for (let k = 0; k < (i % 7 === 0 ? 4 : 1); k++) feed(i, k);
  return { tracker, counters, feed };
}

function stateOf(parts: { scan: unknown; counters: unknown }): DaemonState {
  return { version: 1, savedAt: new Date(T0).toISOString(), pid: 1, positions: {}, pipeline: { lines: 0, firewallLines: 0, packets: 0, skipped: {}, firstSeen: null, lastSeen: null }, extensions: {}, lastFirewallLineAt: null, ...parts };
}

/** The state in `dir` restored into a new tracker, the way the daemon starts (streamed when the file is). */
function restore(): { tracker: ScanTracker; counters: GlobalCounters; warnings: string[]; streamed: boolean } {
  const o = openState(dir);
  expect(o.problem).toBeNull();
  const tracker = new ScanTracker(cfg);
  const counters = new GlobalCounters();
  const warnings: string[] = [];
  expect(importScan(tracker, counters, o.state as DaemonState, (m) => warnings.push(m), o.sources)).toBe(true);
  return { tracker, counters, warnings, streamed: o.sources !== null };
}

const text = (v: unknown): string => JSON.stringify(v);

describe('state.json as a stream', () => {
  it('a save while sources change, appear, rise and are evicted restores exactly the moment it began', async () => {
    const { tracker, counters, feed } = tracked(6000);
    const before = text(exportScan(tracker, counters));
    const parts = snapshotScan(tracker, counters);
    const sources = parts.sources as SourceLines & { end(): void };
    let slices = 0;
    let fresh = 1_000_000;
    const lines: SourceLines = {
      next: (max) => {
        // Between two slices: packets to sources already written and to sources not yet, new sources, a raise, an eviction batch.
        for (let j = 0; j < 40; j++) feed((slices * 977 + j * 149) % 6000, 9);
        for (let j = 0; j < 30; j++) feed(fresh++);
        tracker.raise(addr((slices * 313 + 5) % 6000), 4, 'test');
        tracker.limit(tracker.size - 25);
        tracker.limit(100_000);
        slices++;
        return sources.next(max);
      },
    };
    try {
      await writeState(dir, stateOf(parts), lines);
    } finally {
      sources.end();
    }
    expect(slices).toBeGreaterThan(5);
    // The live state moved on (the test changed something), the saved one is of the moment the save began.
    expect(text(exportScan(tracker, counters))).not.toBe(before);
    const back = restore();
    expect(back.streamed).toBe(true);
    expect(back.warnings).toEqual([]);
    expect(text(exportScan(back.tracker, back.counters))).toBe(before);
  });

  it('holds one slice of encoded sources, plus those changed during the save, and lets packets in between slices', async () => {
    const { tracker, counters, feed } = tracked(5000);
    const before = text(exportScan(tracker, counters));
    const snap = tracker.beginSnapshot();
    const perCall: number[] = [];
    let changed = 0;
    let during = 0;
    let done = false;
    // Packets arrive through the event loop while the write goes on (as lines do in the daemon).
    const arrive = (): void => {
      if (done) return;
      feed(during++ % 5000, 11);
      setImmediate(arrive);
    };
    setImmediate(arrive);
    const lines: SourceLines = {
      next: (max) => {
        // Every slice, 10 sources not yet written change first: they are copied, as they were.
        for (let j = 0; j < 10 && changed < 200; j++, changed++) feed(4999 - changed, 12);
        const out = snap.next(max);
        if (out !== null) perCall.push(out.length);
        return out;
      },
    };
    try {
      await writeState(dir, stateOf({ scan: snap.head, counters: counters.exportState() }), lines);
    } finally {
      done = true;
      tracker.endSnapshot(snap);
    }
    expect(Math.max(...perCall)).toBeLessThanOrEqual(SAVE_SLICE);
    expect(perCall.length).toBeGreaterThan(4);
    // Never the whole state: a slice and the copies of the changed sources at most.
    expect(snap.maxHeld).toBeGreaterThan(0);
    expect(snap.maxHeld).toBeLessThanOrEqual(SAVE_SLICE + changed);
    expect(during).toBeGreaterThan(0);
    // The counters are of the moment too (taken whole: they are small); the sources as they were.
    const back = restore();
    const saved = JSON.parse(before) as { scan: unknown };
    expect(text(exportScan(back.tracker, back.counters).scan)).toBe(text(saved.scan));
  });

  it('a damaged source line in the middle costs that source; a file cut short keeps the sources before the cut', async () => {
    const { tracker, counters } = tracked(3000);
    await writeState(dir, stateOf(exportScan(tracker, counters)));
    const path = statePath(dir);
    const lines = readFileSync(path, 'utf8').split('\n');
    // Line 0 is the head, 1..3000 the sources, 3001 the close, then the final newline.
    expect(lines).toHaveLength(3003);
    expect(lines[0]?.endsWith('"sources":[')).toBe(true);
    expect(lines[3001]).toBe(']}}');
    const damaged = [...lines];
    damaged[1500] = '[1,2,"bro';
    damaged[1701] = (damaged[1701] as string).replace(/^\["[^"]+",4,/, '["10.9.9.9",5,'); // JSON, but family 5
    writeFileSync(path, damaged.join('\n'));
    let back = restore();
    expect(back.tracker.size).toBe(2998);
    expect(back.warnings).toHaveLength(1);
    expect(back.warnings[0]).toMatch(/left out 2 unreadable parts.*sources\[1499\]: not JSON.*sources\[1700\] \(10\.9\.9\.9\)\.family: expected 4 or 6/);
    const want = exportScan(tracker, counters).scan as { sources: unknown[] };
    const got = exportScan(back.tracker, back.counters).scan as { sources: unknown[] };
    expect(text(got.sources)).toBe(text(want.sources.filter((_, i) => i !== 1499 && i !== 1700)));

    // Cut in the middle of line 2000: the sources before it are kept, the cut is reported, the start goes on.
    writeFileSync(path, `${lines.slice(0, 2000).join('\n')}\n${(lines[2000] as string).slice(0, 20)}`);
    back = restore();
    expect(back.tracker.size).toBe(1999);
    expect(back.warnings[0]).toMatch(/left out 2 unreadable parts.*not JSON.*cut short/);
    // readState (whole) reads the same file to the same sources.
    const whole = readState(dir);
    expect(whole.problem).toBeNull();
    expect(((whole.state as DaemonState).scan as { sources: unknown[] }).sources).toHaveLength(2000);
  });

  it('a state.json in the one-line layout of earlier versions still loads', async () => {
    const { tracker, counters } = tracked(2000);
    const parts = exportScan(tracker, counters);
    // What earlier versions wrote: JSON.stringify of the whole state, one line.
    writeFileSync(statePath(dir), JSON.stringify(stateOf(parts)));
    const back = restore();
    expect(back.streamed).toBe(false);
    expect(back.warnings).toEqual([]);
    expect(text(exportScan(back.tracker, back.counters))).toBe(text(parts));
    // Written again, it is in the streamed layout, and reads back the same.
    await writeState(dir, stateOf(exportScan(back.tracker, back.counters)));
    const again = restore();
    expect(again.streamed).toBe(true);
    expect(text(exportScan(again.tracker, again.counters))).toBe(text(parts));
  });
});

describe('the daemon with a streamed state.json', () => {
  const quiet = (): void => undefined;

  async function run(stateDir: string, conf: string, input: string | null, log: (lvl: string, m: string) => void = quiet): Promise<{ sources: number; packets: number }> {
    const stdin = new PassThrough();
    const d = await Daemon.start({ configPath: conf, sources: ['stdin'], stateDir, socket: join(dir, 'tsad.sock'), log, stdin, version: 'test' });
    if (input !== null) {
      stdin.write(input);
      const want = input.split('\n').length - 1;
      await waitFor(() => `${want} lines read (${d.analysis.pipeline.lines} so far)`, () => d.analysis.pipeline.lines >= want);
    }
    const t = d.analysis.tracker;
    let packets = 0;
    for (const s of t.sources()) packets += s.packets;
    const out = { sources: t.size, packets };
    await d.stop();
    return out;
  }

  it('restores what it saved, from the streamed layout and from the one-line layout of earlier versions, and starts past a damaged line', async () => {
    const conf = writeTestConfig(dir);
    const stateDir = join(dir, 'state');
    const input = Array.from({ length: 1500 }, (_, i) => `Mar 10 12:00:${String(i % 60).padStart(2, '0')} fw1 kernel: DROP IN=eth0 OUT= SRC=${addr(i)} DST=203.0.113.5 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=${1000 + (i % 9)} WINDOW=1024 RES=0x00 SYN URGP=0 \n`).join('');
    const first = await run(stateDir, conf, input);
    expect(first.sources).toBe(1500);
    const path = statePath(stateDir);
    const saved = readFileSync(path, 'utf8');
    expect(saved.split('\n')).toHaveLength(1503);

    expect(await run(stateDir, conf, null)).toEqual(first);

    writeFileSync(path, JSON.stringify(JSON.parse(saved)));
    expect(readFileSync(path, 'utf8').includes('\n')).toBe(false);
    expect(await run(stateDir, conf, null)).toEqual(first);

    const lines = readFileSync(path, 'utf8').split('\n');
    lines[700] = '{"damaged';
    writeFileSync(path, lines.join('\n'));
    const logged: string[] = [];
    const after = await run(stateDir, conf, null, (lvl, m) => void logged.push(`${lvl} ${m}`));
    expect(after.sources).toBe(1499);
    expect(logged.join('\n')).toMatch(/warn saved scan state: left out 1 unreadable part.*sources\[699\]: not JSON/);
  }, 60_000);
});
