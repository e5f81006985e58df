import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLog, orderRotated, pipeLines, readLineBytes, journalArgs, type LineSink } from '../../src/sources/index.js';
import { FileChunks } from '../../src/sources/archive-files.js';

type Reader = typeof pipeLines;

/** readLineBytes with its lines decoded (and whether it called a line ASCII checked against the bytes). */
const readLinesFast: Reader = (input, sink: LineSink, max) =>
  readLineBytes(input, {
    bytes: (b, start, end, ascii) => {
      expect(ascii).toBe(b.subarray(start, end).every((c) => c < 128));
      sink.line(b.toString('utf8', start, end));
    },
    tooLong: () => sink.tooLong(),
    wait: () => sink.wait?.(),
  }, max);

async function collect(read: Reader, chunks: Array<string | Buffer>, max = 20): Promise<{ lines: string[]; tooLong: number }> {
  const lines: string[] = [];
  let tooLong = 0;
  await read(Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))), { line: (l) => lines.push(l), tooLong: () => tooLong++ }, max);
  return { lines, tooLong };
}

describe.each([
  ['readLineBytes', readLinesFast],
  ['pipeLines (split2)', pipeLines],
])('%s', (_name, read) => {
  it('splits across chunk boundaries, strips CR, keeps a last line without newline', async () => {
    const r = await collect(read, ['ab', 'c\nde', 'f\r\n\ng', 'h']);
    expect(r.lines).toEqual(['abc', 'def', '', 'gh']);
  });

  it('stops reading while the sink asks it to wait (backpressure from a slow output)', async () => {
    const lines: string[] = [];
    let open: () => void = () => undefined;
    const gate = new Promise<void>((r) => (open = r));
    let waited = 0;
    const done = read(Readable.from(['a\n', 'b\n', 'c\n', 'd\n'].map((c) => Buffer.from(c))), {
      line: (l) => lines.push(l),
      tooLong: () => undefined,
      wait: () => (lines.length === 1 ? (waited++, gate) : undefined),
    }, 20);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(lines).toEqual(['a']);
    open();
    await done;
    expect(lines).toEqual(['a', 'b', 'c', 'd']);
    expect(waited).toBe(1);
  });

  it('keeps multi-byte characters split between chunks', async () => {
    const b = Buffer.from('é€\n');
    const r = await collect(read, [b.subarray(0, 1), b.subarray(1, 3), b.subarray(3)]);
    expect(r.lines).toEqual(['é€']);
  });

  it("counts a line's length in characters, not bytes", async () => {
    const r = await collect(read, ['é'.repeat(20), '\n', 'é'.repeat(21), '\n', 'ab\n'], 20);
    expect(r.lines).toEqual(['é'.repeat(20), 'ab']);
    expect(r.tooLong).toBe(1);
  });

  it('drops and counts over-long lines, also with no newline at all', async () => {
    const r = await collect(read, ['short\n', 'x'.repeat(15), 'x'.repeat(15), 'x'.repeat(15), '\nok\n', 'y'.repeat(50), '\nz\n'], 20);
    expect(r.lines).toEqual(['short', 'ok', 'z']);
    expect(r.tooLong).toBe(2);
    const none = await collect(read, Array.from({ length: 1000 }, () => 'q'.repeat(100)), 20);
    expect(none.lines).toEqual([]);
    expect(none.tooLong).toBe(1);
  });
});

describe('readLineBytes: a chunk is split after the stream was paused (the next read overlaps the scoring)', () => {
  const collect = (lines: string[]) => (b: Buffer, start: number, end: number) => void lines.push(b.toString('utf8', start, end));

  it('when the input ends while the sink waits after the last chunk, the last line comes once and only after the wait', async () => {
    const lines: string[] = [];
    let open: () => void = () => undefined;
    const gate = new Promise<void>((r) => (open = r));
    let resolved = false;
    const done = readLineBytes(Readable.from([Buffer.from('a\nb\n'), Buffer.from('c\nlast')]), {
      bytes: collect(lines),
      tooLong: () => undefined,
      wait: () => (lines.length === 3 ? gate : undefined),
    }, 100).then(() => (resolved = true));
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(lines).toEqual(['a', 'b', 'c']);
    expect(resolved).toBe(false);
    open();
    await done;
    expect(lines).toEqual(['a', 'b', 'c', 'last']);
  });

  it('a sink that throws rejects the read with its error and stops the stream', async () => {
    const input = Readable.from(['x\n', 'boom\n', 'y\n', 'z\n'].map((c) => Buffer.from(c)));
    const lines: string[] = [];
    const done = readLineBytes(input, {
      bytes: (b, start, end) => {
        const l = b.toString('utf8', start, end);
        if (l === 'boom') throw new Error('sink gave up');
        lines.push(l);
      },
      tooLong: () => undefined,
    }, 100);
    await expect(done).rejects.toThrow('sink gave up');
    expect(lines).toEqual(['x']);
    expect(input.destroyed).toBe(true);
  });
});

