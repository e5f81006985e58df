/**
 * Issue 15, docs that disagreed with the program: each promise is run as a
 * person reads it (the README's example, --help text, the man page's
 * SYNOPSIS, `config check` output, --psad-conf's listing).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/run-cli.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'tsad-docs-'));

/** The man page as `man` shows it (groff), so the test reads words, not roff. */
function manText(page: string): string {
  return execFileSync('groff', ['-man', '-Tutf8', '-P-cbou', join(ROOT, 'man', page)], { encoding: 'utf8' });
}

describe('what the docs promise is what the program does', () => {
  it('the README\'s `signatures test` example runs and names the rule that fires', async () => {
    const m = /^ {4}tsad signatures test '([^']+)'$/m.exec(README);
    expect(m).not.toBeNull();
    const r = await runCli(['signatures', 'test', m![1]!]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/telnet/i);
  });

  it('the README\'s --since yesterday works with files and the journal words the man page lists', async () => {
    expect(README).toMatch(/--since yesterday/);
    for (const when of ['yesterday', '-2h', 'today', '2026-11-21 08:00', '2026-11-21T08:00:00Z', '@1763712000']) {
      const r = await runCli(['analyze', '--json', '--since', when, 'fixtures/sample/kern.log']);
      expect(r.code, when).toBe(0);
    }
    const man = manText('tsad.8');
    expect(man).toMatch(/yesterday/);
    expect(man).not.toMatch(/accepts only the local form/);
    expect((await runCli(['analyze', '--help'])).stdout).toMatch(/--since <time>.*yesterday/s);
  });

  it('the man SYNOPSIS gives unblock, blocks and flush their --socket', () => {
    const man = manText('tsad.8');
    const synopsis = man.slice(man.indexOf('SYNOPSIS'), man.indexOf('DESCRIPTION'));
    for (const cmd of ['unblock', 'blocks', 'flush']) {
      const entry = new RegExp(`tsad ${cmd}\\b([^]*?)(?=\\n {7}tsad |$)`).exec(synopsis)?.[1] ?? '';
      expect(entry, cmd).toContain('--socket');
    }
  });

  it('blocks --help offers no --dry-run for a listing (still accepted from old scripts)', async () => {
    const help = (await runCli(['blocks', '--help'])).stdout;
    expect(help).not.toContain('--dry-run');
    expect(help).toContain('--socket');
    expect((await runCli(['block', '--help'])).stdout).toContain('--dry-run');
    const old = await runCli(['blocks', '--dry-run', '--state-dir', dir, '--socket', join(dir, 'none.sock')]);
    expect(old.code).toBe(0);
    expect(old.stdout).toBe('no blocks\n');
  });

  it('config check reports every error, not only the first, with the nearest key of a misspelt one', async () => {
    const conf = join(dir, 'bad.conf');
    writeFileSync(conf, 'EMAIL_ADRESSES admin@example.org;\nFW_SEARCH_ALL maybe;\n# fine\nMIN_DANGER_LEVEL 2;\nENABLE_AUTO_ID Y;\nSCAN_TIMEOUT 60\nTOTALLY_UNKNOWN_SETTING 1;\n');
    const r = await runCli(['config', 'check', '-c', conf]);
    expect(r.code).toBe(78);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `tsad: configuration error: ${conf}:1: EMAIL_ADRESSES: unknown key (did you mean EMAIL_ADDRESSES?)`,
      `tsad: configuration error: ${conf}:2: FW_SEARCH_ALL: expected Y or N, got "maybe"`,
      `tsad: configuration error: ${conf}:5: ENABLE_AUTO_ID: unknown key (did you mean ENABLE_AUTO_IDS?)`,
      `tsad: configuration error: ${conf}:6: SCAN_TIMEOUT: missing ";" at the end of the value`,
      `tsad: configuration error: ${conf}:7: TOTALLY_UNKNOWN_SETTING: unknown key (see tsad.conf(5) for the list of keys)`,
      `tsad: 5 errors in ${conf}`,
    ]);
    // Any other command still stops at the first error it meets (a line it cannot read first), with the same words.
    const a = await runCli(['analyze', '-c', conf, 'fixtures/sample/kern.log']);
    expect(a.code).toBe(78);
    expect(a.stderr).toBe(`tsad: configuration error: ${conf}:6: SCAN_TIMEOUT: missing ";" at the end of the value\n`);
    writeFileSync(conf, 'MIN_DANGER_LEVEL 2;\n');
    expect(await runCli(['config', 'check', '-c', conf])).toMatchObject({ code: 0, stdout: `${conf}: OK\n` });
  });

  it('--psad-conf lists the psad keys tsad does not use, with the reason', async () => {
    const r = await runCli(['--psad-conf', join(ROOT, 'fixtures/psad/debian-2.4.6/psad.conf'), 'config', 'check']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^tsad: read psad configuration .*: 69 settings kept, 15 mapped, 127 not used by tsad:$/m);
    expect(r.stderr).toMatch(/^ {2}.*\bENABLE_PSADWATCHD\b.*: tsad runs under systemd/m);
    expect(r.stderr).toMatch(/^ {2}.*\bFW_CMD\b.*: tsad runs only the firewall tools/m);
  });

  it('ships no logrotate snippet for logs tsad never writes', () => {
    expect(existsSync(join(ROOT, 'etc/logrotate.d/tsad'))).toBe(false);
    expect(README).not.toMatch(/logrotate\.d/);
    expect(manText('tsad.8')).not.toMatch(/logrotate snippet/);
  });
});
