/**
 * Service records in the journal: the daemon's journald source asks
 * journalctl for the services' SYSLOG_IDENTIFIERs besides kernel records.
 * A real journal file (systemd-journal-remote from export text) holds
 * kernel records, sshd records and a cron record; the daemon reads the
 * kernel and sshd ones, not cron's, and the sshd failures reach the level
 * that SERVICE_DL_SSHD gives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTestConfig } from '../daemon/helpers/config.js';
import { appendJournal, journalAvailable as available } from '../helpers/journal-file.js';
import { runCli } from '../helpers/run-cli.js';
import { journalArgs } from '../../src/sources/index.js';
import { journalIdentifiers } from '../../src/parse/index.js';
import { defaultConfig } from '../../src/config/load.js';
import { journalFollowed, startDaemon, summaryOf, waitStatus, type DaemonProc } from '../daemon/helpers/daemon-proc.js';


let dir = '';
let daemon: DaemonProc | null = null;
let seq = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-service-journal-'));
});
afterAll(async () => {
  if (daemon) await daemon.kill9().catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function record(ident: string, transport: string, message: string): string {
  const i = seq++;
  return [
    `__REALTIME_TIMESTAMP=${Date.now() * 1000 + i}`, `__MONOTONIC_TIMESTAMP=${1_000_000 + i}`, '_BOOT_ID=5e1b0c7a3f2d4e6b9a8c7d6e5f4a3b2c',
    `_TRANSPORT=${transport}`, 'PRIORITY=6', `SYSLOG_IDENTIFIER=${ident}`, '_HOSTNAME=fw1', `MESSAGE=${message}`, '', '',
  ].join('\n');
}

function append(file: string, records: string[]): void {
  appendJournal(file, records.join(''));
}

describe('journalctl matches for service records', () => {
  it('ORs kernel records with each identifier, within the boot or the file', () => {
    expect(journalArgs({ identifiers: ['sshd', 'postfix/smtpd'] })).toEqual(['-o', 'json', '--no-pager', '-q', '-b', '_TRANSPORT=kernel', '+', 'SYSLOG_IDENTIFIER=sshd', '+', 'SYSLOG_IDENTIFIER=postfix/smtpd']);
    expect(journalArgs({ file: 'x.journal', identifiers: ['sshd'] })).toEqual(['-o', 'json', '--no-pager', '-q', '--file', 'x.journal', '_TRANSPORT=kernel', '+', 'SYSLOG_IDENTIFIER=sshd']);
    expect(journalArgs({ identifiers: [] })).toContain('-k');
  });

  it('asks for the programs of the patterns in use', () => {
    const cfg = { ...defaultConfig(), SERVICE_PATTERNS_DIR: '/nonexistent', SERVICE_PATTERNS_DISABLE: ['dovecot-auth-failed', 'dovecot-pam-failed'] };
    expect(journalIdentifiers(cfg)).toEqual(['apache', 'apache2', 'httpd', 'lighttpd', 'nginx', 'postfix/postscreen', 'postfix/smtpd', 'postfix/smtps/smtpd', 'postfix/submission/smtpd', 'sshd', 'sshd-session']);
    expect(journalIdentifiers({ ...cfg, ENABLE_SERVICE_LOGS: false })).toEqual([]);
  });
});

describe.skipIf(!available)('service records from the journal', () => {
  it('reads sshd records besides kernel records, not other programs\'', async () => {
    const jfile = join(dir, 'host.journal');
    append(jfile, [record('kernel', 'kernel', 'Linux version 6.1')]);
    const conf = writeTestConfig(dir, { SERVICE_PATTERNS_DIR: join(dir, 'none') });
    const socket = join(dir, 'tsad.sock');
    daemon = await startDaemon(['-c', conf, '--source', `journald:${jfile}`, '--state-dir', join(dir, 'state')], socket);
    await journalFollowed(daemon);
    const recs: string[] = [];
    for (let i = 0; i < 6; i++) {
      recs.push(record(i % 2 === 0 ? 'sshd' : 'sshd-session', 'syslog', `Failed password for invalid user u${i} from 2001:db8:5:6::${i + 1} port ${40000 + i} ssh2`));
      recs.push(record('CRON', 'syslog', `Failed password for invalid user cron from 192.0.2.99 port 1 ssh2`));
    }
    recs.push(record('kernel', 'kernel', 'DROP IN=eth0 OUT= SRC=192.0.2.7 DST=192.0.2.1 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0 '));
    append(jfile, recs);
    const st = await waitStatus(daemon, (r) => summaryOf(r).lines >= 7);
    await new Promise((r) => setTimeout(r, 300));
    const s = summaryOf((await daemon.request('status')) as Record<string, unknown>);
    expect({ lines: s.lines, firewallLines: s.firewallLines, serviceLines: s.serviceLines }).toEqual({ lines: 7, firewallLines: 1, serviceLines: 6 });
    const sources = (st.report as { sources: Array<{ src: string; dl: number; services?: Record<string, { events: number; users: string[] }> }> }).sources;
    const net = sources.find((x) => x.src === '2001:db8:5:6::/64');
    expect(net?.dl).toBe(2); // 6 failures: SERVICE_DL_SSHD 2, 5, 10, ...
    expect(net?.services?.sshd?.events).toBe(6);
    expect(sources.some((x) => x.src === '192.0.2.99')).toBe(false);
    expect(await daemon.stop()).toBe(0);

    // Saved with the state: after a restart the evidence and the counters are there, counted once.
    daemon = await startDaemon(['-c', conf, '--source', `journald:${jfile}`, '--state-dir', join(dir, 'state')], socket);
    const again = await waitStatus(daemon, (r) => summaryOf(r).lines >= 7);
    expect(summaryOf(again)).toMatchObject({ lines: 7, serviceLines: 6, serviceEvents: 6 });
    const kept = (again.report as { sources: Array<{ src: string; dl: number; services?: Record<string, { events: number }> }> }).sources.find((x) => x.src === '2001:db8:5:6::/64');
    expect({ dl: kept?.dl, events: kept?.services?.sshd?.events }).toEqual({ dl: 2, events: 6 });
    expect(await daemon.stop()).toBe(0);
    daemon = null;

    // tsad analyze --journal-file asks for the same records.
    const r = await runCli(['analyze', '--json', '-c', conf, '--journal-file', jfile]);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as { summary: { serviceLines: number; firewallLines: number }; sources: Array<{ src: string; services?: Record<string, { users: string[] }> }> };
    expect({ service: rep.summary.serviceLines, firewall: rep.summary.firewallLines }).toEqual({ service: 6, firewall: 1 });
    expect(rep.sources.find((x) => x.src === '2001:db8:5:6::/64')?.services?.sshd?.users).toEqual(['u0', 'u1', 'u2', 'u3', 'u4', 'u5']);
  });
});
