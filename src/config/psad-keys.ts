/**
 * Every psad.conf key (psad 2.4.6 as Debian ships it, and 3.0) and what tsad
 * does with it: "same" (a tsad key of the same name and meaning, so the line
 * also works in tsad.conf), "mapped" (translated to other tsad keys by
 * `--psad-conf` and `tsad config import-psad`), or "ignored" with the reason.
 * Kept as data so the README and tsad.conf(5) tables are generated from it.
 */

export type PsadKeyKind = 'same' | 'mapped' | 'ignored';

export interface PsadKeyInfo {
  readonly key: string;
  readonly group: string;
  readonly kind: PsadKeyKind;
  /** The tsad keys it sets (same: the key itself; ignored: none). */
  readonly tsad: readonly string[];
  /** For "same": a difference worth knowing, or ''. For "mapped": how. For "ignored": why. */
  readonly text: string;
}

type Row = [key: string, kind: PsadKeyKind, tsad: string, text: string];

const same = (key: string, text = ''): Row => [key, 'same', key, text];
const mapped = (key: string, tsad: string, text: string): Row => [key, 'mapped', tsad, text];
const ignored = (keys: string[], text: string): Row[] => keys.map((k) => [k, 'ignored', '', text]);

const BUILTIN = 'import-psad reads it and lists entries that differ from tsad\'s built-in table, which tsad uses instead';
const PSAD_FILES = 'psad\'s own state, pid, counter or output file; tsad keeps its state in STATE_DIR (state.json) and answers "tsad status" from the running daemon';
const SYSLOG_SETUP = 'tsad reads the journal, /dev/kmsg or the log file directly (DAEMON_SOURCES) and never edits the syslog configuration, so kmsgsd, its fifo and fwdata are not needed';
const PROGRAMS = 'tsad runs only the firewall tools (nft, iptables, ip6tables, ipset, found in /usr/sbin and /sbin), journalctl and SENDMAIL_PATH, each without a shell';
const WHOIS = 'not supported: tsad does no whois lookups; alerts and reports show the country and AS from the GeoIP databases (ENABLE_GEOIP) instead';
const DSHIELD = 'not supported: tsad does not mail reports to DShield (it can read DShield\'s block list as a REPUTATION_FEED with format=dshield-block)';
const SYSLOG_OUT = 'tsad writes its messages to standard error, which systemd puts in the journal under the identifier "tsad"; signature matches are in alerts and reports';
const SOURCES = 'decides DAEMON_SOURCES: journalctl reading or auto-detection -> auto (journald when available, else kmsg, else file:IPT_SYSLOG_FILE); AUTO_DETECT_JOURNALCTL N -> file:IPT_SYSLOG_FILE, or kmsg when ENABLE_SYSLOG_FILE is N';
const WATCHD = 'tsad runs under systemd with Restart=on-failure; psadwatchd is not needed';
const DISK = 'tsad writes no per-address files that could fill the disk: its state is bounded by MAX_TRACKED_SOURCES and MAX_DESTINATIONS_PER_SOURCE';
const ARCHIVE = 'tsad keeps no per-address directories to archive; IMPORT_OLD_SCANS decides whether saved scan state is kept at start';
const LAYOUT = 'psad\'s directory layout; used only to expand $VARIABLES in psad.conf (tsad uses STATE_DIR, CONTROL_SOCKET and /etc/tsad)';
const TOP_FILES = 'tsad writes no top_* files: "tsad status" and the JSON report compute the top lists on demand';

