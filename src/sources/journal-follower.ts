/**
 * Follows kernel messages in the journal with `journalctl -f -o json`, one
 * long-lived child (psad forked `ps` for every line). The position is the
 * __CURSOR of the last record handed over; a restart continues with
 * `--after-cursor` (and `-n all`: with -f, journalctl otherwise shows only
 * the last 10 entries after the cursor). With no saved cursor the follower
 * takes the cursor of the newest kernel record first and continues after it,
 * so nothing older is read and nothing newer is missed.
 *
 * Matches `_TRANSPORT=kernel` rather than `-k`, which also limits to the
 * current boot and would skip the end of the previous boot after a reboot.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { pipeLines } from './line-stream.js';
import type { LiveSink, LiveSource, SourceLog } from './live-source.js';

const run = promisify(execFile);

export interface JournalPosition {
  /** What is followed: 'system', or the journal file or directory. */
  target: string;
  cursor: string | null;
}

export interface JournalFollowerOptions {
  name: string;
  sink: LiveSink;
  /** A journal file (`--file`) or directory (`--directory`); absent: the system journal. */
  file?: string;
  directory?: boolean;
  resume: JournalPosition | null;
  maxLineLength: number;
  log: SourceLog;
  journalctl?: string;
  /** SYSLOG_IDENTIFIERs of services whose records are read besides the kernel's (service-log evidence). */
  identifiers?: readonly string[];
}

const CURSOR_KEY = '"__CURSOR":"';

/** The __CURSOR value of a json record without parsing the whole line (cursors have no quotes or escapes). */
export function cursorOf(line: string): string | null {
  const i = line.indexOf(CURSOR_KEY);
  if (i < 0) return null;
  const from = i + CURSOR_KEY.length;
  const end = line.indexOf('"', from);
  return end > from ? line.slice(from, end) : null;
}

export class JournalFollower implements LiveSource {
  readonly name: string;
  private readonly target: string;
  private cursor: string | null;
  private child: ChildProcess | null = null;
  private stopped = false;
  private records = 0;

  constructor(private readonly o: JournalFollowerOptions) {
    this.name = o.name;
    this.target = o.file ?? 'system';
    this.cursor = o.resume !== null && o.resume.target === this.target ? o.resume.cursor : null;
  }

  private scope(): string[] {
    if (this.o.file === undefined) return [];
    return [this.o.directory ? '--directory' : '--file', this.o.file];
  }

  /** The records read: kernel records, or those of the services' identifiers (journalctl's `+` is OR). */
  private matches(): string[] {
    const out = ['_TRANSPORT=kernel'];
    for (const id of this.o.identifiers ?? []) out.push('+', `SYSLOG_IDENTIFIER=${id}`);
    return out;
  }

  /** Cursor of the newest record read, or null when there is none yet. */
  private async newestCursor(): Promise<string | null> {
    const { stdout } = await run(this.o.journalctl ?? 'journalctl', [...this.scope(), '-o', 'json', '-n', '1', '-q', '--no-pager', ...this.matches()], { maxBuffer: 1 << 20 });
    return cursorOf(stdout);
  }

  async run(): Promise<void> {
    this.stopped = false;
    if (this.cursor === null) this.cursor = await this.newestCursor();
    if (this.stopped) return;
    const args = [...this.scope(), '-f', '-o', 'json', '-q', '--no-pager', '-n', 'all'];
    if (this.cursor !== null) args.push('--after-cursor', this.cursor);
    args.push(...this.matches());
    const child = spawn(this.o.journalctl ?? 'journalctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      if (stderr.length < 4096) stderr += d;
    });
    const exited = new Promise<void>((resolve, reject) => {
      child.once('error', (err) => reject(new Error(`cannot run journalctl: ${err.message}`)));
      child.once('close', (code, signal) => {
        if (this.stopped) resolve();
        else reject(new Error(`journalctl exited (${signal ?? `status ${code}`})${stderr ? `: ${stderr.trim().split('\n')[0]}` : ''}`));
      });
    });
    const sink: LiveSink = {
      line: (l) => {
        this.o.sink.line(l);
        const c = cursorOf(l);
        if (c !== null) this.cursor = c;
        this.records++;
      },
      tooLong: () => this.o.sink.tooLong(),
    };
    if (child.stdout === null) throw new Error('journalctl has no stdout');
    try {
      await Promise.all([pipeLines(child.stdout, sink, this.o.maxLineLength), exited]);
    } catch (err) {
      if (/Failed to seek to cursor/.test(stderr)) {
        this.o.log('warn', 'the saved journal cursor is not valid here; the restart continues after the newest record');
        this.cursor = null;
      }
      throw err;
    }
  }

  stop(): void {
    this.stopped = true;
    this.child?.kill('SIGTERM');
    this.child = null;
  }

  position(): JournalPosition {
    return { target: this.target, cursor: this.cursor };
  }

  stats(): Record<string, number> {
    return { records: this.records };
  }
}
