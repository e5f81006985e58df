/**
 * A log writer in its own process, as syslog would be: appends numbered
 * lines at a steady rate and rotates its file the way logrotate does, either
 * by rename (keeping its old descriptor for a while, as rsyslog does until
 * it is told to reopen) or by copytruncate. The rotation happens between two
 * writes, so the file system itself loses nothing; whatever goes missing is
 * the reader's fault.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const SCRIPT = `
const fs = require('node:fs');
const [path, total, perTick, rotateEvery, mode, prefix] = process.argv.slice(1);
const N = Number(total), PER = Number(perTick), ROT = Number(rotateEvery);
let fd = fs.openSync(path, 'a');
let oldFd = null, oldLeft = 0, i = 0, rotations = 0;
function shift() {
  for (let k = 3; k >= 1; k--) { try { fs.renameSync(path + '.' + k, path + '.' + (k + 1)); } catch {} }
}
function rotate() {
  shift();
  if (mode === 'rename') {
    fs.renameSync(path, path + '.1');
    oldFd = fd; oldLeft = 25;           // keeps writing to the renamed file until "HUP"
    fd = null;
  } else {
    fs.copyFileSync(path, path + '.1');
    fs.truncateSync(path, 0);           // the O_APPEND descriptor now writes at 0
  }
  rotations++;
}
function line() {
  return new Date().toISOString() + ' fw1 kernel: ' + prefix + ' IN=eth0 OUT= SRC=198.51.100.' + (1 + (i % 50)) + ' DST=203.0.113.5 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=' + (1000 + (i % 500)) + ' SEQ=' + i + ' ACK=0 WINDOW=1024 RES=0x00 SYN URGP=0 \\n';
}
const t = setInterval(() => {
  let buf = '';
  for (let k = 0; k < PER && i < N; k++) {
    buf = line(); i++;
    if (oldFd !== null) { fs.writeSync(oldFd, buf); if (--oldLeft === 0) { fs.closeSync(oldFd); oldFd = null; } continue; }
    if (fd === null) fd = fs.openSync(path, 'a');
    fs.writeSync(fd, buf);
    if (ROT > 0 && i % ROT === 0 && i < N) rotate();
  }
  if (i >= N) { clearInterval(t); if (oldFd !== null) fs.closeSync(oldFd); process.stdout.write(JSON.stringify({ written: i, rotations }) + '\\n'); }
}, 5);
`;

export interface WriterResult {
  written: number;
  rotations: number;
}

export interface Writer {
  proc: ChildProcess;
  done: Promise<WriterResult>;
}

/** Writes `total` lines, `perTick` every 5 ms, rotating every `rotateEvery` lines (0: never). */
export function startWriter(path: string, o: { total: number; perTick: number; rotateEvery: number; mode: 'rename' | 'copytruncate'; prefix: string }): Writer {
  const proc = spawn(process.execPath, ['-e', SCRIPT, path, String(o.total), String(o.perTick), String(o.rotateEvery), o.mode, o.prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const done = new Promise<WriterResult>((resolve, reject) => {
    proc.once('error', reject);
    proc.once('close', (code) => (code === 0 ? resolve(JSON.parse(out) as WriterResult) : reject(new Error(`writer exited ${code}`))));
  });
  return { proc, done };
}

/** The SEQ= numbers of collected lines, checked to be 0..n-1 each exactly once; returns the problems. */
export function sequenceProblems(lines: readonly string[], n: number): string[] {
  const seen = new Uint8Array(n);
  const problems: string[] = [];
  for (const l of lines) {
    const m = / SEQ=(\d+) /.exec(l);
    if (m === null) {
      problems.push(`not a writer line: ${l.slice(0, 80)}`);
      continue;
    }
    const k = Number(m[1]);
    if (k >= n) problems.push(`seq ${k} out of range`);
    else if ((seen[k] = (seen[k] ?? 0) + 1) === 2) problems.push(`seq ${k} twice`);
  }
  for (let k = 0; k < n; k++) if (seen[k] === 0) problems.push(`seq ${k} missing`);
  return problems.slice(0, 20);
}
