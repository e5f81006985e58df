/**
 * Issue 16, tested by installing: the Debian package from `npm run
 * package:deb` and the tarball from `npm pack` installed with
 * `npm install -g`, each run as a user would, from its installed place with a
 * clean environment (env -i) in a directory outside the repository, so
 * nothing comes from the repository's node_modules or dist/.
 *
 * Debian: lintian finds no error; dpkg -i; --version, analyze (the same report
 * as the repository's build, GeoIP from the embedded database; the HTML report
 * and the mail's PNG charts), config check,
 * man -w, systemd-analyze verify and security on the installed unit; the
 * installed daemon, with only the unit's capabilities and groups, detects a
 * real nmap scan between two namespaces from /dev/kmsg; remove keeps the
 * configuration and state, purge leaves nothing behind. npm: the same from a
 * temporary prefix, man pages found the way man finds them for a global
 * install (from the PATH), and uninstall.
 *
 * Root only (it installs the package on this machine, then purges it).
 * Refuses to run when a tsad package is already installed.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, waitStatus, type DaemonProc } from '../daemon/helpers/daemon-proc.js';
import { enableNamespaceLogging, isRoot, killDaemon, need, tool, writeConfig } from '../e2e/helpers/daemon.js';
import { Topology } from '../e2e/helpers/topology.js';
import { CLI, ROOT } from '../helpers/run-cli.js';

const exec = promisify(execFile);

const TOOLS = ['dh', 'dpkg-deb', 'lintian', 'man', 'systemd-analyze', 'strip', 'setpriv', 'nmap', 'nft', 'ip', 'npm'];
const ok = need('root', isRoot) && TOOLS.every((t) => need(t, tool('sh', ['-c', `command -v ${t}`])));

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const CLEAN_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command; never throws for a non-zero exit. */
async function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(cmd, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

/** `env -i PATH=... TZ=UTC PROGRAM ARGS` in `cwd`: what an installed program sees, nothing from this test run. */
function user(program: string, args: string[], cwd: string, path = CLEAN_PATH): Promise<Run> {
  return run('env', ['-i', `PATH=${path}`, 'TZ=UTC', `HOME=${cwd}`, program, ...args], { cwd });
}

async function must(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stderr.slice(-4000)}`);
  return r.stdout;
}

async function packageStatus(): Promise<string> {
  return (await run('dpkg-query', ['-W', '-f=${Status}', 'tsad'])).stdout.trim();
}

/** Unit settings as lists: `CapabilityBoundingSet=A B` -> ['A', 'B']. */
function unitValues(unit: string, key: string): string[] {
  return [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].flatMap((m) => (m[1] as string).trim().split(/\s+/)).filter((v) => v !== '');
}

interface JsonReport {
  sources: Array<{ src: string; dl: number; country: string | null; tool: string | null; scanTypes: string[]; signatures: unknown[] }>;
}

let work = '';
let log = '';
let expected: Run = { code: -1, stdout: '', stderr: '' };
let topo: Topology | null = null;
let restoreLogging: (() => void) | null = null;
let daemon: DaemonProc | null = null;

beforeAll(async () => {
  if (!ok) return;
  const status = await packageStatus();
  if (status !== '' && status !== 'unknown ok not-installed') throw new Error(`a tsad package is already on this machine (${status}); the test installs and purges its own, so remove it first`);
  work = mkdtempSync(join(tmpdir(), 'tsad-install-'));
  // The sample fixture, plus one of its scans again from a public address, so the report shows a country.
  log = join(work, 'kern.log');
  copyFileSync(join(ROOT, 'fixtures/sample/kern.log'), log);
  const scan = readFileSync(log, 'utf8').split('\n').filter((l) => l.includes(' SRC=203.0.113.5 '));
  appendFileSync(log, scan.map((l) => `${l.replace(' SRC=203.0.113.5 ', ' SRC=8.8.8.8 ')}\n`).join(''));
  const { mtime } = statSync(join(ROOT, 'fixtures/sample/kern.log'));
  utimesSync(log, mtime, mtime); // syslog years are inferred from the file time
  // What the repository's build reports on it: the installed programs must say the same.
  expected = await run(process.execPath, [CLI, 'analyze', '--json', log], { cwd: work, env: { PATH: CLEAN_PATH, TZ: 'UTC' } });
  restoreLogging = enableNamespaceLogging();
  topo = await Topology.create();
}, 120_000);

afterAll(async () => {
  await killDaemon(daemon);
  await topo?.destroy();
  restoreLogging?.();
  if (ok && (await packageStatus()).includes('ok')) await run('dpkg', ['--purge', 'tsad']);
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Starts `COMMAND daemon` in namespace B reading /dev/kmsg, scans B from A with nmap and waits until the daemon reports A. */
async function detectsScan(command: string[], args: string[]): Promise<JsonReport['sources'][number]> {
  const t = topo as Topology;
  daemon = await startDaemon([...args, '--source', 'kmsg'], join(work, 'tsad.sock'), { ns: t.b, command, cwd: work });
  const states = await t.scan(t.v4.b, '1000-1100');
  expect((states.closed ?? 0) + (states.filtered ?? 0)).toBe(101);
  const st = await waitStatus(daemon, (r) => ((r.report as JsonReport).sources.find((s) => s.src === t.v4.a)?.dl ?? 0) >= 2);
  const a = (st.report as JsonReport).sources.find((s) => s.src === t.v4.a) as JsonReport['sources'][number];
  expect(await daemon.stop()).toBe(0);
  daemon = null;
  return a;
}

/** A configuration for the daemon tests: only this run's kernel lines count (the topology's log prefix). */
function daemonConfig(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  return writeConfig(dir, { FW_SEARCH_ALL: 'N', FW_MSG_SEARCH: (topo as Topology).prefix, ENABLE_GEOIP: 'Y' });
}

/** The report an installed `tsad analyze --json` gives is the repository build's report, and it found its data files. */
function checkAnalysis(r: Run): void {
  expect(r.stderr).toBe(expected.stderr);
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(expected.stdout);
  const report = JSON.parse(r.stdout) as JsonReport;
  expect(report.sources.find((s) => s.src === '8.8.8.8')?.country).toBe('US'); // the embedded GeoIP database
  expect(report.sources.some((s) => s.signatures.length > 0)).toBe(true); // the shipped signatures
}

/**
 * The HTML report (vega charts as SVG) and the report mail's PNG charts (resvg's WebAssembly module,
 * a data file of its npm package), written by an installed tsad; the mail goes to a stand-in sendmail.
 */
async function checkCharts(cwd: string, path = CLEAN_PATH): Promise<void> {
  const html = join(cwd, 'report.html');
  expect(await user('tsad', ['analyze', '--html', html, log], cwd, path)).toMatchObject({ code: 0, stderr: '' });
  expect(readFileSync(html, 'utf8')).toMatch(/<svg[^>]*>/);
  const sendmail = join(cwd, 'sendmail');
  writeFileSync(sendmail, `#!/bin/sh\ncat > '${cwd}/mail.eml'\n`, { mode: 0o755 });
  // STATE_DIR (the mail queue) in the scratch directory, not /var/lib/tsad.
  writeFileSync(join(cwd, 'mail.conf'), `SENDMAIL_PATH ${sendmail};\nEMAIL_ADDRESSES root@localhost;\nSTATE_DIR ${cwd}/state;\n`);
  expect(await user('tsad', ['analyze', '-c', join(cwd, 'mail.conf'), '--email', log], cwd, path)).toMatchObject({ code: 0 });
  expect(readFileSync(join(cwd, 'mail.eml'), 'utf8')).toMatch(/^Content-Type: image\/png/m);
}

