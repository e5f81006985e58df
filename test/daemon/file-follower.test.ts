/**
 * The file source under rotation while a separate process writes: every
 * line exactly once and in order, for rename rotation (the writer keeps its
 * old descriptor for a while) and copytruncate, and across a stop and
 * resume from the saved position with a rotation in between.
 */
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync, copyFileSync, truncateSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileFollower, type FileFollowerPosition } from '../../src/sources/file-follower.js';
import type { LiveSink } from '../../src/sources/live-source.js';
import { sequenceProblems, startWriter } from './helpers/writer.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-daemon-follow-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Collects the lines a follower hands over: as bytes (how the daemon takes them), or as text with `text`. */
function collector(text = false): { sink: LiveSink; lines: string[]; tooLong: number[]; ascii: boolean[] } {
  const lines: string[] = [];
  const tooLong = [0];
  const ascii: boolean[] = [];
  const sink: LiveSink = { line: (l) => void lines.push(l), tooLong: () => void tooLong[0]!++ };
  if (!text) {
    sink.bytes = (b, start, end, isAscii) => {
      lines.push(b.toString('utf8', start, end));
      ascii.push(isAscii);
    };
  }
  return { lines, tooLong, ascii, sink };
}

function follower(path: string, sink: LiveSink, resume: FileFollowerPosition | null = null, logs: string[] = []): FileFollower {
  return new FileFollower({ name: `file:${path}`, path, sink, maxLineLength: 8192, pollMs: 1000, resume, log: (lvl, m) => void logs.push(`${lvl} ${m}`), drainMs: 500 });
}

