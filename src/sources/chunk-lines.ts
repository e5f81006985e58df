/**
 * Line splitting for archived files, where throughput matters most: lines
 * are found in each chunk of bytes with Buffer.indexOf and handed to the
 * sink as positions in that chunk, never decoded here: no string and no
 * object per line (the parser reads the bytes; only what must become a
 * string does). split2 (line-stream.ts) stays for live sources, whose rate
 * is set by the kernel, not by the disk.
 *
 * Each chunk is checked for bytes above 127 once (natively); a line in a
 * chunk that has some is checked on its own, so the sink knows whether the
 * line must be decoded as UTF-8 before it is read.
 *
 * Lines over maxLength characters (UTF-16 code units of the decoded line,
 * as a string reader counts them) are dropped and counted; a file with no
 * newline at all never holds more than about maxLength characters.
 */
import { Buffer, isAscii } from 'node:buffer';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export interface ByteLineSink {
  /** b[start, end) is one line, without its newline (and CR); `ascii`: no byte in it is above 127. */
  bytes(b: Buffer, start: number, end: number, ascii: boolean): void;
  /** A line over the length limit was dropped. */
  tooLong(): void;
  /** After a chunk: a promise while the sink's consumer is full (reading pauses until it settles). */
  wait?(): Promise<void> | undefined;
}

export function readLineBytes(input: Readable, sink: ByteLineSink, maxLength: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // The start of a line still waiting for its newline, and its length in characters so far.
    let tail: Buffer[] = [];
    let tailBytes = 0;
    let tailChars = 0;
    let tailDecoder = new StringDecoder('utf8');
    let skipping = false; // inside an over-long line: drop until the next newline

    const emit = (b: Buffer, start: number, end: number, chunkAscii: boolean): void => {
      const ascii = chunkAscii || isAscii(b.subarray(start, end));
      if (end - start > maxLength && (ascii || b.toString('utf8', start, end).length > maxLength)) {
        sink.tooLong();
        return;
      }
      sink.bytes(b, start, end > start && b[end - 1] === 13 ? end - 1 : end, ascii);
    };

    const dropTail = (): void => {
      tail = [];
      tailBytes = tailChars = 0;
      tailDecoder = new StringDecoder('utf8');
    };

    /**
     * Keeps the unterminated end of a chunk (a copy: the input may read its
     * next chunks into the same buffer, archive-files.ts FileChunks); drops it
     * (and the rest of its line) once it is too long.
     */
    const keepTail = (chunkEnd: Buffer): void => {
      const piece = Buffer.from(chunkEnd);
      tail.push(piece);
      tailBytes += piece.length;
      tailChars += tailDecoder.write(piece).length;
      if (tailChars > maxLength) {
        sink.tooLong();
        dropTail();
        skipping = true;
      }
    };

    const feed = (chunk: Buffer): void => {
      const ascii = isAscii(chunk);
      let from = 0;
      let nl = chunk.indexOf(10);
      if (skipping) {
        if (nl < 0) return;
        skipping = false;
        from = nl + 1;
        nl = chunk.indexOf(10, from);
      } else if (tailBytes > 0) {
        if (nl < 0) {
          keepTail(chunk);
          return;
        }
        const line = Buffer.concat([...tail, chunk.subarray(0, nl)]);
        dropTail();
        emit(line, 0, line.length, false);
        from = nl + 1;
        nl = chunk.indexOf(10, from);
      }
      while (nl >= 0) {
        emit(chunk, from, nl, ascii);
        from = nl + 1;
        nl = chunk.indexOf(10, from);
      }
      if (from < chunk.length) keepTail(chunk.subarray(from));
    };

    const finish = (): void => {
      if (tailBytes > 0 && !skipping) {
        const line = Buffer.concat(tail);
        dropTail();
        emit(line, 0, line.length, false);
      }
      resolve();
    };

    // Each chunk is split on the next turn of the event loop, with the stream paused: the stream
    // then reads the next chunk while this one is scored. Split inside 'data', the next read would
    // start only after the scoring and the loop would wait for it (about a tenth of an analysis).
    let busy = false; // a chunk is taken and not yet done with (split, and the sink ready for more)
    let ended = false;
    const next = (): void => {
      busy = false;
      if (ended) finish();
      else input.resume();
    };
    input.on('data', (chunk: Buffer | string) => {
      input.pause();
      busy = true;
      setImmediate(() => {
        try {
          feed(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        } catch (err) {
          // The sink gave up (a partitioned analysis that must start over): stop reading, and say why.
          input.destroy();
          reject(err as Error);
          return;
        }
        const wait = sink.wait?.();
        if (wait !== undefined) wait.then(next, reject);
        else next();
      });
    });
    input.once('end', () => {
      ended = true;
      if (!busy) finish();
    });
    input.once('error', reject);
  });
}
