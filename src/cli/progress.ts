/**
 * `tsad analyze` on a terminal: progress on standard error while a large
 * archive is read (bytes of the total, lines, rate, time left), one line
 * rewritten in place, and a closing line with what was read. Only when
 * standard error is a terminal and --quiet is not given: a pipe or a log
 * file never gets it.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** How often the line is rewritten. */
const EVERY_MS = 250;

/** Expected bytes of a file as read: its size, or for gzip the uncompressed size from its trailer (ISIZE, mod 4 GiB). */
export function expectedBytes(path: string): number | null {
  if (path === '-') return null;
  try {
    const size = statSync(path).size;
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(2);
      readSync(fd, head, 0, 2, 0);
      if (head[0] !== 0x1f || head[1] !== 0x8b || size < 18) return size;
      const tail = Buffer.alloc(4);
      readSync(fd, tail, 0, 4, size - 4);
      // ISIZE wraps at 4 GiB: never less than the compressed size.
      return Math.max(tail.readUInt32LE(0), size);
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

function size(b: number): string {
  if (b < 1024) return `${b} B`;
  if (b < 1024 ** 2) return `${(b / 1024).toFixed(1)} KB`;
  if (b < 1024 ** 3) return `${(b / 1024 ** 2).toFixed(1)} MB`;
  return `${(b / 1024 ** 3).toFixed(2)} GB`;
}

function clock(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const two = (n: number): string => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${m}:${two(s % 60)}`;
}

const count = (n: number): string => n.toLocaleString('en-US');

export interface ProgressOut {
  write(text: string): unknown;
}

export class Progress {
  #bytes = 0;
  #lines = 0;
  #file = '';
  #timer: NodeJS.Timeout | null = null;
  readonly #start: number;

  /** `total`: expected bytes of all inputs (null when unknown, as for stdin or the journal). */
  constructor(private readonly out: ProgressOut, private readonly total: number | null, private readonly now: () => number = Date.now) {
    this.#start = now();
    this.#timer = setInterval(() => this.#draw(), EVERY_MS);
    this.#timer.unref();
  }

  file(name: string): void {
    this.#file = name;
  }

  bytes(n: number): void {
    this.#bytes += n;
  }

  line(): void {
    this.#lines++;
  }

  /** The current line: file, bytes of the total, lines, rate and time left. */
  text(): string {
    const sec = Math.max(0.001, (this.now() - this.#start) / 1000);
    const rate = this.#lines / sec;
    const parts = [`tsad: reading ${this.#file}`];
    if (this.total !== null && this.total > 0) {
      const frac = Math.min(0.999, this.#bytes / this.total);
      parts.push(`${size(this.#bytes)} of ${size(this.total)} (${Math.floor(frac * 100)}%)`);
      const left = this.#bytes > 0 ? (sec * (this.total - this.#bytes)) / this.#bytes : null;
      parts.push(`${count(this.#lines)} lines, ${count(Math.round(rate))} lines/s${left === null ? '' : `, ETA ${clock(left)}`}`);
    } else {
      parts.push(`${size(this.#bytes)}, ${count(this.#lines)} lines, ${count(Math.round(rate))} lines/s`);
    }
    return parts.join(': ');
  }

  #draw(): void {
    this.out.write(`\r\x1b[K${this.text()}`);
  }

  /** Clears the progress line and leaves one line saying what was read. */
  done(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    const sec = Math.max(0.001, (this.now() - this.#start) / 1000);
    this.out.write(`\r\x1b[Ktsad: read ${count(this.#lines)} lines (${size(this.#bytes)}) in ${sec.toFixed(1)} s, ${count(Math.round(this.#lines / sec))} lines/s\n`);
  }
}
