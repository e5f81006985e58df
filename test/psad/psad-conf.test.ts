/**
 * psad.conf syntax as psad reads it, the translations of keys whose form
 * differs, and the errors (file:line:key) for a broken psad.conf.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfigFile } from '../../src/config/load.js';
import { parsePsadConf } from '../../src/config/psad-conf.js';
import { applyPsadConf, type PsadImportReport } from '../../src/config/psad-import.js';
import { resolvePsadPath } from '../../src/config/psad-translate.js';

const root = mkdtempSync(join(tmpdir(), 'tsad-psad-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** Writes psad.conf text into a fresh directory and returns the file's path. */
function psadConf(text: string): string {
  const dir = join(root, `d${n++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'psad.conf'), text);
  return join(dir, 'psad.conf');
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const rowOf = (report: PsadImportReport, key: string) => report.rows.find((r) => r.key === key);

describe('psad.conf syntax, as psad reads it', () => {
  it('the value runs to the first ";", whatever follows is a comment; # lines are comments', () => {
    const c = parsePsadConf('# a comment\n\n  DANGER_LEVEL1   7;  number of packets, no # needed\nSNORT_SID_STR  a;b;\n', 'p.conf');
    expect(c.lines.map((l) => [l.key, l.value, l.line])).toEqual([['DANGER_LEVEL1', '7', 3], ['SNORT_SID_STR', 'a', 4]]);
  });

  it('the first definition wins; later ones are listed, not used; FW_MSG_SEARCH collects every line', () => {
    const { cfg, report } = applyPsadConf(psadConf('DANGER_LEVEL1 7;\nFW_MSG_SEARCH DROP;\nDANGER_LEVEL1 9;\nFW_MSG_SEARCH REJECT;\n'));
    expect(cfg.DANGER_LEVEL1).toBe(7);
    expect(cfg.FW_MSG_SEARCH).toEqual(['DROP', 'REJECT']);
    expect(report.rows.find((r) => r.line === 3)).toMatchObject({ key: 'DANGER_LEVEL1', status: 'ignored', note: 'set again: psad and tsad use line 1' });
  });

  it('expands $VARIABLES wherever they are defined, $INSTALL_ROOT "/" to nothing, and through several levels', () => {
    const c = parsePsadConf('AUTO_DL_FILE $PSAD_CONF_DIR/auto_dl;\nPSAD_CONF_DIR $INSTALL_ROOT/etc/psad;\nINSTALL_ROOT /;\nHOME_NET 10.0.0.0/8;\nHTTP_SERVERS $HOME_NET;\n', 'p.conf');
    const v = Object.fromEntries(c.lines.map((l) => [l.key, l.value]));
    expect(v.AUTO_DL_FILE).toBe('/etc/psad/auto_dl');
    expect(v.HTTP_SERVERS).toBe('10.0.0.0/8');
    const other = parsePsadConf('INSTALL_ROOT /opt/psad;\nPSAD_DIR $INSTALL_ROOT/var/log/psad;\n', 'p.conf');
    expect(other.lines[1]?.value).toBe('/opt/psad/var/log/psad');
  });

  it('leaves an undefined $NAME inside double quotes (psad\'s $LOCAL_FILE in feed commands)', () => {
    const c = parsePsadConf('REPUTATION_FEED "ET",4,IP,newline,1440,Y,et.txt,"/usr/bin/curl -o $LOCAL_FILE https://example.org/x";\n', 'p.conf');
    expect(c.lines[0]?.value).toContain('$LOCAL_FILE');
  });

  it.each([
    ['missing ";"', 'DANGER_LEVEL1 5;\nDANGER_LEVEL2 15\n', 2, 'DANGER_LEVEL2', /missing ";"/],
    ['missing value', '\nDANGER_LEVEL1;\n', 2, 'DANGER_LEVEL1', /missing value/],
    ['unreadable line', 'DANGER=LEVEL 5;\n', 1, '', /expected "KEY value;"/],
    ['unknown variable', 'PSAD_DIR $NO_SUCH_DIR/x;\n', 1, 'PSAD_DIR', /unknown variable \$NO_SUCH_DIR/],
    ['variable loop', 'A_DIR $B_DIR;\nB_DIR $A_DIR;\n', 2, 'B_DIR', /variable loop: \$A_DIR -> \$B_DIR -> \$A_DIR/],
    ['bad number', '# psad.conf\nDANGER_LEVEL1 lots;\n', 2, 'DANGER_LEVEL1', /expected a whole number/],
    ['bad flag', 'ENABLE_AUTO_IDS maybe;\n', 1, 'ENABLE_AUTO_IDS', /expected Y or N/],
    ['bad port list', 'IGNORE_PORTS tcp/99999;\n', 1, 'IGNORE_PORTS', /65535/],
    ['bad mail address', 'EMAIL_ADDRESSES root;\n', 1, 'EMAIL_ADDRESSES', /not a plain mail address/],
    ['bad translated value', 'EMAIL_APPEND_HEADER From: not an address;\n', 1, 'EMAIL_APPEND_HEADER (as EMAIL_FROM)', /mail address/],
    ['bad IPT_AUTO_CHAIN', 'IPT_AUTO_CHAIN1 DROP, src, filter;\n', 1, 'IPT_AUTO_CHAIN1', /7 comma separated fields/],
  ])('a broken psad.conf is an error naming file, line and key: %s', (_what, text, line, key, reason) => {
    const file = psadConf(text);
    const err = configError(() => applyPsadConf(file));
    expect(err.file).toBe(file);
    expect(err.line).toBe(line);
    expect(err.key).toBe(key);
    expect(err.reason).toMatch(reason);
    expect(err.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:${line}: `));
  });

  it('an unreadable or missing file is an error on line 0', () => {
    const err = configError(() => applyPsadConf(join(root, 'nowhere', 'psad.conf')));
    expect(err.line).toBe(0);
    expect(err.reason).toMatch(/cannot read the file: ENOENT/);
  });
});

