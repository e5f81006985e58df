/**
 * Issue 18 end to end, for real: OpenSSH's sshd runs in namespace B on
 * port 22 and writes its log with `sshd -E FILE`; tsad's daemon in B
 * follows that file (SERVICE_BARE_PROGRAM sshd: the file has no syslog
 * envelope). From A, real ssh clients try wrong passwords for several user
 * names (SSH_ASKPASS answers, no sshpass needed). sshd's failures raise A
 * to AUTO_IDS_DANGER_LEVEL on the sshd ladder and the daemon puts A into
 * B's nftables set: A's next connection to sshd gets no answer while C
 * still reaches B. tsad status shows the service evidence (users tried);
 * then the same from two IPv6 addresses of A's /64, which is blocked as
 * one source. Finally `tsad analyze` reads the same file.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRoot, killDaemon, need, startDaemon, tool, tsad, waitFor, writeConfig, type DaemonProc } from './helpers/daemon.js';
import { sh, Topology } from './helpers/topology.js';

const exec = promisify(execFile);
const SSHD = '/usr/sbin/sshd';
const ok = need('root', isRoot) && need('nftables', tool('nft')) && need('iproute2', tool('ip', ['-V'])) &&
  need('openssh-server', () => existsSync(SSHD)) && need('openssh-client', tool('ssh', ['-V']));

let t: Topology | null = null;
let dir = '';
let conf = '';
let socket = '';
let log = '';
let daemon: DaemonProc | null = null;

/** The elements of one of tsad's sets in B (`addr` or `addr/len`). */
function elements(set: 'block_v4' | 'block_v6'): Set<string> {
  const out = new Set<string>();
  let doc: { nftables: Array<{ set?: { elem?: unknown[] } }> };
  try {
    doc = JSON.parse((t as Topology).exec((t as Topology).b, 'nft', ['-j', 'list', 'set', 'inet', 'tsad', set])) as typeof doc;
  } catch {
    return out;
  }
  for (const item of doc.nftables) {
    for (const e of item.set?.elem ?? []) {
      const val = (e as { elem?: { val: unknown } }).elem?.val ?? e;
      const p = (val as { prefix?: { addr: string; len: number } }).prefix;
      out.add(p ? `${p.addr}/${p.len}` : String(val));
    }
  }
  return out;
}

/** One ssh login attempt from A as `user`, answering every password prompt wrongly; resolves when ssh gives up. */
async function failedLogin(user: string, to: string, bind: string): Promise<void> {
  const topo = t as Topology;
  await exec('ip', ['netns', 'exec', topo.a, 'env', `SSH_ASKPASS=${join(dir, 'askpass')}`, 'SSH_ASKPASS_REQUIRE=force', 'DISPLAY=:0',
    'timeout', '20', 'ssh', '-n', '-F', '/dev/null', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'PubkeyAuthentication=no',
    '-o', 'NumberOfPasswordPrompts=3', '-o', 'ConnectTimeout=3', '-o', `BindAddress=${bind}`, `${user}@${to}`, 'true']).catch(() => undefined);
}

/**
 * Whether `from` gets sshd's banner from B's `addr`: false when the TCP handshake has no answer in 2 s (a DROP);
 * once connected, the banner is awaited however long a loaded sshd takes.
 */
async function banner(ns: string, addr: string): Promise<boolean> {
  const code = `const s=require('net').connect({host:${JSON.stringify(addr)},port:22});s.setTimeout(2000,()=>process.exit(1));s.on('connect',()=>s.setTimeout(0));s.on('data',(d)=>process.exit(String(d).startsWith('SSH-')?0:1));s.on('error',()=>process.exit(1));`;
  try {
    await exec('ip', ['netns', 'exec', ns, process.execPath, '-e', code]);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  if (!ok) return;
  dir = mkdtempSync(join(tmpdir(), 'tsad-e2e-sshd-'));
  t = await Topology.create();
  const topo = t;
  // B's logging rule rejects new TCP connections other than 8080: let sshd's through.
  topo.exec(topo.b, 'nft', ['insert', 'rule', 'inet', 'e2elog', 'input', 'tcp', 'dport', '22', 'accept']);
  topo.exec(topo.a, 'ip', ['-6', 'addr', 'add', `${topo.net6}:a::2/64`, 'dev', 'va', 'nodad']);
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'hostkey')]);
  writeFileSync(join(dir, 'askpass'), '#!/bin/sh\necho not-the-password\n');
  chmodSync(join(dir, 'askpass'), 0o755);
  log = join(dir, 'sshd.log');
  writeFileSync(join(dir, 'sshd_config'), [
    'Port 22', `ListenAddress ${topo.v4.b}`, `ListenAddress ${topo.v4.bc}`, `ListenAddress ${topo.v6.b}`,
    `HostKey ${join(dir, 'hostkey')}`, `PidFile ${join(dir, 'sshd.pid')}`, 'UsePAM no', 'PasswordAuthentication yes',
    'KbdInteractiveAuthentication no', 'MaxAuthTries 3', 'LogLevel INFO', '',
  ].join('\n'));
  mkdirSync('/run/sshd', { recursive: true }); // sshd's privilege separation directory
  writeFileSync(log, '');
  topo.exec(topo.b, SSHD, ['-f', join(dir, 'sshd_config'), '-E', log]);
  await waitFor('sshd listening', () => readFileSync(log, 'utf8').includes('Server listening'));
  conf = writeConfig(dir, {
    ENABLE_AUTO_IDS: 'Y',
    AUTO_IDS_DANGER_LEVEL: '3',
    AUTO_BLOCK_TIMEOUT: '60',
    BLOCK_CHECK_INTERVAL: '1',
    FW_SEARCH_ALL: 'N',
    FW_MSG_SEARCH: topo.prefix,
    SERVICE_BARE_PROGRAM: 'sshd',
    SERVICE_PATTERNS_DIR: join(dir, 'patterns.d'),
  });
  socket = join(dir, 'tsad.sock');
  daemon = await startDaemon(['-c', conf, '--source', `file:${log}`, '--state-dir', join(dir, 'state')], socket, topo.b);
}, 60_000);

