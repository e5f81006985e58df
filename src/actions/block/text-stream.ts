/**
 * A script handed to a firewall tool while it is still being written: the
 * producer pushes text, the runner pulls it into the tool's stdin. The
 * producer waits (ready()) only when the tool falls behind by more than a
 * few megabytes, so both run at once, on two cores where there are two.
 */

/** Text held for the tool before the producer is asked to wait. */
const BACKLOG = 4 << 20;

export class TextStream implements AsyncIterable<string> {
  readonly #chunks: string[] = [];
  #head = 0;
  #held = 0;
  #ended = false;
  #failure: Error | null = null;
  /** The consumer stopped reading (the tool exited): further text is dropped. */
  #gone = false;
  #wake: (() => void) | null = null;
  #room: (() => void) | null = null;

  push(text: string): void {
    if (this.#gone || this.#ended || text === '') return;
    this.#chunks.push(text);
    this.#held += text.length;
    this.#wakeConsumer();
  }

  /** The script is complete: the tool reads to its end and runs it. */
  end(): void {
    this.#ended = true;
    this.#wakeConsumer();
  }

  /** The script is abandoned: the consumer must stop the tool before it sees an end of input. */
  fail(err: Error): void {
    if (this.#ended) return;
    this.#failure = err;
    this.#ended = true;
    this.#wakeConsumer();
  }

  /** Resolves at once (on the next turn of the event loop, so the tool's pipe is written) unless the tool is far behind. */
  ready(): Promise<void> {
    if (this.#held < BACKLOG || this.#gone) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => {
      this.#room = resolve;
    });
  }

  #wakeConsumer(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  #making(): void {
    if (this.#held >= BACKLOG) return;
    const r = this.#room;
    this.#room = null;
    r?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    return {
      next: async (): Promise<IteratorResult<string>> => {
        for (;;) {
          if (this.#failure !== null) throw this.#failure;
          if (this.#head < this.#chunks.length) {
            const text = this.#chunks[this.#head] as string;
            this.#chunks[this.#head++] = '';
            if (this.#head === this.#chunks.length) {
              this.#chunks.length = 0;
              this.#head = 0;
            }
            this.#held -= text.length;
            this.#making();
            return { value: text, done: false };
          }
          if (this.#ended) return { value: undefined, done: true };
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
        }
      },
      return: async (): Promise<IteratorResult<string>> => {
        this.#gone = true;
        this.#chunks.length = 0;
        this.#held = 0;
        this.#making();
        return { value: undefined, done: true };
      },
    };
  }
}
