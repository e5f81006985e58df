/** Keys for reading input: which lines are firewall lines and how to read them. */
import { flag, int, list, repeated, str } from '../key-types.js';

export const title = 'Input';

export const keys = {
  FW_SEARCH_ALL: flag(true, 'Y: every netfilter LOG line counts. N: only lines whose log prefix contains one of the FW_MSG_SEARCH strings (so a UFW "[UFW ALLOW]" or "[UFW AUDIT]" line is not taken for a drop).'),
  FW_MSG_SEARCH: repeated(['DROP'], 'A log prefix substring that marks a drop/reject line; used when FW_SEARCH_ALL is N. May be given several times.'),
  IGNORE_LOG_PREFIXES: list([], 'Comma separated log prefix substrings whose lines are ignored entirely (for example "UFW AUDIT"). NONE ignores nothing. psad took a regex here; a plain substring is matched instead.'),
  IGNORE_KERNEL_TIMESTAMP: flag(true, 'Y: strip the kernel "[uptime]" stamp from the log prefix (as psad does). The line time comes from the syslog/journal envelope either way.'),
  IPT_SYSLOG_FILE: str('/var/log/kern.log', 'The kern.log-style file read by "tsad analyze" with no FILE argument and by the daemon source "file" when auto-detected.'),
  MAX_LINE_LENGTH: int(8192, 'Lines longer than this many bytes are skipped and counted as "too-long"; bounds memory on a file with no newlines.', { min: 512, max: 1048576 }, { psad: '(none)' }),
  SYSLOG_YEAR: int(0, 'Year for RFC 3164 timestamps, which carry none: 1990 to 2049, the range of times tsad accepts (a line dated outside it is skipped as "bad-time"). 0 infers it: a date in the future (relative to the file time or now) belongs to the previous year. "tsad analyze --year" overrides.', { min: 0, max: 2049 }, { psad: '(none)', validate: (n) => (n !== 0 && n < 1990 ? `year ${n} is before 1990 (0 infers the year)` : null) }),
};