afterAll(async () => {
  await killDaemon(daemon);
  if (dir && existsSync(join(dir, 'sshd.pid'))) {
    try {
      process.kill(Number(readFileSync(join(dir, 'sshd.pid'), 'utf8').trim()), 'SIGTERM');
    } catch {
      // already gone
    }
  }
  await t?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface StatusJson { sources: Array<{ src: string; dl: number; addresses?: string[]; blocked: { until: string | null } | null; services?: Record<string, { events: number; users: string[]; kinds: Record<string, number> }> }> }

describe.skipIf(!ok)('sshd failures in the daemon: a real sshd in namespace B, logins from A, the block in nftables', () => {
  it('blocks A after failed logins, although A holds an SSH connection open; A no longer reaches sshd, C still does', async () => {
    const topo = t as Topology;
    expect(await banner(topo.a, topo.v4.b)).toBe(true);
    // A guesser's idle connection (sshd waits LoginGraceTime for it): an established session on port 22,
    // which BLOCK_PROTECT_SSH_PEERS must not take for an administrator's.
    const hold = `require('net').connect({ host: ${JSON.stringify(topo.v4.b)}, port: 22, localAddress: ${JSON.stringify(topo.v4.a)} }).on('error', () => {}); setTimeout(() => {}, 120000);`;
    topo.spawnIn(topo.a, process.execPath, ['-e', hold]);
    await waitFor('A\'s open connection', () => topo.exec(topo.b, 'ss', ['-Htn', 'state', 'established', '( sport = :22 )']).includes(topo.v4.a), { watch: daemon });
    // The daemon re-reads its never-block facts (SSH peers among them) every 10 s: let it see the connection.
    await new Promise((r) => setTimeout(r, 11_000));
    for (const user of ['admin', 'root', 'oracle']) {
      if (elements('block_v4').has(topo.v4.a)) break;
      await failedLogin(user, topo.v4.b, topo.v4.a);
    }
    await waitFor('A in block_v4', () => elements('block_v4').has(topo.v4.a), { every: 100, watch: daemon });
    const text = readFileSync(log, 'utf8');
    expect(text).toMatch(/Failed password for invalid user admin from 198\.51\.100\.1 port \d+ ssh2/);
    expect(await banner(topo.a, topo.v4.b)).toBe(false);
    expect(await banner(topo.c, topo.v4.bc)).toBe(true);
  }, 90_000);

  it('tsad status shows the sshd evidence beside the scan evidence', async () => {
    const topo = t as Topology;
    const j = await tsad(['status', '--json', '-c', conf, '--socket', socket, '--state-dir', join(dir, 'state')]);
    expect(j.code).toBe(0);
    const st = JSON.parse(j.stdout) as StatusJson;
    const a = st.sources.find((s) => s.src === topo.v4.a);
    expect(a?.dl).toBeGreaterThanOrEqual(3);
    expect(a?.blocked).not.toBeNull();
    expect(a?.services?.sshd?.events).toBeGreaterThanOrEqual(10);
    expect(a?.services?.sshd?.users).toContain('admin');
    expect(a?.services?.sshd?.kinds['failed-login']).toBeGreaterThanOrEqual(3);
    const text = await tsad(['status', '-c', conf, '--socket', socket, '--state-dir', join(dir, 'state')]);
    expect(text.stdout).toMatch(/Service: sshd: \d+ failures \(.*failed-login \d+.*\); users tried: "admin"/);
  });

  it('IPv6: failures from two addresses of A\'s /64 add up and block the /64', async () => {
    const topo = t as Topology;
    await failedLogin('ubuntu', topo.v6.b, topo.v6.a);
    expect(elements('block_v6').has(topo.v6.aNet)).toBe(false); // one connection: below DL3 (about five failures)
    await failedLogin('test', topo.v6.b, `${topo.net6}:a::2`);
    await waitFor('A\'s /64 in block_v6', () => elements('block_v6').has(topo.v6.aNet), { every: 100, watch: daemon });
    const j = JSON.parse((await tsad(['status', '--json', '-c', conf, '--socket', socket, '--state-dir', join(dir, 'state')])).stdout) as StatusJson;
    const net = j.sources.find((s) => s.src === topo.v6.aNet);
    expect(net?.addresses).toEqual([topo.v6.a, `${topo.net6}:a::2`].sort());
    expect(net?.services?.sshd?.users).toEqual(expect.arrayContaining(['ubuntu', 'test']));
  }, 90_000);

  it('tsad analyze reads the same sshd log file', async () => {
    const topo = t as Topology;
    const r = await tsad(['analyze', '--json', '-c', conf, log]);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as StatusJson & { summary: { serviceLines: number } };
    expect(rep.summary.serviceLines).toBeGreaterThanOrEqual(10);
    expect(rep.sources.find((s) => s.src === topo.v4.a)?.services?.sshd?.users).toEqual(expect.arrayContaining(['admin']));
  });
});
