/**
 * /dev/kmsg with real kernel lines: nmap -sS (IPv4 and IPv6) between two
 * namespaces, the target dropping and logging SYNs with a log prefix unique
 * to this run. The daemon (--source kmsg) must count exactly the lines the
 * kernel wrote with that prefix (the logging rule's packet counter is the
 * ground truth), across a kill -9 and restart, and `tsad status` must show
 * the IPv6 scanner.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot } from '../helpers/run-cli.js';
import { runTsad, startDaemon, waitStatus, type DaemonProc } from './helpers/daemon-proc.js';
import { writeTestConfig } from './helpers/config.js';
import { createNsPair, enableNamespaceLogging, sh, type NsPair } from './helpers/netns.js';

const root = requireRoot('the kmsg test (namespaces, nft, /dev/kmsg)');
const nmapThere = (() => {
  try {
    sh('nmap', ['--version']);
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error('nmap is required under CI=true');
    return false;
  }
})();

let dir: string;
let ns: NsPair | null = null;
let restoreLogging: (() => void) | null = null;
let daemon: DaemonProc | null = null;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-daemon-kmsg-'));
});
afterAll(async () => {
  if (daemon) await daemon.kill9().catch(() => undefined);
  ns?.destroy();
  restoreLogging?.();
  rmSync(dir, { recursive: true, force: true });
});

/** Packets the logging rule matched (ground truth: each one wrote one kernel line), from the rule's counter. */
function logged(): number {
  const doc = JSON.parse(ns?.exec(ns.b, 'nft', ['-j', 'list', 'ruleset']) ?? '{}') as { nftables: Array<{ rule?: { expr: Array<{ counter?: { packets: number } }> } }> };
  let n = 0;
  for (const item of doc.nftables) for (const e of item.rule?.expr ?? []) n += e.counter?.packets ?? 0;
  return n;
}

function prefixCount(r: Record<string, unknown>, prefix: string): number {
  return (r.report as { logPrefixes: Record<string, number> }).logPrefixes[prefix] ?? 0;
}

describe.skipIf(!root || !nmapThere)('kmsg source with a namespace scan', () => {
  it('counts exactly the kernel lines of the scan, across kill -9, and shows the IPv6 scanner', async () => {
    restoreLogging = enableNamespaceLogging();
    ns = createNsPair('dmnk');
    const prefix = `TSADK${ns.tag}`;
    ns.exec(ns.b, 'nft', ['-f', '-'], `table inet t {\n chain input {\n  type filter hook input priority 0; policy accept;\n  tcp flags syn counter log prefix "${prefix} " drop\n }\n}\n`);
    const conf = writeTestConfig(dir);
    const socket = join(dir, 'tsad.sock');
    const args = ['-c', conf, '--source', 'kmsg', '--state-dir', join(dir, 'state')];
    daemon = await startDaemon(args, socket);

    const scan = (target: string, six: boolean): void => {
      ns?.exec(ns.a, 'nmap', [...(six ? ['-6'] : []), '-sS', '-n', '-Pn', '--max-retries', '0', '-p', '1000-1060', target]);
    };
    scan(ns.v4.b, false);
    scan(ns.v6.b, true);
    let truth = logged();
    expect(truth).toBeGreaterThanOrEqual(2 * 61);
    await waitStatus(daemon, (r) => prefixCount(r, prefix) >= truth);
    await new Promise((r) => setTimeout(r, 300));
    expect(prefixCount((await daemon.request('status')) as Record<string, unknown>, prefix)).toBe(truth);

    // Killed after the scan; a second scan while it is down; the restart reads on from the saved sequence number.
    await new Promise((r) => setTimeout(r, 300));
    await daemon.kill9();
    scan(ns.v6.b, true);
    daemon = await startDaemon(args, socket);
    const before = truth;
    truth = logged();
    expect(truth - before).toBeGreaterThanOrEqual(61);
    const saved = (((await daemon.request('status')) as Record<string, unknown>).daemon as { scanStateSaved: boolean }).scanStateSaved;
    // The prefix counters belong to the detect state; without it only the lines since the restart are counted.
    const want = saved ? truth : truth - before;
    const st = await waitStatus(daemon, (r) => prefixCount(r, prefix) >= want);
    await new Promise((r) => setTimeout(r, 500));
    const got = prefixCount((await daemon.request('status')) as Record<string, unknown>, prefix);
    if (saved) expect(got).toBe(truth);
    else expect(got).toBeLessThanOrEqual(truth); // the re-read window since the last snapshot, and no more

    const sources = (st.report as { sources: Array<{ src: string; dl: number; scanTypes: string[]; packets: number }> }).sources;
    const v6 = sources.find((s) => s.src === ns?.v6.prefix);
    expect(v6, `sources: ${sources.map((s) => s.src).join(' ')}`).toBeDefined();
    expect(v6?.dl).toBeGreaterThanOrEqual(2);
    expect(v6?.scanTypes).toContain('SYN');

    // `tsad status --ip`: the text report, filtered to the IPv6 scanner.
    const text = await runTsad(['status', '-c', conf, '--socket', socket, '--ip', ns.v6.a]);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(/^\[\+\] tsad .* daemon running/);
    expect(text.stdout).toContain(`SRC:  ${ns.v6.prefix}, DL: `);
    expect(text.stdout).toMatch(/Total scan sources: 1\b/);
    expect(text.stdout).toContain(`"${prefix}": ${got}`);
    expect(await daemon.stop()).toBe(0);
    daemon = null;
  });
});