describe('archives', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsad-src-'));
  it('reads gzip by magic bytes, whatever the name', async () => {
    const p = join(dir, 'kern.log.1');
    writeFileSync(p, gzipSync('one\ntwo\n'));
    const lines: string[] = [];
    await readLinesFast(openLog(p), { line: (l) => lines.push(l), tooLong: () => undefined }, 100);
    expect(lines).toEqual(['one', 'two']);
  });

  it('reads a plain file through reused buffers (FileChunks) to the same lines as a string split, whatever the chunk size', async () => {
    // Random lines (empty ones, CRLF, multi-byte characters) against the file's text split by hand,
    // with chunks down to one byte (lines and characters span many chunks, each read into a buffer used again)
    // and a sink that waits on random lines (the stream stays paused meanwhile).
    let seed = 7;
    const rand = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    const pieces = ['a', 'SRC=10.0.0.1 ', 'é', '€', ' ', 'DPT=22', 'x'.repeat(9)];
    for (const chunk of [1, 3, 7, 64, 1 << 18]) {
      const lines: string[] = [];
      for (let n = 0; n < 300; n++) {
        let l = '';
        for (let k = rand(8); k > 0; k--) l += pieces[rand(pieces.length)];
        lines.push(l);
      }
      const text = lines.map((l, i) => (i % 5 === 0 ? `${l}\r\n` : `${l}\n`)).join('') + 'last';
      const p = join(dir, `plain-${chunk}.log`);
      writeFileSync(p, text);
      const input = new FileChunks(p, chunk);
      let bytes = 0;
      input.on('data', (c: Buffer) => (bytes += c.length));
      const got: string[] = [];
      await readLineBytes(input, {
        bytes: (b, start, end) => got.push(b.toString('utf8', start, end)),
        tooLong: () => undefined,
        wait: () => (rand(4) === 0 ? new Promise<void>((r) => setTimeout(r, 0)) : undefined),
      }, 1000);
      expect(got).toEqual([...lines, 'last']);
      expect(bytes).toBe(Buffer.byteLength(text));
      expect(input.destroyed).toBe(true); // its file is closed
    }
  });

  it('reads a plain file with openLog through FileChunks', () => {
    const p = join(dir, 'plain.log');
    writeFileSync(p, 'one\n');
    const input = openLog(p);
    expect(input).toBeInstanceOf(FileChunks);
    input.destroy();
  });

  it('reports a missing file with its path', () => {
    expect(() => openLog(join(dir, 'nope.log'))).toThrow(/nope\.log/);
  });

  it('fails on a corrupt gzip instead of hanging', async () => {
    const p = join(dir, 'bad.gz');
    writeFileSync(p, Buffer.concat([gzipSync('a\n'.repeat(1000)).subarray(0, 30), Buffer.from('garbage')]));
    await expect(readLinesFast(openLog(p), { line: () => undefined, tooLong: () => undefined }, 100)).rejects.toThrow();
  });

  it('orders a rotated set oldest first and keeps other files in place', () => {
    expect(orderRotated(['/v/kern.log', '/v/kern.log.1', '/v/kern.log.3.gz', '/v/kern.log.2.gz'])).toEqual(['/v/kern.log.3.gz', '/v/kern.log.2.gz', '/v/kern.log.1', '/v/kern.log']);
    expect(orderRotated(['a.log', '/v/kern.log-20261102.gz', '/v/kern.log', '/v/kern.log-20261101.gz', '-'])).toEqual(['a.log', '/v/kern.log-20261101.gz', '/v/kern.log-20261102.gz', '/v/kern.log', '-']);
  });

  it('asks journalctl for kernel records as JSON', () => {
    expect(journalArgs({ since: 'yesterday' })).toEqual(['-o', 'json', '--no-pager', '-q', '-k', '--since', 'yesterday']);
    expect(journalArgs({ file: 'x.journal' })).toEqual(['-o', 'json', '--no-pager', '-q', '--file', 'x.journal', '_TRANSPORT=kernel']);
  });
});