const TABLE: Row[] = [
  // Detection and danger levels
  ...['DANGER_LEVEL1', 'DANGER_LEVEL2', 'DANGER_LEVEL3', 'DANGER_LEVEL4', 'DANGER_LEVEL5'].map((k) => same(k)),
  same('DL1_UNIQUE_HOSTS', 'destinations are counted over SCAN_TIMEOUT, not within one 5 s batch; 0 turns sweep counting off (psad put every source at level 1)'),
  ...['DL2_UNIQUE_HOSTS', 'DL3_UNIQUE_HOSTS', 'DL4_UNIQUE_HOSTS', 'DL5_UNIQUE_HOSTS', 'PORT_RANGE_SCAN_THRESHOLD', 'PORT_RANGE_SWEEP_THRESHOLD', 'PROTOCOL_SCAN_THRESHOLD'].map((k) => same(k)),
  same('SCAN_TIMEOUT', 'measured from the last packet in log time, not from the first'),
  same('ENABLE_PERSISTENCE'),
  same('MIN_DANGER_LEVEL'),
  same('IGNORE_PORTS', 'also accepts sctp and udplite; spaces around "-" are removed'),
  same('IGNORE_PROTOCOLS'),
  same('IGNORE_INTERFACES'),
  same('IGNORE_CONNTRACK_BUG_PKTS', 'ACK, Window and Maimon scan probes stay visible'),
  same('ENABLE_IPV6_DETECTION'),
  same('MAX_HOPS', 'applies to tsad\'s fingerprint file'),
  same('AUTO_DL_FILE', 'a relative path, or one under PSAD_CONF_DIR, is taken from the psad directory being read; host names are not resolved'),
  mapped('MAX_SCAN_IP_PAIRS', 'MAX_TRACKED_SOURCES', '0 (unlimited) keeps tsad\'s default bound; N > 0 becomes MAX_TRACKED_SOURCES N (at least 100): tsad bounds sources, not source/destination pairs'),
  ...ignored(['CHECK_INTERVAL', 'PERSISTENCE_CTR_THRESHOLD', 'FW_MSG_READ_MIN_PKTS'], 'tsad reacts to each line as it arrives and expires scan state continuously; there is no polling interval'),
  ...ignored(['ENABLE_INTF_LOCAL_NETS', 'IFCFGTYPE'], 'tsad marks local sources from HOME_NET and the chain (OUTPUT is local); it does not rewrite HOME_NET from the interface addresses'),
  ...ignored(['EXPECT_TCP_OPTIONS'], 'tsad recognises masscan and zmap probes from their packets (IP ID patterns), with or without logged TCP options'),
  ...ignored(['ICMP_TYPES_FILE', 'ICMP6_TYPES_FILE'], `${BUILTIN} (the IANA registries; psad's ICMPv6 table lacked types such as Redirect and MLDv2 reports)`),
  ...ignored(['PROTOCOLS_FILE'], `${BUILTIN} (the IANA protocol numbers)`),
  ...ignored(['IP_OPTS_FILE'], `${BUILTIN} (IPv4 option names)`),
  ...ignored(['P0F_FILE', 'POSF_FILE'], 'tsad guesses the OS from its own fingerprint file (OS_FINGERPRINTS_FILE, a different format); psad\'s 2003 p0f v1 database called every nmap SYN "SunOS 4.1"'),

  // Input
  same('FW_SEARCH_ALL'),
  same('FW_MSG_SEARCH', 'may be given several times, as in psad'),
  same('IGNORE_LOG_PREFIXES', 'a plain substring, not a regular expression'),
  same('IGNORE_KERNEL_TIMESTAMP'),
  same('IPT_SYSLOG_FILE', 'also the file "tsad analyze" reads when given none'),
  ...['AUTO_DETECT_JOURNALCTL', 'ENABLE_SYSLOG_FILE', 'ENABLE_FW_MSG_READ_CMD', 'FW_MSG_READ_CMD', 'FW_MSG_READ_CMD_ARGS', 'USE_FW_MSG_READ_CMD_ARGS'].map((k) => mapped(k, 'DAEMON_SOURCES', SOURCES)),
  ...ignored(['SYSLOG_DAEMON', 'IPT_WRITE_FWDATA', 'TRUNCATE_FWDATA', 'FW_DATA_FILE', 'PSAD_FIFO_DIR', 'PSAD_FIFO_FILE', 'ETC_SYSLOG_CONF', 'ETC_RSYSLOG_CONF', 'ETC_SYSLOGNG_CONF', 'ETC_METALOG_CONF'], SYSLOG_SETUP),
  ...ignored(['ULOG_DATA_FILE'], 'psad read ulogd\'s text log; tsad reads ulogd2\'s JSON output (DAEMON_SOURCES ulogd:PATH)'),
  ...ignored(['ENABLE_CUSTOM_SYSLOG_TS_RE', 'CUSTOM_SYSLOG_TS_RE'], 'tsad reads RFC 3164, RFC 3339/ISO 8601 and journal time stamps itself; "tsad analyze" counts lines it cannot read under "skipped"'),

  // Signatures
  ...['HOME_NET', 'EXTERNAL_NET', 'HTTP_SERVERS', 'SMTP_SERVERS', 'DNS_SERVERS', 'SQL_SERVERS', 'TELNET_SERVERS', 'AIM_SERVERS', 'HTTP_PORTS', 'SHELLCODE_PORTS', 'ORACLE_PORTS', 'SNORT_SID_STR'].map((k) => same(k)),
  same('SNORT_RULE_DL_FILE', 'a relative path, or one under PSAD_CONF_DIR, is taken from the psad directory being read'),
  mapped('SIGS_FILE', 'SIGNATURES_PATH', 'SIGNATURES_PATH is set to the psad signatures file (tsad reads psad\'s format); "shipped" selects tsad\'s own graded rule set instead'),
  ...ignored(['ENABLE_SNORT_SIG_STRICT'], 'tsad never stops on a rule it cannot use: it reports and skips it ("tsad signatures check" lists them)'),
  ...ignored(['SHOW_ALL_SIGNATURES'], 'alerts and reports always list every signature a source matched'),
  ...ignored(['SIG_UPDATE_URL'], 'the signatures come with tsad; "tsad signatures import" converts Snort/Suricata rule files'),
  ...ignored(['SNORT_RULES_DIR', 'FWSNORT_RULES_DIR'], 'fwsnort sids in log prefixes are recognised without the rule files (ENABLE_SNORT_SIDS); to match packets with Snort rules, add the rule files to SIGNATURES_PATH'),

  // Alerting
  same('EMAIL_ADDRESSES', 'comma or space separated in psad; written comma separated'),
  ...['ALERTING_METHODS', 'EMAIL_ALERT_DANGER_LEVEL', 'EMAIL_LIMIT_STATUS_MSG', 'MAIL_ALERT_PREFIX', 'MAIL_STATUS_PREFIX', 'MAIL_ERROR_PREFIX'].map((k) => same(k)),
  same('EMAIL_LIMIT', 'counts alerts actually mailed (psad counted every batch, psad issue #61)'),
  same('EMAIL_THROTTLE', 'mails one alert in N as documented (psad skipped one in N)'),
  mapped('EMAIL_APPEND_HEADER', 'EMAIL_FROM', '"From: ADDRESS" becomes EMAIL_FROM; other headers are not supported and are listed as ignored'),
  mapped('sendmailCmd', 'SENDMAIL_PATH', 'the sendmail binary; tsad pipes each message to it (EMAIL_TRANSPORT sendmail)'),
  ...ignored(['HOSTNAME'], 'tsad names the host in mail subjects from the system host name (psad\'s _CHANGEME_ meant the same)'),
  ...ignored(['ALERT_ALL'], 'tsad mails a source when its danger level first reaches EMAIL_ALERT_DANGER_LEVEL and again each time it rises, never once per destination per batch'),
  ...ignored(['ENABLE_EMAIL_LIMIT_PER_DST'], 'not supported: EMAIL_LIMIT counts per source'),
  ...ignored(['MAIL_FATAL_PREFIX'], 'tsad has no separate fatal mail; failures are mailed with MAIL_ERROR_PREFIX'),
  ...ignored(['ENABLE_MAC_ADDR_REPORTING'], 'not supported: alerts do not show MAC addresses'),
  ...ignored(['ENABLE_SIG_MSG_SYSLOG', 'SIG_MSG_SYSLOG_THRESHOLD', 'SIG_SID_SYSLOG_THRESHOLD', 'SYSLOG_IDENTITY', 'SYSLOG_FACILITY', 'SYSLOG_PRIORITY'], SYSLOG_OUT),
  ...ignored(['ENABLE_EXT_SCRIPT_EXEC', 'EXTERNAL_SCRIPT', 'EXEC_EXT_SCRIPT_PER_ALERT'], 'not supported: tsad runs no program per alert; scripts can read "tsad status --json"'),
  ...ignored(['mailCmd'], 'tsad sends mail through SENDMAIL_PATH or SMTP, not the mail command'),

  // Enrichment
  same('ENABLE_DNS_LOOKUPS', 'lookups are asynchronous with DNS_TIMEOUT; "tsad analyze" does them only with --dns'),
  same('ENABLE_REPUTATION_FEEDS'),
  same('REPUTATION_FEED', 'psad\'s comma form is read; its update command is not run (use a URL source or "tsad feeds update")'),
  same('REPUTATION_FEEDS_DIR', 'a relative path, or one under PSAD_CONF_DIR, is taken from the psad directory being read'),
  ...ignored(['DNS_LOOKUP_THRESHOLD'], 'tsad caches reverse DNS answers for DNS_CACHE_TTL seconds instead of a number of uses'),
  ...ignored(['ENABLE_WHOIS_LOOKUPS', 'WHOIS_TIMEOUT', 'WHOIS_LOOKUP_THRESHOLD', 'ENABLE_WHOIS_FORCE_ASCII', 'ENABLE_WHOIS_FORCE_SRC_IP', 'whoisCmd'], WHOIS),
  ...ignored(['ENABLE_IP_INFO_URL', 'IP_INFO'], 'not supported: alerts carry the country and AS of the source instead of a lookup link'),
  ...ignored(['ENABLE_DSHIELD_ALERTS', 'DSHIELD_ALERT_EMAIL', 'DSHIELD_ALERT_INTERVAL', 'DSHIELD_USER_ID', 'DSHIELD_USER_EMAIL', 'DSHIELD_DL_THRESHOLD', 'DSHIELD_EMAIL_FILE', 'DSHIELD_COUNTER_FILE'], DSHIELD),

  // Auto-blocking
  ...['ENABLE_AUTO_IDS', 'AUTO_IDS_DANGER_LEVEL', 'AUTO_BLOCK_TIMEOUT', 'ENABLE_AUTO_IDS_REGEX', 'AUTO_BLOCK_REGEX', 'ETC_HOSTS_DENY_FILE'].map((k) => same(k)),
  ...['AUTO_BLOCK_DL1_TIMEOUT', 'AUTO_BLOCK_DL2_TIMEOUT', 'AUTO_BLOCK_DL3_TIMEOUT', 'AUTO_BLOCK_DL4_TIMEOUT', 'AUTO_BLOCK_DL5_TIMEOUT'].map((k) => same(k, 'the value "$AUTO_BLOCK_TIMEOUT" becomes INHERIT (follows AUTO_BLOCK_TIMEOUT)')),
  mapped('IPTABLES_BLOCK_METHOD', 'BLOCK_BACKEND', 'Y adds the iptables backend (one rule per address in TSAD_BLOCK_INPUT/OUTPUT/FORWARD, as psad did; nftables or ipset scale better); both methods N gives "none"'),
  mapped('TCPWRAPPERS_BLOCK_METHOD', 'BLOCK_BACKEND', 'Y adds the hosts.deny backend (ETC_HOSTS_DENY_FILE)'),
  mapped('IPT_AUTO_CHAIN<n>', 'BLOCK_TARGET', 'the target field (DROP or REJECT) becomes BLOCK_TARGET; the chain names, table and positions are not configurable: tsad blocks in TSAD_BLOCK_INPUT/OUTPUT/FORWARD jumped to from the top of INPUT, OUTPUT and FORWARD'),
  ...ignored(['ENABLE_EXT_BLOCK_SCRIPT_EXEC', 'EXTERNAL_BLOCK_SCRIPT'], 'not carried over: psad ran the script through a shell on block only; tsad\'s command backend runs BLOCK_COMMAND without a shell for block and unblock (%ACTION% %ADDR% %TIMEOUT% %FAMILY%): set it by hand'),
  ...ignored(['ENABLE_AUTO_IDS_EMAILS', 'ENABLE_RENEW_BLOCK_EMAILS'], 'tsad sends no separate block mails; alerts show whether and until when the source is blocked'),
  ...ignored(['FLUSH_IPT_AT_INIT', 'IPTABLES_PREREQ_CHECK'], 'tsad owns its firewall objects and re-creates them, with every live block, when they are missing (checked every BLOCK_CHECK_INTERVAL seconds)'),
  ...ignored(['ENABLE_OVERRIDE_FW_CMD', 'FW_CMD', 'FW_CMD_ARGS', 'iptablesCmd', 'ip6tablesCmd'], `${PROGRAMS}; with firewalld use the nftables backend (its own table coexists with firewalld)`),
  ...ignored(['AUTO_BLOCK_IPT_FILE', 'AUTO_BLOCK_TCPWR_FILE'], 'psad\'s list of blocked addresses; tsad records its blocks in STATE_DIR (re-add psad\'s with "tsad block ADDR")'),
  ...ignored(['AUTO_IPT_SOCK'], 'tsad\'s control socket is CONTROL_SOCKET, used by "tsad block", "tsad unblock" and "tsad flush" (psad\'s socket commands are not understood)'),

  // Daemon, reports and housekeeping
  same('ENABLE_FW_LOGGING_CHECK', 'checks the nftables rulesets as well as iptables'),
  same('IMPORT_OLD_SCANS', 'tsad\'s default is Y (continue from the saved state)'),
  ...['STATUS_PORTS_THRESHOLD', 'STATUS_SIGS_THRESHOLD', 'TOP_PORTS_LOG_THRESHOLD', 'TOP_SIGS_LOG_THRESHOLD'].map((k) => same(k)),
  same('STATUS_IP_THRESHOLD', 'tsad lists N attackers (psad listed N-1)'),
  ...ignored(['TOP_IP_LOG_THRESHOLD', 'TOP_SCANS_CTR_THRESHOLD', 'TOP_SCANNED_PORTS_FILE', 'TOP_SIGS_FILE', 'TOP_ATTACKERS_FILE'], TOP_FILES),
  ...ignored(['ENABLE_PSADWATCHD', 'PSADWATCHD_CHECK_INTERVAL', 'PSADWATCHD_MAX_RETRIES'], WATCHD),
  ...ignored(['DISK_CHECK_INTERVAL', 'DISK_MAX_PERCENTAGE', 'DISK_MAX_RM_RETRIES'], DISK),
  ...ignored(['ENABLE_SCAN_ARCHIVE', 'MIN_ARCHIVE_DANGER_LEVEL', 'SCAN_DATA_ARCHIVE_DIR'], ARCHIVE),
  ...ignored(['INSTALL_ROOT', 'PSAD_DIR', 'PSAD_RUN_DIR', 'PSAD_LIBS_DIR', 'PSAD_CONF_DIR', 'PSAD_TMP_DIR', 'PSAD_ERR_DIR', 'CONF_ARCHIVE_DIR', 'ANALYSIS_MODE_DIR'], LAYOUT),
  ...ignored(['FW_CHECK_FILE', 'STATUS_OUTPUT_FILE', 'ANALYSIS_OUTPUT_FILE', 'INSTALL_LOG_FILE', 'PSAD_PID_FILE', 'PSAD_FW_READ_PID_FILE', 'PSAD_CMDLINE_FILE', 'KMSGSD_PID_FILE', 'PSADWATCHD_PID_FILE', 'FW_ERROR_LOG', 'PRINT_SCAN_HASH', 'PACKET_COUNTER_FILE', 'IPT_PREFIX_COUNTER_FILE', 'IPT_OUTPUT_PATTERN', 'IPT_ERROR_PATTERN'], PSAD_FILES),
  ...ignored(['PROC_FORWARD_FILE'], 'psad\'s path to the IPv4 forwarding switch; tsad reads /proc/sys/net itself where it needs to'),
  ...ignored(['shCmd', 'wgetCmd', 'gzipCmd', 'mknodCmd', 'psCmd', 'ifconfigCmd', 'ipCmd', 'killallCmd', 'pkillCmd', 'ssCmd', 'netstatCmd', 'unameCmd', 'dfCmd', 'fwcheck_psadCmd', 'psadwatchdCmd', 'kmsgsdCmd', 'psadCmd'], PROGRAMS),
];

