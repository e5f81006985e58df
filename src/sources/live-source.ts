/**
 * What every live source (file follower, /dev/kmsg, journalctl -f, stdin)
 * offers the daemon. A source hands each complete line to its sink
 * synchronously and only then advances its position, so a position read
 * between two event-loop tasks always matches the lines already handed over:
 * the daemon saves that position in the same snapshot as the scan state.
 */

export interface LiveSink {
  line(text: string): void;
  /**
   * A line as bytes, b[start, end) without its newline (files: no string per
   * line); `ascii`: no byte in it is above 127. The bytes are valid only
   * during the call. A sink without it gets every line as text.
   */
  bytes?(b: Buffer, start: number, end: number, ascii: boolean): void;
  /** A line over the length limit was dropped. */
  tooLong(): void;
}

export interface LiveSource {
  /** The source as given on the command line (`file:/var/log/kern.log`). */
  readonly name: string;
  /**
   * Reads until stopped. Resolves when the input ends by itself (stdin at
   * EOF); rejects when the source fails (the daemon restarts it).
   */
  run(): Promise<void>;
  stop(): void;
  /** JSON-able resume point (null: cannot resume). */
  position(): unknown;
  /** Counters for status and metrics (records lost in the kernel ring, bytes behind, ...). */
  stats(): Record<string, number>;
}

/** Logs a source's notable events (rotation, lost records); the daemon prefixes the source name. */
export type SourceLog = (level: 'info' | 'warn', msg: string) => void;
