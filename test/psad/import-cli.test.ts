/**
 * `tsad config import-psad DIR` through commander (registerImportPsad on a
 * "config" command, as the lead wires it): the written tsad.conf loads as
 * the same configuration, documents what was left out, copies the data
 * files on request and refuses to overwrite without --force.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerImportPsad } from '../../src/cli/commands/psad.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfigFile } from '../../src/config/load.js';
import { applyPsadConf } from '../../src/config/psad-import.js';

const DEBIAN = new URL('../../fixtures/psad/debian-2.4.6/', import.meta.url).pathname.replace(/\/$/, '');
const tmp = mkdtempSync(join(tmpdir(), 'tsad-import-psad-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs `tsad config import-psad ARGS`; returns what it printed. */
async function importPsad(args: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  const program = new Command('tsad').exitOverride();
  registerImportPsad(program.command('config'));
  try {
    await program.parseAsync(['config', 'import-psad', ...args], { from: 'user' });
  } finally {
    vi.restoreAllMocks();
  }
  return { stdout, stderr };
}

afterEach(() => vi.restoreAllMocks());

describe('tsad config import-psad', () => {
  it('writes a tsad.conf that loads as the imported configuration and lists what was left out', async () => {
    const out = join(tmp, 'a', 'tsad.conf');
    const { stdout } = await importPsad([DEBIAN, '-o', out]);
    expect(stdout).toMatch(/211 settings: 69 same in tsad, 15 mapped to other tsad keys, 127 ignored, 0 tsad keys, 0 unknown/);
    expect(stdout).toMatch(/^Checks of the psad files:$/m);
    expect(stdout).toContain(`Wrote ${out}`);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/^# Imported from .*debian-2\.4\.6\/psad\.conf by "tsad config import-psad"\./);
    expect(text).toMatch(/^### psad settings not carried over$/m);
    expect(text).toMatch(/^# ENABLE_PSADWATCHD, PSADWATCHD_CHECK_INTERVAL, PSADWATCHD_MAX_RETRIES: tsad\n# runs under systemd/m);
    const { cfg } = applyPsadConf(join(DEBIAN, 'psad.conf'));
    const back = loadConfigFile(out);
    expect(back.SIGNATURES_PATH).toEqual([join(DEBIAN, 'signatures')]);
    expect(back.AUTO_BLOCK_DL1_TIMEOUT).toBeNull();
    expect({ ...back, HTTP_SERVERS: '', SMTP_SERVERS: '', DNS_SERVERS: '', SQL_SERVERS: '', TELNET_SERVERS: '' }).toEqual({ ...cfg, HTTP_SERVERS: '', SMTP_SERVERS: '', DNS_SERVERS: '', SQL_SERVERS: '', TELNET_SERVERS: '' });
  });

  it('takes the psad.conf file itself as well as the directory', async () => {
    const out = join(tmp, 'b.conf');
    await importPsad([join(DEBIAN, 'psad.conf'), '-o', out]);
    expect(loadConfigFile(out).DANGER_LEVEL3).toBe(150);
  });

  it('without -o prints tsad.conf on stdout and the report on stderr', async () => {
    const { stdout, stderr } = await importPsad([DEBIAN]);
    expect(stdout).toMatch(/^# Imported from /);
    expect(stdout).toMatch(/^DANGER_LEVEL1    5;$/m);
    expect(stderr).toMatch(/^Ignored \(tsad does not use these\):$/m);
    expect(stderr).toMatch(/^  CHECK_INTERVAL, PERSISTENCE_CTR_THRESHOLD, FW_MSG_READ_MIN_PKTS: tsad reacts/m);
  });

  it('--copy-files copies auto_dl, signatures and snort_rule_dl and points tsad.conf at the copies', async () => {
    const dest = join(tmp, 'etc-tsad');
    const out = join(dest, 'tsad.conf');
    await importPsad([DEBIAN, '-o', out, '--copy-files', dest]);
    for (const f of ['auto_dl', 'signatures', 'snort_rule_dl']) expect(readFileSync(join(dest, f), 'utf8')).toBe(readFileSync(join(DEBIAN, f), 'utf8'));
    expect(existsSync(join(dest, 'pf.os'))).toBe(false);
    const cfg = loadConfigFile(out);
    expect(cfg.AUTO_DL_FILE).toBe(join(dest, 'auto_dl'));
    expect(cfg.SIGNATURES_PATH).toEqual([join(dest, 'signatures')]);
    expect(cfg.SNORT_RULE_DL_FILE).toBe(join(dest, 'snort_rule_dl'));
    // Copies exist now: a second run needs --force.
    await expect(importPsad([DEBIAN, '-o', join(tmp, 'other.conf'), '--copy-files', dest])).rejects.toThrow(UsageError);
  });

  it('refuses to overwrite the output without --force', async () => {
    const out = join(tmp, 'c.conf');
    writeFileSync(out, 'KEEP ME;\n');
    await expect(importPsad([DEBIAN, '-o', out])).rejects.toThrow(/exists \(use --force/);
    expect(readFileSync(out, 'utf8')).toBe('KEEP ME;\n');
    await importPsad([DEBIAN, '-o', out, '--force']);
    expect(loadConfigFile(out).DANGER_LEVEL1).toBe(5);
  });

  it('a copy of /etc/psad elsewhere reads its own files; psad 3.0 feeds survive the round trip', async () => {
    const dir = join(tmp, 'psad30');
    mkdirSync(dir);
    cpSync(DEBIAN, dir, { recursive: true });
    const feed = 'REPUTATION_FEED "EmergingThreats Block IPs",4,IP,newline,1440,Y,ET-Block-IPs,"/usr/bin/curl -o $LOCAL_FILE https://rules.emergingthreats.net/fwrules/emerging-Block-IPs.txt";';
    writeFileSync(join(dir, 'psad.conf'), `${readFileSync(join(dir, 'psad.conf'), 'utf8')}\nENABLE_REPUTATION_FEEDS Y;\n${feed}\nREPUTATION_FEEDS_DIR $PSAD_CONF_DIR/reputation_feeds;\n`);
    const out = join(tmp, 'd.conf');
    await importPsad([dir, '-o', out]);
    const cfg = loadConfigFile(out);
    expect(cfg.AUTO_DL_FILE).toBe(join(dir, 'auto_dl'));
    expect(cfg.REPUTATION_FEEDS_DIR).toBe(join(dir, 'reputation_feeds'));
    expect(cfg.REPUTATION_FEED).toEqual([feed.slice('REPUTATION_FEED '.length, -1)]);
  });

  it('a directory without psad.conf is a configuration error', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    await expect(importPsad([empty])).rejects.toThrow(ConfigError);
  });
});
