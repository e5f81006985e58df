/**
 * The xt_recent backend in a namespace (with the administrator's
 * `-m recent --rcheck -j DROP` rule), hosts.deny on a temporary file, and
 * the command backend with a temporary script.
 */
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackends } from '../../src/actions/block/backends/index.js';
import { HOSTS_DENY_BEGIN, HOSTS_DENY_END } from '../../src/actions/block/backends/hosts-deny.js';
import { BlockManager } from '../../src/actions/block/manager.js';
import { policyFromConfig } from '../../src/actions/block/policy.js';
import { backendContext, execRunner } from '../../src/actions/block/runner.js';
import type { Config } from '../../src/config/keys/index.js';
import { ConfigError } from '../../src/config/errors.js';
import { ADDR, netnsAvailable, Topology } from './netns.js';
import { cfg, collectLog, openGuard } from './helpers.js';

const ok = await netnsAvailable();

function plainManager(config: Config, now: () => number = Date.now) {
  const { log, lines } = collectLog();
  const backends = createBackends(config, backendContext({ run: execRunner, log }));
  const manager = new BlockManager({ backends, policy: policyFromConfig(config), guard: openGuard, log, now, retry: { initialMs: 1000, maxMs: 8000 } });
  return { manager, lines };
}

describe.skipIf(!ok)('xt_recent backend in a namespace', () => {
  let t: Topology;
  beforeAll(async () => {
    t = await Topology.create('r');
    await t.inB('iptables', ['-I', 'INPUT', '-m', 'recent', '--name', 'tsadtest', '--rcheck', '-j', 'DROP']);
    await t.inB('ip6tables', ['-I', 'INPUT', '-m', 'recent', '--name', 'tsadtest', '--rcheck', '-j', 'DROP']);
  });
  afterAll(async () => {
    await t?.destroy();
  });

  it('writes +ADDR / -ADDR to the list and the rule drops A while C still connects', async () => {
    let now = Date.now();
    const { log, lines } = collectLog();
    const config = cfg({ BLOCK_BACKEND: 'xt_recent', XT_RECENT_NAME: 'tsadtest' });
    const procDir = `/proc/${t.pidInB}/net/xt_recent`;
    const backends = createBackends(config, backendContext({ run: t.runB, log }), { xtRecentDir: procDir });
    const m = new BlockManager({ backends, policy: policyFromConfig(config), guard: openGuard, log, now: () => now });
    expect(await m.reconcile()).toBe(true);
    await m.block(ADDR.a4, { timeoutSec: 60 });
    await m.block(ADDR.a6, { timeoutSec: 60 });
    await m.block('2001:db8:a:7::/64', { timeoutSec: 60 });
    const list = await readFile(join(procDir, 'tsadtest'), 'utf8');
    expect(list).toContain(`src=${ADDR.a4} `);
    expect(list).toContain('src=2001:0db8:000a:0000:0000:0000:0000:0001 '); // the kernel prints IPv6 expanded
    expect((await backends[0]?.list())?.map((b) => b.cidr)).toEqual([ADDR.a4, ADDR.a6]);
    expect(lines.some((l) => l.msg.includes('single addresses only'))).toBe(true);
    expect(await t.reach(t.a, ADDR.b4a)).toBe('filtered');
    expect(await t.reach(t.a, ADDR.b6a)).toBe('filtered');
    expect(await t.reach(t.c, ADDR.b4c)).toBe('open');
    now += 61_000; // tsad removes expired entries itself
    await m.tick(now);
    expect(await readFile(join(procDir, 'tsadtest'), 'utf8')).not.toContain('src=');
    expect(await t.reach(t.a, ADDR.b4a)).toBe('open');
    await m.block(ADDR.a4, { timeoutSec: 0 });
    await m.flush();
    expect(await readFile(join(procDir, 'tsadtest'), 'utf8')).toBe('');
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('puts back an entry removed behind its back at the next presence check', async () => {
    const { log, lines } = collectLog();
    const config = cfg({ BLOCK_BACKEND: 'xt_recent', XT_RECENT_NAME: 'tsadtest' });
    const procDir = `/proc/${t.pidInB}/net/xt_recent`;
    const backends = createBackends(config, backendContext({ run: t.runB, log }), { xtRecentDir: procDir });
    const m = new BlockManager({ backends, policy: policyFromConfig(config), guard: openGuard, log });
    await m.reconcile();
    await m.block(ADDR.a4, { timeoutSec: 0 });
    await m.block(ADDR.a6, { timeoutSec: 0 });
    expect(await t.reach(t.a, ADDR.b4a)).toBe('filtered');
    // Someone else removes A's IPv4 entry (as "echo -ADDR > /proc/net/xt_recent/NAME" does).
    await writeFile(join(procDir, 'tsadtest'), `-${ADDR.a4}\n`);
    expect(await readFile(join(procDir, 'tsadtest'), 'utf8')).not.toContain(`src=${ADDR.a4} `);
    expect(await t.reach(t.a, ADDR.b4a)).toBe('open');
    expect(await m.checkPresent()).toEqual(['xt_recent']);
    const list = await readFile(join(procDir, 'tsadtest'), 'utf8');
    expect(list).toContain(`src=${ADDR.a4} `);
    expect(list).toContain('src=2001:0db8:000a:0000:0000:0000:0000:0001 ');
    expect(await t.reach(t.a, ADDR.b4a)).toBe('filtered');
    expect(lines.some((l) => l.level === 'warn' && /xt_recent: .*missing.*restoring/.test(l.msg))).toBe(true);
    // Nothing missing: nothing to repair.
    expect(await m.checkPresent()).toEqual([]);
    await m.flush();
  });

  it('reports a missing list (no rule uses it) and keeps retrying', async () => {
    const { log, lines } = collectLog();
    const config = cfg({ BLOCK_BACKEND: 'xt_recent', XT_RECENT_NAME: 'nosuchlist' });
    const backends = createBackends(config, backendContext({ run: t.runB, log }), { xtRecentDir: `/proc/${t.pidInB}/net/xt_recent` });
    const m = new BlockManager({ backends, policy: policyFromConfig(config), guard: openGuard, log });
    expect(await m.reconcile()).toBe(false);
    expect(m.failingBackends()).toEqual(['xt_recent']);
    expect(lines.find((l) => l.level === 'error')?.msg).toMatch(/nosuchlist does not exist.*--rcheck/);
  });
});

describe('hosts.deny backend', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsad-deny-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps ALL: lines between tsad markers, leaves admin lines and the file mode alone', async () => {
    const file = join(dir, 'hosts.deny');
    const admin = '# site policy\nsshd: 192.0.2.0/255.255.255.0\n';
    await writeFile(file, admin);
    await chmod(file, 0o644);
    let now = Date.now();
    const { manager } = plainManager(cfg({ BLOCK_BACKEND: 'hosts.deny', ETC_HOSTS_DENY_FILE: file }), () => now);
    await manager.reconcile();
    await manager.block('198.51.100.7', { timeoutSec: 60 });
    await manager.block('203.0.113.0/24', { timeoutSec: 0 });
    await manager.block('2001:db8::5', { timeoutSec: 0 });
    await manager.block('2001:db8:1:2::/64', { timeoutSec: 0 });
    expect(await readFile(file, 'utf8')).toBe(
      `${admin}${HOSTS_DENY_BEGIN}\nALL: 198.51.100.7\nALL: 203.0.113.0/255.255.255.0\nALL: [2001:db8::5]\nALL: [2001:db8:1:2::]/64\n${HOSTS_DENY_END}\n`,
    );
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    now += 61_000;
    await manager.tick(now);
    expect(await readFile(file, 'utf8')).not.toContain('198.51.100.7');
    await manager.unblock('2001:db8::5');
    expect(await readFile(file, 'utf8')).not.toContain('2001:db8::5]');
    await manager.flush();
    expect(await readFile(file, 'utf8')).toBe(admin);
  });
});

