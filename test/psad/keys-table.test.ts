/**
 * The psad key table (src/config/psad-keys.ts): complete for psad 3.0's
 * keys (shared/reference/psad-behaviour.md, Appendix A) and Debian's 2.4.6
 * file, consistent with tsad's key registry, and rendered as Markdown and as
 * man(7) text that groff reads without warnings.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { KEYS } from '../../src/config/keys/index.js';
import { PSAD_KEYS, psadKeyCounts, psadKeyInfo, renderPsadKeysMan, renderPsadKeysMarkdown } from '../../src/config/psad-keys.js';

const range = (pre: string, post: string, n: number) => Array.from({ length: n }, (_, i) => `${pre}${i + 1}${post}`);

/** psad 3.0's keys (Appendix A of psad-behaviour.md). */
const PSAD_30 = [
  ...range('DANGER_LEVEL', '', 5), ...range('DL', '_UNIQUE_HOSTS', 5),
  'PORT_RANGE_SCAN_THRESHOLD', 'PORT_RANGE_SWEEP_THRESHOLD', 'PROTOCOL_SCAN_THRESHOLD', 'ENABLE_PERSISTENCE', 'SCAN_TIMEOUT',
  'PERSISTENCE_CTR_THRESHOLD', 'MAX_SCAN_IP_PAIRS', 'MIN_DANGER_LEVEL', 'EMAIL_ALERT_DANGER_LEVEL', 'HOME_NET', 'EXTERNAL_NET',
  'ENABLE_INTF_LOCAL_NETS', 'HTTP_SERVERS', 'SMTP_SERVERS', 'DNS_SERVERS', 'SQL_SERVERS', 'TELNET_SERVERS', 'AIM_SERVERS',
  'HTTP_PORTS', 'SHELLCODE_PORTS', 'ORACLE_PORTS', 'SHOW_ALL_SIGNATURES', 'ENABLE_SNORT_SIG_STRICT', 'SNORT_SID_STR',
  'EXPECT_TCP_OPTIONS', 'MAX_HOPS', 'ENABLE_IPV6_DETECTION',
  'FW_SEARCH_ALL', 'FW_MSG_SEARCH', 'ENABLE_SYSLOG_FILE', 'IPT_SYSLOG_FILE', 'IPT_WRITE_FWDATA', 'SYSLOG_DAEMON',
  'AUTO_DETECT_JOURNALCTL', 'ENABLE_FW_MSG_READ_CMD', 'FW_MSG_READ_CMD', 'FW_MSG_READ_CMD_ARGS', 'USE_FW_MSG_READ_CMD_ARGS',
  'FW_MSG_READ_MIN_PKTS', 'ENABLE_CUSTOM_SYSLOG_TS_RE', 'CUSTOM_SYSLOG_TS_RE', 'IGNORE_KERNEL_TIMESTAMP', 'IGNORE_CONNTRACK_BUG_PKTS',
  'IGNORE_PORTS', 'IGNORE_PROTOCOLS', 'IGNORE_INTERFACES', 'IGNORE_LOG_PREFIXES', 'IFCFGTYPE', 'CHECK_INTERVAL', 'TRUNCATE_FWDATA',
  'EMAIL_ADDRESSES', 'HOSTNAME', 'ALERTING_METHODS', 'ALERT_ALL', 'EMAIL_LIMIT', 'ENABLE_EMAIL_LIMIT_PER_DST', 'EMAIL_LIMIT_STATUS_MSG',
  'EMAIL_THROTTLE', 'EMAIL_APPEND_HEADER', 'MAIL_ALERT_PREFIX', 'MAIL_STATUS_PREFIX', 'MAIL_ERROR_PREFIX', 'MAIL_FATAL_PREFIX',
  'ENABLE_MAC_ADDR_REPORTING', 'ENABLE_SIG_MSG_SYSLOG', 'SIG_MSG_SYSLOG_THRESHOLD', 'SIG_SID_SYSLOG_THRESHOLD', 'SYSLOG_IDENTITY',
  'SYSLOG_FACILITY', 'SYSLOG_PRIORITY', 'ENABLE_EXT_SCRIPT_EXEC', 'EXTERNAL_SCRIPT', 'EXEC_EXT_SCRIPT_PER_ALERT',
  'ENABLE_EXT_BLOCK_SCRIPT_EXEC', 'EXTERNAL_BLOCK_SCRIPT',
  'ENABLE_WHOIS_LOOKUPS', 'WHOIS_TIMEOUT', 'WHOIS_LOOKUP_THRESHOLD', 'ENABLE_WHOIS_FORCE_ASCII', 'ENABLE_WHOIS_FORCE_SRC_IP',
  'ENABLE_DNS_LOOKUPS', 'DNS_LOOKUP_THRESHOLD', 'ENABLE_REPUTATION_FEEDS', 'REPUTATION_FEED', 'ENABLE_IP_INFO_URL', 'IP_INFO',
  'ENABLE_DSHIELD_ALERTS', 'DSHIELD_ALERT_EMAIL', 'DSHIELD_ALERT_INTERVAL', 'DSHIELD_USER_ID', 'DSHIELD_USER_EMAIL', 'DSHIELD_DL_THRESHOLD',
  'ENABLE_AUTO_IDS', 'AUTO_IDS_DANGER_LEVEL', 'AUTO_BLOCK_TIMEOUT', ...range('AUTO_BLOCK_DL', '_TIMEOUT', 5), 'ENABLE_AUTO_IDS_REGEX',
  'AUTO_BLOCK_REGEX', 'ENABLE_RENEW_BLOCK_EMAILS', 'ENABLE_AUTO_IDS_EMAILS', 'IPTABLES_BLOCK_METHOD', ...range('IPT_AUTO_CHAIN', '', 3),
  'FLUSH_IPT_AT_INIT', 'IPTABLES_PREREQ_CHECK', 'TCPWRAPPERS_BLOCK_METHOD', 'ENABLE_OVERRIDE_FW_CMD', 'FW_CMD', 'FW_CMD_ARGS',
  'ENABLE_FW_LOGGING_CHECK', 'IMPORT_OLD_SCANS', 'ENABLE_SCAN_ARCHIVE', 'MIN_ARCHIVE_DANGER_LEVEL', 'DISK_CHECK_INTERVAL',
  'DISK_MAX_PERCENTAGE', 'DISK_MAX_RM_RETRIES', 'TOP_PORTS_LOG_THRESHOLD', 'STATUS_PORTS_THRESHOLD', 'TOP_SIGS_LOG_THRESHOLD',
  'STATUS_SIGS_THRESHOLD', 'TOP_IP_LOG_THRESHOLD', 'STATUS_IP_THRESHOLD', 'TOP_SCANS_CTR_THRESHOLD', 'ENABLE_PSADWATCHD',
  'PSADWATCHD_CHECK_INTERVAL', 'PSADWATCHD_MAX_RETRIES', 'SIG_UPDATE_URL',
  'INSTALL_ROOT', 'PSAD_DIR', 'PSAD_RUN_DIR', 'PSAD_FIFO_DIR', 'PSAD_CONF_DIR', 'PSAD_TMP_DIR', 'PSAD_ERR_DIR', 'CONF_ARCHIVE_DIR',
  'SCAN_DATA_ARCHIVE_DIR', 'ANALYSIS_MODE_DIR', 'SNORT_RULES_DIR', 'FWSNORT_RULES_DIR', 'REPUTATION_FEEDS_DIR',
  'FW_DATA_FILE', 'ULOG_DATA_FILE', 'FW_CHECK_FILE', 'FW_ERROR_LOG', 'SIGS_FILE', 'AUTO_DL_FILE', 'SNORT_RULE_DL_FILE', 'POSF_FILE',
  'P0F_FILE', 'ICMP_TYPES_FILE', 'ICMP6_TYPES_FILE', 'IP_OPTS_FILE', 'PROTOCOLS_FILE', 'PSAD_FIFO_FILE', 'ETC_HOSTS_DENY_FILE',
  'ETC_SYSLOG_CONF', 'ETC_RSYSLOG_CONF', 'ETC_SYSLOGNG_CONF', 'ETC_METALOG_CONF', 'STATUS_OUTPUT_FILE', 'ANALYSIS_OUTPUT_FILE',
  'PACKET_COUNTER_FILE', 'TOP_SCANNED_PORTS_FILE', 'TOP_SIGS_FILE', 'TOP_ATTACKERS_FILE', 'DSHIELD_COUNTER_FILE', 'DSHIELD_EMAIL_FILE',
  'IPT_PREFIX_COUNTER_FILE', 'AUTO_BLOCK_IPT_FILE', 'AUTO_BLOCK_TCPWR_FILE', 'AUTO_IPT_SOCK', 'PRINT_SCAN_HASH', 'PROC_FORWARD_FILE',
  'PSAD_PID_FILE', 'PSAD_FW_READ_PID_FILE', 'KMSGSD_PID_FILE', 'PSADWATCHD_PID_FILE', 'PSAD_CMDLINE_FILE', 'IPT_OUTPUT_PATTERN', 'IPT_ERROR_PATTERN',
  'iptablesCmd', 'ip6tablesCmd', 'mailCmd', 'sendmailCmd', 'ipCmd', 'ssCmd', 'netstatCmd', 'psCmd', 'pkillCmd', 'whoisCmd', 'dfCmd',
  'unameCmd', 'gzipCmd', 'mknodCmd', 'wgetCmd', 'fwcheck_psadCmd', 'psadwatchdCmd', 'kmsgsdCmd', 'psadCmd',
];