describe('keys tsad does not support: listed through --psad-conf, errors in tsad.conf', () => {
  it('psad-only and unknown keys are listed with a reason, never errors', () => {
    const { report } = applyPsadConf(psadConf('CHECK_INTERVAL 5;\nENABLE_DSHIELD_ALERTS Y;\nTOP_STATUS_THRESHOLD 50;\nMAX_TRACKED_SOURCES 5000;\n'));
    expect(rowOf(report, 'CHECK_INTERVAL')).toMatchObject({ status: 'ignored' });
    expect(rowOf(report, 'ENABLE_DSHIELD_ALERTS')?.note).toMatch(/^not supported/);
    expect(rowOf(report, 'TOP_STATUS_THRESHOLD')).toMatchObject({ status: 'unknown' });
    expect(rowOf(report, 'MAX_TRACKED_SOURCES')).toMatchObject({ status: 'tsad', tsad: ['MAX_TRACKED_SOURCES'] });
    expect(report.counts).toEqual({ same: 0, mapped: 0, ignored: 2, tsad: 1, unknown: 1 });
  });

  it('the same psad-only line in tsad.conf is an unknown-key error; a "same" psad key is valid there', () => {
    const dir = mkdtempSync(join(root, 'tsadconf-'));
    writeFileSync(join(dir, 'bad.conf'), 'DANGER_LEVEL1 7;\nCHECK_INTERVAL 5;\n');
    const err = configError(() => loadConfigFile(join(dir, 'bad.conf')));
    expect([err.line, err.key]).toEqual([2, 'CHECK_INTERVAL']);
    expect(err.reason).toMatch(/unknown key/);
    writeFileSync(join(dir, 'good.conf'), 'DANGER_LEVEL1 7;    ### Number of packets.\nAUTO_BLOCK_TIMEOUT 600;\nAUTO_BLOCK_DL1_TIMEOUT $AUTO_BLOCK_TIMEOUT;\n');
    const cfg = loadConfigFile(join(dir, 'good.conf'));
    expect([cfg.DANGER_LEVEL1, cfg.AUTO_BLOCK_DL1_TIMEOUT]).toEqual([7, 600]);
  });
});