function seqsOf(lines: readonly string[]): number[] {
  return lines.map((l) => Number(/seq=(\d+)/i.exec(l)?.[1]));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** Waits until `got` holds `n` lines or more (the test then checks which); no clock limit. */
function lines(got: readonly string[], n: number): Promise<true> {
  return waitFor(() => `${n} lines (${got.length} so far)`, () => got.length >= n);
}

describe('file source under rotation', () => {
  it.each(['rename', 'copytruncate'] as const)('reads every line exactly once while the writer rotates by %s', async (mode) => {
    const path = join(dir, 'kern.log');
    writeFileSync(path, '');
    const c = collector();
    const logs: string[] = [];
    const f = follower(path, c.sink, null, logs);
    const running = f.run();
    const total = 6000;
    const w = startWriter(path, { total, perTick: 20, rotateEvery: 1000, mode, prefix: 'DROP' });
    const r = await w.done;
    expect(r.rotations).toBe(5);
    await waitFor(() => `all ${total} lines; so far: ${sequenceProblems(c.lines, total).slice(0, 5).join(', ')}`, () => c.lines.length >= total);
    await new Promise((res) => setTimeout(res, 700)); // a late duplicate would show up here
    f.stop();
    await running;
    expect(sequenceProblems(c.lines, total)).toEqual([]);
    // In order: the old file is finished before the new one is read.
    const seqs = seqsOf(c.lines);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(logs.some((l) => l.includes(mode === 'rename' ? 'rotated (renamed)' : 'truncated (copytruncate)'))).toBe(true);
  });

  it('resumes from the saved inode and offset after a rename rotation while stopped', async () => {
    const path = join(dir, 'kern.log');
    const line = (k: number): string => `x seq=${k} y\n`;
    writeFileSync(path, '');
    for (let k = 0; k < 10; k++) appendFileSync(path, line(k));
    const c = collector();
    // No saved position: starts at the end, like psad (old lines are not read).
    let f = follower(path, c.sink);
    let running = f.run();
    for (let k = 10; k < 20; k++) appendFileSync(path, line(k));
    await lines(c.lines, 10);
    f.stop();
    await running;
    const saved = f.position();
    // While stopped: more lines, a rename rotation, lines in the new file.
    for (let k = 20; k < 25; k++) appendFileSync(path, line(k));
    renameSync(path, `${path}.1`);
    for (let k = 25; k < 30; k++) appendFileSync(path, line(k));
    const logs: string[] = [];
    f = follower(path, c.sink, saved, logs);
    running = f.run();
    await lines(c.lines, 20);
    f.stop();
    await running;
    expect(seqsOf(c.lines)).toEqual(range(10, 30));
    expect(logs.join('\n')).toContain('resuming rotated');
  });

  it('resumes from the copy after a copytruncate while stopped, and notices a truncation that grew past the offset', async () => {
    const path = join(dir, 'kern.log');
    const line = (k: number): string => `x seq=${k} padding-padding-padding\n`;
    writeFileSync(path, '');
    const c = collector();
    let f = follower(path, c.sink);
    let running = f.run();
    for (let k = 0; k < 10; k++) appendFileSync(path, line(k));
    await lines(c.lines, 10);
    f.stop();
    await running;
    const saved = f.position();
    for (let k = 10; k < 15; k++) appendFileSync(path, line(k));
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    // The new content is longer than the old offset: only the fingerprint shows the truncation.
    for (let k = 15; k < 40; k++) appendFileSync(path, line(k));
    f = follower(path, c.sink, saved);
    running = f.run();
    await lines(c.lines, 40);
    f.stop();
    await running;
    expect(seqsOf(c.lines)).toEqual(range(0, 40));
  });

  it('stopped in the middle of a compressed file of a catch-up, resumes at the same line', async () => {
    const path = join(dir, 'kern.log');
    const line = (k: number): string => `x seq=${k} some padding to make the file longer\n`;
    writeFileSync(path, '');
    const first = collector();
    let f = follower(path, first.sink);
    let running = f.run();
    for (let k = 0; k < 10; k++) appendFileSync(path, line(k));
    await lines(first.lines, 10);
    f.stop();
    await running;
    const saved = f.position();
    // While stopped: many more lines, then rotation with compression (the saved file is now kern.log.1.gz).
    const N = 200_000;
    let text = '';
    for (let k = 10; k < N; k++) text += line(k);
    appendFileSync(path, text);
    writeFileSync(`${path}.1.gz`, gzipSync(readFileSync(path)));
    unlinkSync(path);
    for (let k = N; k < N + 10; k++) appendFileSync(path, line(k));
    // Second run: stopped from inside the sink after 1,000 lines, in the middle of the compressed file.
    const second: string[] = [];
    let g: FileFollower | null = null;
    const stopping: LiveSink = { line: (l) => { second.push(l); if (second.length === 1000) g?.stop(); }, tooLong: () => undefined };
    g = follower(path, stopping, saved);
    await g.run();
    const mid = g.position();
    expect(mid?.files[0]?.gz?.lines).toBe(second.length);
    // Third run: the rest, from that line on.
    const third = collector();
    f = follower(path, third.sink, mid);
    running = f.run();
    await waitFor(() => `all ${N + 10} lines`, () => first.lines.length + second.length + third.lines.length >= N + 10);
    await new Promise((r) => setTimeout(r, 300));
    f.stop();
    await running;
    expect(seqsOf([...first.lines, ...second, ...third.lines])).toEqual(range(0, N + 10));
  });

  it('skips a line longer than the limit without losing the next one', async () => {
    const path = join(dir, 'kern.log');
    writeFileSync(path, '');
    const c = collector();
    const f = new FileFollower({ name: 'f', path, sink: c.sink, maxLineLength: 100, pollMs: 1000, resume: null, log: () => undefined });
    const running = f.run();
    appendFileSync(path, `a seq=0 \n${'z'.repeat(5000)}\nb seq=1 \n`);
    await lines(c.lines, 2);
    f.stop();
    await running;
    expect(c.lines).toEqual(['a seq=0 ', 'b seq=1 ']);
    expect(c.tooLong[0]).toBe(1);
  });

  it('hands a bytes sink the same lines as a text sink: CR stripped, UTF-8 flagged, over-long skipped', async () => {
    const path = join(dir, 'kern.log');
    writeFileSync(path, '');
    const bytes = collector();
    const text = collector(true);
    const fs = [bytes, text].map((c) => new FileFollower({ name: 'f', path, sink: c.sink, maxLineLength: 100, pollMs: 1000, resume: null, log: () => undefined }));
    const running = fs.map((f) => f.run());
    appendFileSync(path, `a seq=0 \r\nb seq=1 h\u00f4te=\u00e9t\u00e9 \n${'z'.repeat(500)}\n\r\nc seq=2 \n`);
    await lines(bytes.lines, 4);
    await lines(text.lines, 4);
    for (const f of fs) f.stop();
    await Promise.all(running);
    expect(text.lines).toEqual(['a seq=0 ', 'b seq=1 h\u00f4te=\u00e9t\u00e9 ', '', 'c seq=2 ']);
    expect(bytes.lines).toEqual(text.lines);
    expect(bytes.ascii).toEqual([true, false, true, true]);
    expect([bytes.tooLong[0], text.tooLong[0]]).toEqual([1, 1]);
  });
});
