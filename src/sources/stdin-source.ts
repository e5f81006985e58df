/** Lines from standard input (a pipe from another program). It cannot resume: its position is null. */
import type { Readable } from 'node:stream';
import { pipeLines } from './line-stream.js';
import type { LiveSink, LiveSource } from './live-source.js';

export class StreamSource implements LiveSource {
  private lines = 0;

  constructor(readonly name: string, private readonly input: Readable, private readonly sink: LiveSink, private readonly maxLineLength: number) {}

  run(): Promise<void> {
    return pipeLines(this.input, {
      line: (l) => {
        this.sink.line(l);
        this.lines++;
      },
      tooLong: () => this.sink.tooLong(),
    }, this.maxLineLength);
  }

  stop(): void {
    this.input.unpipe();
    this.input.pause();
  }

  position(): null {
    return null;
  }

  stats(): Record<string, number> {
    return { lines: this.lines };
  }
}