describe('keys whose form differs', () => {
  it('EMAIL_ADDRESSES comma or space separated; IGNORE_PORTS with spaces; $AUTO_BLOCK_TIMEOUT as INHERIT', () => {
    const { cfg, report } = applyPsadConf(psadConf('EMAIL_ADDRESSES a@example.org b@example.org,c@example.org;\nIGNORE_PORTS tcp/61000 - 61356, udp/53;\nAUTO_BLOCK_TIMEOUT 600;\nAUTO_BLOCK_DL2_TIMEOUT $AUTO_BLOCK_TIMEOUT;\nAUTO_BLOCK_DL3_TIMEOUT 60;\n'));
    expect(cfg.EMAIL_ADDRESSES).toEqual(['a@example.org', 'b@example.org', 'c@example.org']);
    expect(cfg.IGNORE_PORTS).toEqual(['tcp/61000-61356', 'udp/53']);
    expect([cfg.AUTO_BLOCK_DL2_TIMEOUT, cfg.AUTO_BLOCK_DL3_TIMEOUT]).toEqual([null, 60]);
    expect(rowOf(report, 'AUTO_BLOCK_DL2_TIMEOUT')?.note).toBe('written as "INHERIT"');
  });

  it.each([
    ['journalctl reading', 'ENABLE_FW_MSG_READ_CMD Y;\nFW_MSG_READ_CMD /bin/journalctl;\nFW_MSG_READ_CMD_ARGS -f -k;\n', ['journald']],
    ['auto-detection', 'AUTO_DETECT_JOURNALCTL Y;\nENABLE_SYSLOG_FILE Y;\n', ['auto']],
    ['a syslog file', 'AUTO_DETECT_JOURNALCTL N;\nENABLE_SYSLOG_FILE Y;\nIPT_SYSLOG_FILE /var/log/kern.log;\n', ['file:/var/log/kern.log']],
    ['kmsgsd', 'AUTO_DETECT_JOURNALCTL N;\nENABLE_SYSLOG_FILE N;\n', ['kmsg']],
  ])('how psad found its log becomes DAEMON_SOURCES: %s', (_what, text, sources) => {
    const { cfg, report } = applyPsadConf(psadConf(text));
    expect(cfg.DAEMON_SOURCES).toEqual(sources);
    for (const r of report.rows.filter((x) => x.key !== 'IPT_SYSLOG_FILE')) expect(r).toMatchObject({ status: 'mapped', tsad: ['DAEMON_SOURCES'] });
  });

  it('another FW_MSG_READ_CMD than journalctl is listed as ignored, with what to do instead', () => {
    const { cfg, report } = applyPsadConf(psadConf('ENABLE_FW_MSG_READ_CMD Y;\nFW_MSG_READ_CMD /usr/local/bin/mylogs;\n'));
    expect(cfg.DAEMON_SOURCES).toEqual(['auto']);
    expect(rowOf(report, 'FW_MSG_READ_CMD')).toMatchObject({ status: 'ignored' });
    expect(rowOf(report, 'FW_MSG_READ_CMD')?.note).toMatch(/--source stdin/);
  });

  it.each([
    ['iptables', 'IPTABLES_BLOCK_METHOD Y;\nTCPWRAPPERS_BLOCK_METHOD N;\n', ['iptables']],
    ['both', 'IPTABLES_BLOCK_METHOD Y;\nTCPWRAPPERS_BLOCK_METHOD Y;\n', ['iptables', 'hosts.deny']],
    ['tcpwrappers', 'IPTABLES_BLOCK_METHOD N;\nTCPWRAPPERS_BLOCK_METHOD Y;\n', ['hosts.deny']],
    // "none" reads as the empty list, as NONE does in every list key: no backend.
    ['neither', 'IPTABLES_BLOCK_METHOD N;\nTCPWRAPPERS_BLOCK_METHOD N;\n', []],
  ])('psad\'s block methods become BLOCK_BACKEND: %s', (_what, text, backends) => {
    expect(applyPsadConf(psadConf(text)).cfg.BLOCK_BACKEND).toEqual(backends);
  });

  it('IPT_AUTO_CHAIN<n>: the target becomes BLOCK_TARGET; an unsupported target or layout is reported', () => {
    const reject = applyPsadConf(psadConf('IPT_AUTO_CHAIN1 REJECT, src, filter, INPUT, 1, PSAD_BLOCK_INPUT, 1;\nIPT_AUTO_CHAIN2 REJECT, dst, filter, OUTPUT, 1, PSAD_BLOCK_OUTPUT, 1;\n'));
    expect(reject.cfg.BLOCK_TARGET).toBe('REJECT');
    expect(rowOf(reject.report, 'IPT_AUTO_CHAIN2')).toMatchObject({ status: 'mapped', tsad: ['BLOCK_TARGET'] });
    const custom = applyPsadConf(psadConf('IPT_AUTO_CHAIN1 MYCHAIN, src, nat, PREROUTING, 2, PSAD_BLOCK, 1;\n'));
    expect(custom.cfg.BLOCK_TARGET).toBe('DROP');
    expect(rowOf(custom.report, 'IPT_AUTO_CHAIN1')).toMatchObject({ status: 'ignored' });
    expect(rowOf(custom.report, 'IPT_AUTO_CHAIN1')?.note).toMatch(/MYCHAIN not carried over.*custom chain layout/);
  });

  it('EMAIL_APPEND_HEADER From: becomes EMAIL_FROM; another header is listed as ignored', () => {
    expect(applyPsadConf(psadConf('EMAIL_APPEND_HEADER From:psad@example.org;\n')).cfg.EMAIL_FROM).toBe('psad@example.org');
    const other = applyPsadConf(psadConf('EMAIL_APPEND_HEADER X-Psad: yes;\n'));
    expect(other.cfg.EMAIL_FROM).toBe('tsad@localhost');
    expect(rowOf(other.report, 'EMAIL_APPEND_HEADER')).toMatchObject({ status: 'ignored' });
  });

  it('MAX_SCAN_IP_PAIRS bounds tracked sources (0 keeps the default); sendmailCmd is SENDMAIL_PATH', () => {
    expect(applyPsadConf(psadConf('MAX_SCAN_IP_PAIRS 50000;\n')).cfg.MAX_TRACKED_SOURCES).toBe(50000);
    expect(applyPsadConf(psadConf('MAX_SCAN_IP_PAIRS 10;\n')).cfg.MAX_TRACKED_SOURCES).toBe(100);
    expect(applyPsadConf(psadConf('MAX_SCAN_IP_PAIRS 0;\n')).cfg.MAX_TRACKED_SOURCES).toBe(1_000_000);
    expect(applyPsadConf(psadConf('sendmailCmd /usr/lib/sendmail;\n')).cfg.SENDMAIL_PATH).toBe('/usr/lib/sendmail');
  });

  it('a tsad key written in psad.conf wins over the value translated from a psad key', () => {
    const file = psadConf('SIGS_FILE signatures;\nSIGNATURES_PATH shipped;\n');
    writeFileSync(join(file, '..', 'signatures'), '');
    const { cfg, report } = applyPsadConf(file);
    expect(cfg.SIGNATURES_PATH).toEqual(['shipped']);
    expect(rowOf(report, 'SIGS_FILE')?.note).toBe('not applied: SIGNATURES_PATH is set on line 2');
    expect(rowOf(report, 'SIGS_FILE')?.tsad).toEqual([]);
  });

  it('a SIGS_FILE that does not exist leaves SIGNATURES_PATH at the shipped rules, and says so', () => {
    const { cfg, report } = applyPsadConf(psadConf('PSAD_CONF_DIR /etc/psad;\nSIGS_FILE $PSAD_CONF_DIR/signatures;\n'));
    expect(cfg.SIGNATURES_PATH).toEqual(['shipped']);
    expect(rowOf(report, 'SIGS_FILE')).toMatchObject({ status: 'ignored', tsad: [] });
    expect(rowOf(report, 'SIGS_FILE')?.note).toMatch(/signatures does not exist: SIGNATURES_PATH keeps tsad's shipped rules/);
  });

  it('psad 3.0 reputation feeds are kept in psad\'s form, with REPUTATION_FEEDS_DIR in the directory read', () => {
    const file = psadConf([
      'INSTALL_ROOT /;',
      'PSAD_CONF_DIR $INSTALL_ROOT/etc/psad;',
      'REPUTATION_FEEDS_DIR $PSAD_CONF_DIR/reputation_feeds;',
      'REPUTATION_FEED "EmergingThreats Block IPs",4,IP,newline,1440,Y,ET-Block-IPs,"/usr/bin/curl -o $LOCAL_FILE https://rules.emergingthreats.net/fwrules/emerging-Block-IPs.txt";',
      '',
    ].join('\n'));
    const { cfg } = applyPsadConf(file);
    expect(cfg.REPUTATION_FEEDS_DIR).toBe(join(file, '..', 'reputation_feeds'));
    expect(cfg.REPUTATION_FEED).toHaveLength(1);
    expect(cfg.REPUTATION_FEED[0]).toMatch(/^"EmergingThreats Block IPs",4,.*\$LOCAL_FILE/);
  });
});

describe('resolvePsadPath', () => {
  it.each([
    ['/etc/psad/auto_dl', '/srv/copy/auto_dl'],
    ['/etc/psad', '/srv/copy'],
    ['/etc/psadx/auto_dl', '/etc/psadx/auto_dl'],
    ['/var/lib/other/auto_dl', '/var/lib/other/auto_dl'],
    ['auto_dl', '/srv/copy/auto_dl'],
    ['NONE', 'NONE'],
  ])('%s -> %s', (value, expected) => {
    expect(resolvePsadPath(value, '/etc/psad', '/srv/copy')).toBe(expected);
  });
});