describe.skipIf(!ok)('the Debian package', () => {
  let deb = '';
  let debDir = '';
  const unitPath = '/lib/systemd/system/tsad.service';

  it('builds with npm run package:deb and passes lintian without errors', async () => {
    debDir = join(work, 'deb');
    mkdirSync(debDir);
    // The same build as `npm run package:deb` (npm test has just built dist/), written to a
    // scratch directory and compressed with gzip -1 instead of xz: minutes saved, same contents.
    await must(process.execPath, [join(ROOT, 'dist/packaging/build-deb.js'), debDir], {
      env: { ...process.env, DPKG_DEB_COMPRESSOR_TYPE: 'gzip', DPKG_DEB_COMPRESSOR_LEVEL: '1' },
    });
    const arch = (await must('dpkg', ['--print-architecture'])).trim();
    deb = join(debDir, `tsad_${VERSION}_${arch}.deb`);
    expect(existsSync(deb)).toBe(true);
    const files = (await must('dpkg-deb', ['-c', deb])).split('\n').map((l) => l.replace(/^.* \.\//, '/').replace(/ -> .*$/, ''));
    for (const f of [
      '/usr/bin/tsad', '/etc/tsad/tsad.conf', '/etc/tsad/auto_dl', unitPath, '/usr/lib/tmpfiles.d/tsad.conf',
      '/usr/share/tsad/package.json', '/usr/share/tsad/signatures/scan.rules', '/usr/share/tsad/etc/os-fingerprints',
      '/usr/share/tsad/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb',
      '/usr/share/tsad/node_modules/@resvg/resvg-wasm/index_bg.wasm',
      '/usr/share/man/man8/tsad.8.gz', '/usr/share/man/man5/tsad.conf.5.gz', '/usr/share/man/man5/tsad-signatures.5.gz',
      '/usr/share/man/man5/tsad-patterns.5.gz',
      '/usr/share/doc/tsad/copyright', '/usr/share/doc/tsad/changelog.gz', '/usr/share/doc/tsad/examples/tsad-logging.nft',
    ]) expect(files).toContain(f);
    expect(files.filter((f) => f.includes('logrotate'))).toEqual([]); // tsad writes no log file
    const control = await must('dpkg-deb', ['-f', deb, 'Depends', 'Package', 'Version']);
    expect(control).not.toMatch(/nodejs/); // self-contained
    expect(control).toContain(`Version: ${VERSION}`);
    // Enabled on installation, never started by it (dh_installsystemd --no-start).
    const postinst = await must('sh', ['-c', `dpkg-deb --ctrl-tarfile '${deb}' | tar -xO ./postinst`]);
    expect(postinst).toMatch(/deb-systemd-helper enable 'tsad\.service'/);
    expect(postinst).not.toMatch(/deb-systemd-invoke .*start/);
    const lint = await run('lintian', ['--fail-on', 'error', deb]);
    expect(lint.stdout.split('\n').filter((l) => l.startsWith('E:'))).toEqual([]);
    expect(lint.code).toBe(0);
  }, 900_000);

  it('installs with dpkg -i: conffiles, a root-only state directory, the unit enabled', async () => {
    expect(deb).not.toBe('');
    await must('dpkg', ['-i', deb]);
    expect(await packageStatus()).toBe('install ok installed');
    expect((await must('dpkg-query', ['-W', '-f=${Conffiles}', 'tsad']))).toMatch(/\/etc\/tsad\/tsad\.conf [0-9a-f]{32}/);
    expect(readFileSync('/etc/tsad/tsad.conf', 'utf8')).toBe(readFileSync(join(ROOT, 'etc/tsad.conf'), 'utf8'));
    expect(statSync('/var/lib/tsad').mode & 0o777).toBe(0o700);
    expect(existsSync('/etc/systemd/system/multi-user.target.wants/tsad.service')).toBe(true);
  });

  it('runs from /usr/bin/tsad with a clean environment outside the repository', async () => {
    const cwd = join(work, 'user');
    mkdirSync(cwd);
    const v = await user('tsad', ['--version'], cwd);
    expect(v).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    checkAnalysis(await user('tsad', ['analyze', '--json', log], cwd));
    const text = await user('tsad', ['analyze', log], cwd);
    expect(text.stdout).toMatch(/^ {4}Level 3: \d+ IP addresses$/m);
    await checkCharts(cwd);
    expect(await user('tsad', ['config', 'check'], cwd)).toMatchObject({ code: 0 });
    expect(await user('tsad', ['config', 'check', '-c', '/etc/tsad/tsad.conf'], cwd)).toMatchObject({ code: 0 });
    const sigs = await user('tsad', ['signatures', 'check'], cwd);
    expect(sigs.code).toBe(0);
    expect((await user('man', ['-w', 'tsad'], cwd)).stdout.trim()).toBe('/usr/share/man/man8/tsad.8.gz');
    expect((await user('man', ['-w', 'tsad.conf'], cwd)).stdout.trim()).toBe('/usr/share/man/man5/tsad.conf.5.gz');
  });

  it('the installed unit passes systemd-analyze verify and is hardened', async () => {
    const verify = await run('systemd-analyze', ['verify', unitPath]);
    expect(verify.stderr).toBe('');
    expect(verify.code).toBe(0);
    const security = await run('systemd-analyze', ['security', '--offline=true', '--no-pager', unitPath]);
    const exposure = Number(/Overall exposure level for tsad\.service: ([\d.]+)/.exec(security.stdout)?.[1]);
    expect(exposure).toBeLessThanOrEqual(2.5); // the unit before hardening scored 3.2
  });

  it('the installed daemon, with only the unit\'s capabilities, detects an nmap scan from /dev/kmsg in a namespace', async () => {
    const unit = readFileSync(unitPath, 'utf8');
    const caps = unitValues(unit, 'CapabilityBoundingSet').map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`);
    const groups = unitValues(unit, 'SupplementaryGroups');
    expect(caps).toContain('+net_admin');
    // What systemd would do for the unit: bound the capabilities, add the groups, no new privileges.
    const command = ['env', '-i', `PATH=${CLEAN_PATH}`, 'setpriv', '--inh-caps=-all', `--bounding-set=-all,${caps.join(',')}`, '--groups', groups.join(','), '--no-new-privs', '/usr/bin/tsad'];
    const a = await detectsScan(command, ['-c', daemonConfig('deb-daemon')]);
    expect(a.scanTypes).toContain('SYN');
    expect(a.tool).toBe('nmap');
    // The default STATE_DIR of the package.
    expect(existsSync('/var/lib/tsad/state.json')).toBe(true);
  });

  it('remove keeps the configuration and the state; purge leaves nothing behind', async () => {
    const files = (await must('dpkg-query', ['-L', 'tsad'])).split('\n').filter((f) => f !== '' && !statSync(f).isDirectory());
    expect(files).toContain('/usr/bin/tsad');
    await must('dpkg', ['--remove', 'tsad']);
    expect(await packageStatus()).toBe('deinstall ok config-files');
    expect(existsSync('/usr/bin/tsad')).toBe(false);
    expect(existsSync('/etc/tsad/tsad.conf')).toBe(true);
    expect(existsSync('/var/lib/tsad/state.json')).toBe(true);
    await must('dpkg', ['--purge', 'tsad']);
    expect((await run('dpkg-query', ['-W', 'tsad'])).code).not.toBe(0); // dpkg no longer knows it
    const left = [...files, '/etc/tsad', '/var/lib/tsad', '/usr/share/tsad', '/usr/share/doc/tsad', '/etc/systemd/system/multi-user.target.wants/tsad.service'].filter((f) => existsSync(f));
    expect(left).toEqual([]);
  });
});

describe.skipIf(!ok)('npm pack and npm install -g', () => {
  let prefix = '';

  it('installs the packed tarball globally: tsad on the PATH, man pages found, data files from the installed package', async () => {
    const packDir = join(work, 'pack');
    mkdirSync(packDir);
    // npm test has just built dist/; --ignore-scripts skips the build that `npm pack` would repeat.
    const tarball = (await must('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir], { env: { ...process.env, npm_config_loglevel: 'error' } })).trim().split('\n').pop() as string;
    prefix = join(work, 'prefix');
    await must('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(packDir, tarball)], { cwd: packDir });
    const cwd = join(work, 'npm-user');
    mkdirSync(cwd);
    const path = `${prefix}/bin:${CLEAN_PATH}`;
    expect(await user('tsad', ['--version'], cwd, path)).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    checkAnalysis(await user('tsad', ['analyze', '--json', log], cwd, path));
    await checkCharts(cwd, path);
    expect(await user('tsad', ['config', 'check'], cwd, path)).toMatchObject({ code: 0 });
    // man-db finds PREFIX/share/man from PREFIX/bin on the PATH, as for any global install.
    const man = await user('man', ['-w', 'tsad'], cwd, path);
    expect(man.stdout.trim()).toMatch(new RegExp(`^${prefix}/.*tsad\\.8$`));
    expect((await user('man', ['-w', 'tsad-signatures'], cwd, path)).stdout.trim()).toMatch(new RegExp(`^${prefix}/.*tsad-signatures\\.5$`));
  }, 300_000);

  it('the globally installed daemon detects an nmap scan from /dev/kmsg in a namespace', async () => {
    expect(prefix).not.toBe('');
    const command = ['env', '-i', `PATH=${prefix}/bin:${CLEAN_PATH}`, 'tsad'];
    // Its state goes to the scratch directory: the Debian package's /var/lib/tsad is purged by now.
    const state = join(work, 'npm-state');
    const a = await detectsScan(command, ['-c', daemonConfig('npm-daemon'), '--state-dir', state]);
    expect(a.tool).toBe('nmap');
    expect(existsSync(join(state, 'state.json'))).toBe(true);
  });

  it('npm uninstall -g removes the command and the man pages', async () => {
    await must('npm', ['uninstall', '-g', '--prefix', prefix, 'tsad'], { cwd: work });
    expect(existsSync(join(prefix, 'bin/tsad'))).toBe(false);
    expect(existsSync(join(prefix, 'share/man/man8/tsad.8'))).toBe(false);
    expect(existsSync(join(prefix, 'lib/node_modules/tsad'))).toBe(false);
  });
});
