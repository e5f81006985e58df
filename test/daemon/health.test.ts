/**
 * The no-firewall-lines warning: the daemon runs inside a namespace whose
 * nftables ruleset has a log rule; no line arrives for NO_FW_LINES_WARN
 * seconds, so the log and `tsad status` warn; the next firewall line clears
 * the warning.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/run-cli.js';
import { killDaemon, startDaemon, waitStatus, type DaemonProc } from './helpers/daemon-proc.js';
import { writeTestConfig } from './helpers/config.js';
import { sh } from './helpers/netns.js';

const root = requireRoot('the health test (a namespace with an nftables log rule)');
const NS = `dmnhl-${randomBytes(3).toString('hex')}`;
let dir: string;
let d: DaemonProc | null = null;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-daemon-health-'));
  if (root) sh('ip', ['netns', 'add', NS]);
});
afterAll(async () => {
  await killDaemon(d);
  if (root) {
    try {
      sh('ip', ['netns', 'del', NS]);
    } catch {
      // not created
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!root)('no firewall lines', () => {
  it('warns while the firewall has log rules and nothing arrives, and clears on the next line', async () => {
    sh('ip', ['netns', 'exec', NS, 'nft', '-f', '-'], 'table inet f {\n chain input { type filter hook input priority 0; policy accept; log prefix "IN " ; }\n}\n');
    const conf = writeTestConfig(dir, { NO_FW_LINES_WARN: '1' });
    const log = join(dir, 'kern.log');
    writeFileSync(log, '');
    const socket = join(dir, 'tsad.sock');
    d = await startDaemon(['-c', conf, '--source', `file:${log}`, '--state-dir', join(dir, 'state')], socket, { ns: NS });
    const warned = await waitStatus(d, (r) => ((r.daemon as { warnings: string[] }).warnings.length > 0));
    expect((warned.daemon as { warnings: string[] }).warnings[0]).toMatch(/^no firewall lines since \S+ although the firewall has log rules/);
    expect(d.log()).toMatch(/warning: no firewall lines since .* although the firewall has log rules/);
    appendFileSync(log, '2026-11-21T08:00:00Z fw1 kernel: IN IN=eth0 OUT= SRC=203.0.113.7 DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=UDP SPT=5000 DPT=53 LEN=24 \n');
    const cleared = await waitStatus(d, (r) => ((r.daemon as { warnings: string[] }).warnings.length === 0));
    expect((cleared.report as { summary: { firewallLines: number } }).summary.firewallLines).toBe(1);
    await d.stop();
    expect(d.log()).toContain('firewall lines are arriving again');
  });
});
