/**
 * Keys for service-log evidence (sshd, postfix, dovecot, web servers and
 * users' patterns): which patterns run and the psad-style ladders that turn
 * failures within SERVICE_WINDOW into danger levels.
 */
import { KeyValueError, flag, int, list, str, type KeyDef } from '../key-types.js';

export const title = 'Service logs';

const LADDER_MAX = 1000;

/** Five ascending counts for danger levels 1..5, comma separated. */
function ladder(def: readonly number[], doc: string): KeyDef<readonly number[]> {
  return {
    default: def, doc, repeatable: false, psad: '(none)',
    parse(raw) {
      const items = raw.split(',').map((s) => s.trim());
      if (items.length !== 5) throw new KeyValueError(`expected five counts for levels 1 to 5 (like "${def.join(', ')}"), got ${items.length}`);
      const out: number[] = [];
      for (const it of items) {
        if (!/^\d{1,4}$/.test(it)) throw new KeyValueError(`"${it}" is not a whole number`);
        const n = Number(it);
        if (n < 1 || n > LADDER_MAX) throw new KeyValueError(`count ${n} is out of range 1..${LADDER_MAX}`);
        if (out.length > 0 && n < (out[out.length - 1] as number)) throw new KeyValueError(`the counts must not decrease (${out[out.length - 1]} then ${n})`);
        out.push(n);
      }
      return out;
    },
    format: (v) => v.join(', '),
  };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const keys = {
  ENABLE_SERVICE_LOGS: flag(true, 'Y: lines of sshd, postfix, dovecot and web servers (and of users\' patterns, SERVICE_PATTERNS_DIR) that record failed logins or exploit probes count as evidence against their source, next to its scans: one danger level, one block, one alert. N: only firewall lines are read.', { psad: '(none)' }),
  SERVICE_PATTERNS_DIR: str('/etc/tsad/patterns.d', 'Directory of users\' service patterns: every *.conf file in it, in name order (format in tsad-patterns(5); "tsad patterns test LINE" shows what matches). A missing directory means none.', { psad: '(none)' }),
  SERVICE_PATTERNS_DISABLE: list([], 'Comma separated names of shipped patterns to switch off ("tsad patterns list" names them), for example "web-exploit-probe, sshd-preauth". NONE keeps them all.', { psad: '(none)', validate: (v) => (NAME.test(v) ? null : `"${v}" is not a pattern name`) }),
  SERVICE_BARE_PROGRAM: str('', 'The program whose patterns read lines that have no syslog envelope (no time, host and tag), such as a file that "sshd -E FILE" writes: "sshd" here makes tsad read such a file like sshd\'s syslog lines. Empty: bare lines are read only as web access-log lines.', { psad: '(none)', validate: (v) => (v === '' || /^[A-Za-z0-9_.@/-]{1,64}$/.test(v) ? null : `"${v}" is not a syslog tag`) }),
  SERVICE_WINDOW: int(600, 'Seconds over which a source\'s service failures are counted for the SERVICE_DL_* ladders (fail2ban\'s findtime). Event time, like SCAN_TIMEOUT.', { min: 10, max: 604800 }, { psad: '(none)' }),
  SERVICE_DL_SSHD: ladder([2, 5, 10, 25, 100], 'Failures of one source logged by sshd within SERVICE_WINDOW for danger levels 1 to 5 (invalid user, failed password or key, closed before authentication, too many attempts; one connection that tries three passwords logs about five). At the default AUTO_IDS_DANGER_LEVEL 3, ten failures block.'),
  SERVICE_DL_POSTFIX: ladder([3, 6, 12, 30, 100], 'Failures of one source logged by postfix within SERVICE_WINDOW for levels 1 to 5 (relay access denied, SASL authentication failed, lost connection after AUTH, too many errors).'),
  SERVICE_DL_DOVECOT: ladder([2, 5, 10, 25, 100], 'Failed IMAP/POP3 logins of one source logged by dovecot within SERVICE_WINDOW for levels 1 to 5.'),
  SERVICE_DL_WEB: ladder([3, 8, 20, 50, 200], 'Web access-log failures of one source within SERVICE_WINDOW for levels 1 to 5: 401 responses, and 400/403/404/444 responses for paths only exploit scanners ask for (/wp-login.php, /.env, /phpmyadmin, /cgi-bin/, /.git/config, ...).'),
  SERVICE_DL_OTHER: ladder([3, 6, 12, 30, 100], 'The ladder of services that users\' patterns name (any service other than sshd, postfix, dovecot and web).'),
  SERVICE_MAX_USERS: int(10, 'User names kept per source and service for reports and mails (the first ones tried; how many more were tried is counted).', { min: 0, max: 100 }, { psad: '(none)' }),
};
