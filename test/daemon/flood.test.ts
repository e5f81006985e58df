/**
 * The daemon (the built CLI, following a file) under a flood of single-SYN
 * spoofed sources 40 times its MEMORY_BUDGET's source limit, while one real
 * scanner probes a port every 100 lines: it keeps reading, never tracks
 * more than the limit, reports the evictions, keeps the scanner at its
 * level, saves, and resumes after a restart. Counted, not timed (the memory
 * figure of a million-source flood is in `npm run bench`).
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, summaryOf, waitStatus, type DaemonProc } from './helpers/daemon-proc.js';
import { writeTestConfig } from './helpers/config.js';

let dir: string;
let daemon: DaemonProc | null = null;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-daemon-flood-'));
});
afterAll(async () => {
  if (daemon) await daemon.kill9().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const SCANNER = '203.0.113.77';
/** MEMORY_BUDGET 1 (MB): at most 512 sources (fewer when the heap check cuts in). */
const LIMIT = 512;
const FLOOD = 20_000;

function line(src: string, dport: number): string {
  return `${new Date().toISOString()} fw1 kernel: DROP IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 SRC=${src} DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=${dport} WINDOW=1024 RES=0x00 SYN URGP=0 \n`;
}

function spoofed(n: number): string {
  const x = Math.imul(n + 1, 0x9e3779b1) & 0xffffff;
  return `11.${x >>> 16}.${(x >>> 8) & 255}.${x & 255}`;
}

interface Row {
  src: string;
  dl: number;
  packets: number;
}

describe('a spoofed-source flood against the daemon', () => {
  it('stays within the source limit, counts evictions, keeps the real scanner, saves and resumes', async () => {
    const log = join(dir, 'kern.log');
    writeFileSync(log, '');
    const conf = writeTestConfig(dir, { MEMORY_BUDGET: '1' });
    const socket = join(dir, 'run', 'tsad.sock');
    const args = ['-c', conf, '--source', `file:${log}`, '--state-dir', join(dir, 'state')];
    daemon = await startDaemon(args, socket);

    let port = 1;
    let written = 0;
    for (let i = 0; i < FLOOD; i += 1000) {
      let chunk = '';
      for (let j = i; j < i + 1000; j++) {
        chunk += line(spoofed(j), 23);
        written++;
        if (j % 100 === 0) {
          chunk += line(SCANNER, port++);
          written++;
        }
      }
      appendFileSync(log, chunk);
    }
    const st = await waitStatus(daemon, (r) => summaryOf(r).lines >= written);
    const summary = summaryOf(st) as unknown as { lines: number; tracked: number; evicted: number };
    expect(summary.lines).toBe(written);
    expect(summary.tracked).toBeLessThanOrEqual(LIMIT);
    expect(summary.evicted).toBeGreaterThanOrEqual(FLOOD + 1 - LIMIT);
    const scanner = (st.report as { sources: Row[] }).sources.find((s) => s.src === SCANNER);
    expect(scanner?.packets).toBe(port - 1);
    expect(scanner?.dl).toBeGreaterThanOrEqual(2);

    // Its saves keep working: SIGTERM saves (exit 0) and a restart resumes the scanner and the counts.
    expect(await daemon.stop()).toBe(0);
    daemon = await startDaemon(args, socket);
    const again = (await daemon.request('status')) as Record<string, unknown>;
    const s2 = summaryOf(again) as unknown as { lines: number; tracked: number; evicted: number };
    expect(s2.lines).toBe(written);
    expect(s2.tracked).toBeLessThanOrEqual(LIMIT);
    expect(s2.evicted).toBeGreaterThanOrEqual(summary.evicted);
    expect((again.report as { sources: Row[] }).sources.find((s) => s.src === SCANNER)?.dl).toBe(scanner?.dl);
    expect(await daemon.stop()).toBe(0);
    daemon = null;
  }, 120_000);
});