describe('command backend', () => {
  let dir: string;
  let script: string;
  let logFile: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tsad-cmd-'));
    script = join(dir, 'ban');
    logFile = join(dir, 'calls');
    await writeFile(join(dir, 'fail'), '');
    // Fails while the "fail" file exists; otherwise records its argv, one call per line.
    await writeFile(script, `#!/bin/sh\n[ -e ${dir}/fail ] && exit 3\nprintf '%s|' "$@" >> ${logFile}\necho >> ${logFile}\n`);
    await chmod(script, 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the program with whole-argument placeholders, retries a failure, and unblocks each block on flush', async () => {
    let now = Date.now();
    const config = cfg({ BLOCK_BACKEND: 'command', BLOCK_COMMAND: `${script} %ACTION% %ADDR% %TIMEOUT% %FAMILY% fixed` });
    const { manager, lines } = plainManager(config, () => now);
    const r = await manager.block('198.51.100.7', { timeoutSec: 60 });
    expect(r.ok && r.applied).toBe(false);
    expect(manager.failingBackends()).toEqual(['command']);
    expect(lines.some((l) => l.level === 'error' && l.msg.includes('BLOCK_COMMAND failed'))).toBe(true);
    await rm(join(dir, 'fail'));
    await manager.block('2001:db8::/48', { timeoutSec: 0 }); // skipped while the backend waits for its retry
    now += 1500;
    await manager.tick(now);
    expect(manager.failingBackends()).toEqual([]);
    expect(lines.some((l) => l.msg.includes('recovered'))).toBe(true);
    const calls = (await readFile(logFile, 'utf8')).trim().split('\n');
    expect(calls.sort()).toEqual(['block|198.51.100.7|59|4|fixed|', 'block|2001:db8::/48|0|6|fixed|'].sort());
    await manager.flush();
    const after = (await readFile(logFile, 'utf8')).trim().split('\n').slice(2);
    expect(after.sort()).toEqual(['unblock|198.51.100.7|0|4|fixed|', 'unblock|2001:db8::/48|0|6|fixed|']);
  });

  it('refuses a relative program, a placeholder inside an argument, and ipset with iptables', () => {
    expect(() => cfg({ BLOCK_COMMAND: 'ban %ADDR%' })).toThrow(ConfigError);
    expect(() => cfg({ BLOCK_COMMAND: '/bin/ban --ip=%ADDR%' })).toThrow(/whole argument/);
    expect(() => createBackends(cfg({ BLOCK_BACKEND: 'ipset, iptables' }), backendContext())).toThrow(ConfigError);
    expect(() => createBackends(cfg({ BLOCK_BACKEND: 'command' }), backendContext())).toThrow(/needs BLOCK_COMMAND/);
  });
});