const GROUP_STARTS: ReadonlyArray<[string, string]> = [
  ['DANGER_LEVEL1', 'Detection and danger levels'],
  ['FW_SEARCH_ALL', 'Input'],
  ['HOME_NET', 'Signatures'],
  ['EMAIL_ADDRESSES', 'Alerting'],
  ['ENABLE_DNS_LOOKUPS', 'Enrichment'],
  ['ENABLE_AUTO_IDS', 'Auto-blocking'],
  ['ENABLE_FW_LOGGING_CHECK', 'Daemon, reports and housekeeping'],
];

function build(): PsadKeyInfo[] {
  const out: PsadKeyInfo[] = [];
  let group = '';
  for (const [key, kind, tsad, text] of TABLE) {
    group = GROUP_STARTS.find(([k]) => k === key)?.[1] ?? group;
    out.push({ key, group, kind, tsad: tsad === '' ? [] : [tsad], text });
  }
  return out;
}

/** The whole table, grouped, in document order. */
export const PSAD_KEYS: readonly PsadKeyInfo[] = build();

const BY_KEY = new Map(PSAD_KEYS.map((k) => [k.key, k]));
const OTHER_CMD: PsadKeyInfo = { key: '<name>Cmd', group: 'Daemon, reports and housekeeping', kind: 'ignored', tsad: [], text: PROGRAMS };

