/**
 * BlockWriter encodes text straight into reused blocks: the bytes written
 * must be exactly Buffer.from() of each piece in order (UTF-8 of every
 * plane, lone surrogates as U+FFFD, pieces longer than a block, bytes
 * between texts), and a block a stream still holds must never be filled again.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BlockWriter } from '../../src/report/index.js';
import { rng } from '../helpers/rng.js';

/** Keeps every chunk it is given as it is (no copy), like a Transform passing chunks on. */
class Keeper extends Writable {
  readonly chunks: Buffer[] = [];

  constructor(private readonly later: boolean) {
    super({ highWaterMark: 64 * 1024, decodeStrings: true });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.chunks.push(chunk);
    if (this.later) setImmediate(done);
    else done();
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

const ALPHABET = ['a', 'Z', '0', '\n', ' ', '"', 'é', 'ÿ', 'Ω', '€', '中', '\uffff', '😀', '\u{10ffff}', '\ud800', '\udfff', '\u0000'];

function pieces(seed: number, n: number): Array<string | Uint8Array> {
  const next = rng(seed);
  const out: Array<string | Uint8Array> = [];
  for (let i = 0; i < n; i++) {
    const kind = next() % 20;
    if (kind === 0) out.push(Uint8Array.from({ length: next() % 300 }, () => next() & 255));
    else {
      // Mostly short pieces; some longer than a block (128 KiB), some empty.
      const len = kind === 1 ? 40_000 + (next() % 100_000) : kind === 2 ? 0 : next() % 3000;
      let s = '';
      const ascii = next() % 2 === 0;
      for (let c = 0; c < len; c++) s += ascii ? String.fromCharCode(32 + (next() % 95)) : (ALPHABET[next() % ALPHABET.length] as string);
      out.push(s);
    }
  }
  return out;
}

function expected(list: Array<string | Uint8Array>): Buffer {
  return Buffer.concat(list.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
}

async function written(list: Array<string | Uint8Array>, out: Keeper, reuse: boolean): Promise<Buffer> {
  const w = new BlockWriter(out, reuse);
  for (const p of list) {
    w.push(p);
    await w.ready();
  }
  await w.end();
  // end() waits for room in the stream, not for every write to be done.
  await new Promise<void>((resolve) => out.end(resolve));
  return out.bytes();
}

describe('BlockWriter', () => {
  it.each([1, 2, 3, 4])('writes the bytes of every piece in order (seed %i)', async (seed) => {
    const list = pieces(seed, 400);
    const want = expected(list);
    // A stream that keeps its chunks: a reused block would overwrite what it kept.
    expect((await written(list, new Keeper(false), false)).equals(want)).toBe(true);
    // One that takes each write later: reuse is asked for, but a block still held is never refilled.
    expect((await written(list, new Keeper(true), true)).equals(want)).toBe(true);
  });

  it('reuses its block when the stream is done with it (process.stdout: files, pipes, terminals copy each write)', async () => {
    const list = pieces(9, 300);
    const got: Buffer[] = [];
    const blocks = new Set<ArrayBufferLike>();
    const copying = new Writable({
      decodeStrings: true,
      write(chunk: Buffer, _enc, done) {
        blocks.add(chunk.buffer);
        got.push(Buffer.from(chunk));
        done();
      },
    });
    const w = new BlockWriter(copying, true);
    for (const p of list) w.push(p);
    await w.end();
    expect(Buffer.concat(got).equals(expected(list))).toBe(true);
    // Everything goes through one block, except texts longer than it (written as they are).
    const long = list.filter((p) => typeof p === 'string' && p.length > 40_000).length;
    expect(got.length).toBeGreaterThan(long + 10);
    expect(blocks.size).toBeLessThanOrEqual(long + 1);
  });

  it('copies bytes before push returns: the caller may overwrite them at once (the threads\' merge hands views of batches it refills)', async () => {
    for (const reuse of [false, true]) {
      const next = rng(11);
      const out = new Keeper(true);
      const w = new BlockWriter(out, reuse);
      const want: Buffer[] = [];
      // One batch buffer, refilled after each turn as the merge refills a thread's batch; runs of every size up to three blocks.
      const batch = new Uint8Array(200_000);
      for (let turn = 0; turn < 40; turn++) {
        for (let i = 0; i < batch.length; i++) batch[i] = next() & 255;
        for (let r = 0; r < 8; r++) {
          const len = r === 0 && turn % 4 === 0 ? 70_000 + (next() % 130_000) : next() % 5000;
          const from = next() % (batch.length - len);
          const run = batch.subarray(from, from + len);
          want.push(Buffer.from(run));
          w.push(run);
        }
        // Overwritten before the stream has taken every block: a writer that kept a view writes the zeros.
        batch.fill(0);
        await w.ready();
      }
      await w.end();
      await new Promise<void>((resolve) => out.end(resolve));
      expect(out.bytes().equals(Buffer.concat(want))).toBe(true);
    }
  });

  it('reuses nothing by default for a stream that is not process.stdout', async () => {
    const list = pieces(10, 200);
    expect((await written(list, new Keeper(false), undefined as unknown as boolean)).equals(expected(list))).toBe(true);
  });
});
