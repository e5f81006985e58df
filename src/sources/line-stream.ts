/**
 * Turns a byte stream into lines with split2 (the one user of split2).
 * Lines longer than maxLength are dropped and counted, so a file with no
 * newline at all cannot grow memory without bound. Lines are handed to the
 * sink synchronously and in order; a trailing CR (CRLF files) is removed.
 */
import type { Readable } from 'node:stream';
import split2 from 'split2';

export interface LineSink {
  line(text: string): void;
  /** A line over the length limit was dropped. */
  tooLong(): void;
  /**
   * Backpressure from whatever the lines feed (a CSV writer on a slow pipe):
   * a promise to wait for before reading on, or undefined to go on at once.
   */
  wait?(): Promise<void> | undefined;
}

export function pipeLines(input: Readable, sink: LineSink, maxLength: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // A string matcher splits natively (a regex split is several times slower).
    // skipOverflow is a split2 option missing from its type definitions.
    const splitter = split2('\n', { maxLength, skipOverflow: true } as split2.Options);
    // split2 drops the unterminated tail once it exceeds maxLength and sets
    // `overflow`; count each drop through an accessor on that flag.
    let overflowing = false;
    Object.defineProperty(splitter, 'overflow', {
      get: () => overflowing,
      set: (v: boolean) => {
        if (v && !overflowing) sink.tooLong();
        overflowing = v;
      },
    });
    splitter.on('data', (l: string) => {
      // split2 checks only the unterminated tail; a long line inside one chunk is checked here.
      // At end of stream split2 pushes its tail even when it already dropped it as overflow.
      if (l.length > maxLength) {
        if (!overflowing) sink.tooLong();
      } else sink.line(l.charCodeAt(l.length - 1) === 13 ? l.slice(0, -1) : l);
      const wait = sink.wait?.();
      if (wait !== undefined) {
        splitter.pause();
        wait.then(() => splitter.resume(), reject);
      }
    });
    splitter.once('end', resolve);
    splitter.once('error', reject);
    input.once('error', (err) => {
      splitter.destroy();
      reject(err);
    });
    input.pipe(splitter);
  });
}
