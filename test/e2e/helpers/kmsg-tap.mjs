// Prints the kernel log records that contain PREFIX as they are written, each
// with the monotonic time (ns, process.hrtime) at which this reader got it:
// "NS RECORD". Records already in the ring at start are skipped. One blocking
// read() returns one record, so the loop owns this process's main thread.
import { closeSync, constants, openSync, readSync, writeSync } from 'node:fs';

const prefix = process.argv[2];
if (!prefix) throw new Error('usage: kmsg-tap.mjs PREFIX');
const buf = Buffer.alloc(8192);

function seqOf(rec) {
  const c1 = rec.indexOf(',');
  return Number(rec.slice(c1 + 1, rec.indexOf(',', c1 + 1)));
}

// The last sequence number now: drain a non-blocking descriptor.
let last = -1;
const nb = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
for (;;) {
  let n;
  try {
    n = readSync(nb, buf, 0, buf.length, null);
  } catch (e) {
    if (e.code === 'EPIPE') continue;
    break;
  }
  if (n <= 0) break;
  last = seqOf(buf.toString('latin1', 0, 48));
}
closeSync(nb);
writeSync(1, `ready ${last}\n`);

const fd = openSync('/dev/kmsg', 'r');
for (;;) {
  let n;
  try {
    n = readSync(fd, buf, 0, buf.length, null);
  } catch (e) {
    if (e.code === 'EPIPE' || e.code === 'EINTR' || e.code === 'EAGAIN') continue;
    throw e;
  }
  if (n <= 0) break;
  const t = process.hrtime.bigint();
  const rec = buf.toString('utf8', 0, n);
  if (seqOf(rec) <= last || !rec.includes(prefix)) continue;
  writeSync(1, `${t} ${rec.slice(0, rec.indexOf('\n') < 0 ? rec.length : rec.indexOf('\n'))}\n`);
}
