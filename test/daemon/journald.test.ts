/**
 * The journald source on a real journal file: written by
 * systemd-journal-remote from export text, followed by the daemon through
 * `journalctl --file F -f -o json`, with batches appended while it runs and
 * while it is stopped (resumed by cursor). Messages of other transports that
 * look like firewall lines are not taken.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalFollowed, startDaemon, summaryOf, waitStatus, type DaemonProc } from './helpers/daemon-proc.js';
import { writeTestConfig } from './helpers/config.js';
import { appendJournal, journalAvailable as available } from '../helpers/journal-file.js';

let dir: string;
let daemon: DaemonProc | null = null;
let seq = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-daemon-journal-'));
});
afterAll(async () => {
  if (daemon) await daemon.kill9().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

/** Export text of `n` kernel records (and one syslog record with the same text, which must be ignored). */
function exportText(n: number): string {
  const out: string[] = [];
  const rec = (transport: string): string => {
    const i = seq++;
    const t = Date.now() * 1000 + i;
    return [
      `__REALTIME_TIMESTAMP=${t}`, `__MONOTONIC_TIMESTAMP=${1_000_000 + i}`, '_BOOT_ID=5e1b0c7a3f2d4e6b9a8c7d6e5f4a3b2c',
      `_TRANSPORT=${transport}`, 'PRIORITY=4', 'SYSLOG_IDENTIFIER=kernel', '_HOSTNAME=fw1',
      `MESSAGE=DROP IN=eth0 OUT= SRC=2001:db8:7::${(i % 5) + 1} DST=2001:db8:9::1 LEN=60 TC=0 HOPLIMIT=50 FLOWLBL=0 PROTO=TCP SPT=40000 DPT=${1000 + (i % 300)} SEQ=${i} ACK=0 WINDOW=1024 RES=0x00 SYN URGP=0 `,
      '', '',
    ].join('\n');
  };
  for (let k = 0; k < n; k++) out.push(rec('kernel'));
  out.push(rec('syslog'));
  return out.join('');
}

function append(file: string, n: number): void {
  appendJournal(file, exportText(n));
}

describe.skipIf(!available)('journald source', () => {
  it('follows a journal file, resumes after its cursor, and reads only kernel records', async () => {
    const jfile = join(dir, 'kernel.journal');
    append(jfile, 20); // before the first start: not read (a new daemon starts at the end)
    const conf = writeTestConfig(dir);
    const socket = join(dir, 'tsad.sock');
    const args = ['-c', conf, '--source', `journald:${jfile}`, '--state-dir', join(dir, 'state')];
    daemon = await startDaemon(args, socket);
    await journalFollowed(daemon);
    append(jfile, 40);
    await waitStatus(daemon, (r) => summaryOf(r).lines >= 40);

    expect(await daemon.stop()).toBe(0);
    append(jfile, 30); // while stopped
    daemon = await startDaemon(args, socket);
    await waitStatus(daemon, (r) => summaryOf(r).lines >= 70);
    await daemon.kill9();
    append(jfile, 10);
    daemon = await startDaemon(args, socket);
    const st = await waitStatus(daemon, (r) => summaryOf(r).lines >= 80);
    await new Promise((r) => setTimeout(r, 500));
    const s = summaryOf((await daemon.request('status')) as Record<string, unknown>);
    expect({ lines: s.lines, firewallLines: s.firewallLines }).toEqual({ lines: 80, firewallLines: 80 });
    const sources = (st.report as { sources: Array<{ src: string }> }).sources.map((x) => x.src);
    // IPv6 sources aggregate to their /64 (IPV6_AGGREGATE_PREFIX).
    expect(sources).toEqual(['2001:db8:7::/64']);
    expect(await daemon.stop()).toBe(0);
    daemon = null;
  });
});