describe('psad key table', () => {
  it('covers every psad 3.0 key (IPT_AUTO_CHAIN<n> for any n, any other ...Cmd)', () => {
    expect(PSAD_30.filter((k) => psadKeyInfo(k) === undefined)).toEqual([]);
    expect(psadKeyInfo('IPT_AUTO_CHAIN17')?.tsad).toEqual(['BLOCK_TARGET']);
    expect(psadKeyInfo('fooCmd')?.kind).toBe('ignored');
    expect(psadKeyInfo('NOT_A_PSAD_KEY')).toBeUndefined();
  });

  it('has each key once, a group and text for every ignored or mapped key', () => {
    const keys = PSAD_KEYS.map((k) => k.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of PSAD_KEYS) {
      expect(k.group).not.toBe('');
      if (k.kind !== 'same') expect(k.text.length).toBeGreaterThan(20);
    }
  });

  it('agrees with tsad\'s key registry: "same" keys are tsad keys, ignored ones are not, mapped targets exist', () => {
    for (const k of PSAD_KEYS) {
      if (k.kind === 'same') expect(KEYS[k.key], k.key).toBeDefined();
      if (k.kind === 'ignored') expect(KEYS[k.key], k.key).toBeUndefined();
      for (const t of k.tsad) expect(KEYS[t], `${k.key} -> ${t}`).toBeDefined();
    }
  });

  it('knows every psad key that tsad\'s own key docs name as their psad origin', () => {
    const named = Object.values(KEYS).flatMap((d) => (d.psad ?? '').match(/\b(?:[A-Z][A-Z0-9_]{3,}|[a-z]\w*Cmd)\b/g) ?? []);
    expect(named.length).toBeGreaterThan(3);
    expect(named.filter((k) => psadKeyInfo(k) === undefined)).toEqual([]);
  });

  it('counts the keys per kind', () => {
    const c = psadKeyCounts();
    expect(c.same + c.mapped + c.ignored).toBe(PSAD_KEYS.length);
    expect(c.same).toBeGreaterThan(60);
    expect(c.ignored).toBeGreaterThan(c.mapped);
  });

  it('renders Markdown: a table per group, a row per key', () => {
    const md = renderPsadKeysMarkdown();
    for (const k of PSAD_KEYS) expect(md).toContain(`| \`${k.key}\` |`);
    expect(md).toMatch(/^#### Detection and danger levels\n\n\| psad key \| tsad \| notes \|\n\|---\|---\|---\|$/m);
    expect(md).toContain('| `SIGS_FILE` | mapped to SIGNATURES_PATH |');
    expect(md).toMatch(/\| `CHECK_INTERVAL` \| ignored \| ignored: tsad reacts/);
  });

  it('renders man(7) .TP entries that groff formats without warnings', () => {
    const man = renderPsadKeysMan();
    expect(man).toMatch(/^\.SS Detection and danger levels$/m);
    expect(man).toContain('.TP\n.B SIGS_FILE\nMapped to SIGNATURES_PATH:');
    expect(man).not.toMatch(/^\.TS/m);
    const page = `.TH TEST 5\n.SH NAME\ntest \\- psad keys\n.SH PSAD KEYS\n${man}`;
    const out = execFileSync('groff', ['-man', '-ww', '-z'], { input: page, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    expect(out).toBe('');
    const text = execFileSync('groff', ['-man', '-Tutf8', '-ww', '-P', '-cbou'], { input: page, encoding: 'utf8' });
    expect(text).toContain('ENABLE_PSADWATCHD');
  });
});
