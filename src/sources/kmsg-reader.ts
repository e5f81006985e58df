/**
 * Reads the kernel log ring directly from /dev/kmsg: one read() returns one
 * record `PRI,SEQ,USEC,FLAGS;text\n[ KEY=value\n...]`, so the buffer is
 * 8 KiB (the kernel's record limit is smaller). The reads block, and node
 * cannot poll a character device, so they run in a worker thread of their
 * own (not the libuv pool shared by file and DNS work); records reach the
 * main thread as messages and are handled there, in order.
 *
 * Resume: the position is the boot id and the last sequence number handled.
 * Records at or below it are skipped; a jump in sequence numbers means the
 * ring overwrote records before they were read (read() fails with EPIPE):
 * they are counted as lost and reading goes on. Records of user space
 * (facility other than kern, written to /dev/kmsg by programs) are not
 * firewall lines and are skipped, so a program cannot inject fake ones.
 */
import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync, constants } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { LiveSink, LiveSource, SourceLog } from './live-source.js';

export interface KmsgPosition {
  bootId: string;
  seq: number;
}

export interface KmsgOptions {
  name: string;
  sink: LiveSink;
  resume: KmsgPosition | null;
  log: SourceLog;
  path?: string;
}

const RECORD_BUF = 8192;

// Plain JS, evaluated in the worker: blocking reads, one record per message.
const WORKER_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const fd = fs.openSync(workerData.path, 'r');
const buf = Buffer.alloc(${RECORD_BUF});
for (;;) {
  let n;
  try {
    n = fs.readSync(fd, buf, 0, buf.length, null);
  } catch (e) {
    if (e.code === 'EPIPE') { parentPort.postMessage({ epipe: true }); continue; }
    if (e.code === 'EINTR' || e.code === 'EAGAIN') continue;
    parentPort.postMessage({ error: e.message });
    break;
  }
  if (n <= 0) { parentPort.postMessage({ error: 'end of /dev/kmsg' }); break; }
  parentPort.postMessage(buf.toString('utf8', 0, n));
}
`;

export function currentBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return '';
  }
}

/** Sequence number and facility of a record header, or null when it is not one. */
function header(rec: string): { seq: number; facility: number } | null {
  const c1 = rec.indexOf(',');
  const c2 = c1 < 0 ? -1 : rec.indexOf(',', c1 + 1);
  if (c2 < 0 || c2 - c1 > 21) return null;
  const pri = Number(rec.slice(0, c1));
  const seq = Number(rec.slice(c1 + 1, c2));
  if (!Number.isInteger(pri) || !Number.isInteger(seq) || c1 === 0) return null;
  return { seq, facility: pri >> 3 };
}

/** The last sequence number in the ring now (read without blocking), or -1 when empty. */
export function lastKmsgSeq(path = '/dev/kmsg'): number {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(RECORD_BUF);
  let last = -1;
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EPIPE') continue;
        if (code === 'EAGAIN') break;
        throw err;
      }
      if (n <= 0) break;
      const h = header(buf.toString('latin1', 0, Math.min(n, 48)));
      if (h) last = h.seq;
    }
  } finally {
    closeSync(fd);
  }
  return last;
}

function wakeReader(path: string): void {
  try {
    if (statSync(path).isCharacterDevice()) writeFileSync(path, '<14>tsad: kmsg reader stopped\n');
  } catch {
    // not writable (not root): the read ends at the next kernel record
  }
}

export class KmsgReader implements LiveSource {
  readonly name: string;
  private readonly path: string;
  private worker: Worker | null = null;
  private pos: KmsgPosition;
  private counts = { records: 0, lost: 0, overruns: 0, notKernel: 0 };

  constructor(private readonly o: KmsgOptions) {
    this.name = o.name;
    this.path = o.path ?? '/dev/kmsg';
    const boot = currentBootId();
    if (o.resume !== null && o.resume.bootId === boot) {
      this.pos = { ...o.resume };
    } else {
      // A new boot: everything in the ring is unread. No saved position: start at the end, as journald -n 0.
      this.pos = { bootId: boot, seq: o.resume !== null ? -1 : lastKmsgSeq(this.path) };
    }
  }

  run(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w = new Worker(WORKER_CODE, { eval: true, workerData: { path: this.path } });
      this.worker = w;
      w.on('message', (m: string | { epipe?: boolean; error?: string }) => {
        if (typeof m === 'string') this.record(m);
        else if (m.epipe) this.counts.overruns++;
        else if (m.error !== undefined) {
          this.stop();
          reject(new Error(`${this.path}: ${m.error}`));
        }
      });
      w.once('error', (err) => {
        this.stop();
        reject(err);
      });
      w.once('exit', () => {
        if (this.worker === w) this.worker = null;
        resolve();
      });
    });
  }

  stop(): void {
    const w = this.worker;
    this.worker = null;
    // A worker blocked in read() ends at its next record; it must not hold the process open meanwhile.
    w?.unref();
    void w?.terminate();
    // Node joins the worker's thread at exit, so a quiet kernel log would hold the exit: write one
    // user-space record (skipped by the reader, shown in dmesg) to end the read now.
    if (w) wakeReader(this.path);
  }

  position(): KmsgPosition {
    return { ...this.pos };
  }

  stats(): Record<string, number> {
    return { ...this.counts, seq: this.pos.seq };
  }

  private record(rec: string): void {
    const h = header(rec);
    if (h === null) return;
    if (h.seq <= this.pos.seq) return; // read before the restart
    if (this.pos.seq >= 0 && h.seq > this.pos.seq + 1) {
      const lost = h.seq - this.pos.seq - 1;
      this.counts.lost += lost;
      this.o.log('warn', `${lost} kernel records were overwritten before they could be read`);
    }
    this.counts.records++;
    if (h.facility !== 0) {
      this.counts.notKernel++;
    } else {
      const nl = rec.indexOf('\n');
      this.o.sink.line(nl < 0 ? rec : rec.slice(0, nl));
    }
    this.pos.seq = h.seq;
  }
}