/** psad's entry for a key (IPT_AUTO_CHAIN1..N share one; any other "...Cmd" is a program path), or undefined. */
export function psadKeyInfo(key: string): PsadKeyInfo | undefined {
  if (/^IPT_AUTO_CHAIN\d+$/.test(key)) return BY_KEY.get('IPT_AUTO_CHAIN<n>');
  return BY_KEY.get(key) ?? (/^[a-z][A-Za-z0-9_]*Cmd$/.test(key) ? OTHER_CMD : undefined);
}

function kindText(k: PsadKeyInfo): string {
  if (k.kind === 'same') return 'same';
  if (k.kind === 'mapped') return `mapped to ${k.tsad.join(', ')}`;
  return 'ignored';
}

/** Counts per kind, for summaries. */
export function psadKeyCounts(): Record<PsadKeyKind, number> {
  const c: Record<PsadKeyKind, number> = { same: 0, mapped: 0, ignored: 0 };
  for (const k of PSAD_KEYS) c[k.kind]++;
  return c;
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** The table as Markdown: one sub-table per group, columns psad key | tsad | notes. */
export function renderPsadKeysMarkdown(): string {
  const out: string[] = [];
  let group = '';
  for (const k of PSAD_KEYS) {
    if (k.group !== group) {
      group = k.group;
      out.push(...(out.length > 0 ? [''] : []), `#### ${group}`, '', '| psad key | tsad | notes |', '|---|---|---|');
    }
    const what = k.kind === 'ignored' ? `ignored: ${k.text}` : k.text;
    out.push(`| \`${mdCell(k.key)}\` | ${kindText(k)} | ${mdCell(what)} |`);
  }
  return `${out.join('\n')}\n`;
}

/** Escapes text for man(7): backslashes, hyphens, and a leading dot or quote. */
function manText(s: string): string {
  const t = s.replace(/\\/g, '\\e').replace(/-/g, '\\-');
  return /^[.']/.test(t) ? `\\&${t}` : t;
}

/** The table as man(7) `.SS` groups of `.TP` entries (no tbl needed). */
export function renderPsadKeysMan(): string {
  const out: string[] = [];
  let group = '';
  for (const k of PSAD_KEYS) {
    if (k.group !== group) {
      group = k.group;
      out.push(`.SS ${manText(group)}`);
    }
    out.push('.TP', `.B ${manText(k.key)}`);
    const head = k.kind === 'same' ? 'Same key in tsad.conf.' : k.kind === 'mapped' ? `Mapped to ${k.tsad.map(manText).join(', ')}:` : 'Ignored:';
    out.push(k.text === '' ? head : `${head} ${manText(k.text)}${/[.!?]$/.test(k.text) ? '' : '.'}`);
  }
  return `${out.join('\n')}\n`;
}
