/**
 * Line splitting for archived files, where throughput matters most: each
 * decoded chunk is cut with indexOf and lines go straight to the sink.
 * split2 (line-stream.ts) pushes every line through a stream, which alone
 * costs about as much as parsing the line; it stays for live sources, whose
 * rate is set by the kernel, not by the disk.
 *
 * Lines over maxLength are dropped and counted; a file with no newline at all
 * never holds more than maxLength characters.
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { LineSink } from './line-stream.js';

export function readLinesFast(input: Readable, sink: LineSink, maxLength: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    let tail = '';
    let skipping = false; // inside an over-long line: drop until the next newline

    const emit = (line: string): void => {
      if (line.length > maxLength) sink.tooLong();
      else sink.line(line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line);
    };

    const feed = (text: string): void => {
      let from = 0;
      let nl = text.indexOf('\n');
      if (skipping) {
        if (nl < 0) return;
        skipping = false;
        from = nl + 1;
        nl = text.indexOf('\n', from);
      } else if (tail !== '') {
        if (nl < 0) {
          tail += text;
          if (tail.length > maxLength) {
            sink.tooLong();
            tail = '';
            skipping = true;
          }
          return;
        }
        emit(tail + text.slice(0, nl));
        tail = '';
        from = nl + 1;
        nl = text.indexOf('\n', from);
      }
      while (nl >= 0) {
        emit(text.slice(from, nl));
        from = nl + 1;
        nl = text.indexOf('\n', from);
      }
      if (from < text.length) {
        tail = text.slice(from);
        if (tail.length > maxLength) {
          sink.tooLong();
          tail = '';
          skipping = true;
        }
      }
    };

    input.on('data', (chunk: Buffer | string) => {
      feed(typeof chunk === 'string' ? chunk : decoder.write(chunk));
      const wait = sink.wait?.();
      if (wait !== undefined) {
        input.pause();
        wait.then(() => input.resume(), reject);
      }
    });
    input.once('end', () => {
      feed(decoder.end());
      if (tail !== '' && !skipping) emit(tail);
      resolve();
    });
    input.once('error', reject);
  });
}
