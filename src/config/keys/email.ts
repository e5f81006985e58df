/** Keys owned by the email stage (src/actions/email). */
import { flag, int, list, oneOf, str, type KeyTable } from '../key-types.js';

export const title = 'Email alerts and reports';

// A plain mailbox: no quoting, no spaces, no leading "-" (it would become a sendmail option).
const MAILBOX = /^[A-Za-z0-9._%+=!#$&'*/?^`{|}~][A-Za-z0-9._%+=!#$&'*/?^`{|}~-]*@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
// An optional display name before "<mailbox>", without quotes, angle brackets or control characters.
const NAMED = /^([^"<>\\\x00-\x1f\x7f]{1,64}) <([^<>]+)>$/;

function checkMailbox(v: string): string | null {
  return MAILBOX.test(v) && v.length <= 254 ? null : `"${v}" is not a plain mail address (user@domain)`;
}

function checkFrom(v: string): string | null {
  const m = NAMED.exec(v);
  return checkMailbox(m ? (m[2] as string) : v);
}

function checkPrefix(v: string): string | null {
  return /[\x00-\x1f\x7f]/.test(v) || v.length > 64 ? 'a subject prefix must be at most 64 characters without control characters' : null;
}

const METHODS = new Set(['all', 'noemail', 'nosyslog']);

export const keys = {
  ALERTING_METHODS: list(['ALL'], 'ALL sends alert emails (and syslog alert lines); "noemail" sends no alert or digest emails; "nosyslog" writes no syslog alert lines. "noemail, nosyslog" gives both. Status reports asked for with "--email" are mailed either way.', {
    validate: (v) => (METHODS.has(v.toLowerCase()) ? null : `expected ALL, noemail or nosyslog, got "${v}"`),
  }),
  EMAIL_ADDRESSES: list(['root@localhost'], 'Comma separated addresses that receive alerts and reports. NONE sends no mail at all.', { validate: checkMailbox }),
  EMAIL_FROM: str('tsad@localhost', 'Sender of every mail: "user@domain" or "Name <user@domain>". Also the envelope sender (sendmail -f).', { psad: '(none)', validate: checkFrom }),
  EMAIL_TRANSPORT: oneOf('sendmail', ['sendmail', 'smtp'], 'How mail leaves: "sendmail" pipes each message to the local SENDMAIL_PATH binary (psad used the "mail" command); "smtp" talks to SMTP_HOST directly over one pooled connection.', { psad: '(none)' }),
  SENDMAIL_PATH: str('/usr/sbin/sendmail', 'The sendmail-compatible binary used when EMAIL_TRANSPORT is sendmail. It is run without a shell as "SENDMAIL_PATH -i -f EMAIL_FROM ADDRESS..." with the message on standard input.', {
    psad: 'sendmailCmd',
    validate: (v) => (v.startsWith('/') && !/[\x00-\x1f]/.test(v) ? null : 'SENDMAIL_PATH must be an absolute path'),
  }),
  SMTP_HOST: str('localhost', 'Mail server for EMAIL_TRANSPORT smtp (name or address).', {
    psad: '(none)',
    validate: (v) => (/^[A-Za-z0-9.:_-]{1,253}$/.test(v) ? null : `"${v}" is not a host name or address`),
  }),
  SMTP_PORT: int(25, 'TCP port of SMTP_HOST: 25 or 587 for STARTTLS, 465 for implicit TLS.', { min: 1, max: 65535 }, { psad: '(none)' }),
  SMTP_SECURE: oneOf('auto', ['auto', 'starttls', 'tls', 'none'], 'Encryption towards SMTP_HOST: "auto" upgrades with STARTTLS when the server offers it; "starttls" requires STARTTLS and fails otherwise; "tls" uses implicit TLS from the first byte (port 465); "none" never encrypts.', { psad: '(none)' }),
  SMTP_TLS_VERIFY: flag(true, 'Y: the server certificate must be valid for SMTP_HOST. N accepts any certificate (self-signed relays); the link is still encrypted but not authenticated.', { psad: '(none)' }),
  SMTP_USER: str('', 'User name for SMTP AUTH; empty sends without authentication.', { psad: '(none)' }),
  SMTP_PASS: str('', 'Password for SMTP AUTH. Keep the config file readable by root only when it is set.', { psad: '(none)' }),
  SMTP_TIMEOUT: int(30, 'Seconds to wait for the mail server to connect, greet or answer before the attempt counts as failed and the mail stays queued.', { min: 1, max: 600 }, { psad: '(none)' }),
  MAIL_ALERT_PREFIX: str('[tsad-alert]', 'Subject prefix of alert and digest mails.', { validate: checkPrefix }),
  MAIL_STATUS_PREFIX: str('[tsad-status]', 'Subject prefix of status mails: daily reports, "tsad analyze --email" and the email-limit notice.', { validate: checkPrefix }),
  MAIL_ERROR_PREFIX: str('[tsad-error]', 'Subject prefix of mails about tsad failing (for example a firewall command that keeps failing).', { validate: checkPrefix }),
  EMAIL_ALERT_DANGER_LEVEL: int(3, 'A source is mailed about when its danger level reaches this value, and again each time its level rises further; never per packet, batch or destination (psad mailed once per destination per 5 s batch). The default 3 (psad: 1) mails real scans only: an internet-facing host meets hundreds of level 1 and 2 sources a week (a few probes, a slow trickle of ports), which the daily report (tsad report --email) lists; a mail for each would be switched off. Lower it on a quiet internal network.', { min: 1, max: 5 }),
  EMAIL_ALERT_SETTLE: int(5, 'Seconds an alert about a source that just reached EMAIL_ALERT_DANGER_LEVEL (or rose above the level last mailed) waits before it is mailed, so one fast scan that climbs several levels within a second gives one mail with the level it reached, not one per level. A later rise is mailed again after the same wait. 0 mails each rise at once.', { min: 0, max: 300 }, { psad: '(none)' }),
  EMAIL_LIMIT: int(0, 'At most this many alerts mailed per source (0: no limit); an alert inside a digest counts as one. Only alerts accepted by the mail server or still waiting in the queue count; an alert that was never mailed (level below EMAIL_ALERT_DANGER_LEVEL, level unchanged, EMAIL_THROTTLE, dropped from the queue) does not. psad counted every batch, so users saw "reached email message limit" without ever getting an alert (psad issue #61).', { min: 0, max: 1000000 }),
  EMAIL_LIMIT_STATUS_MSG: flag(true, 'Y: when a source reaches EMAIL_LIMIT, send one status mail saying so; later alerts for it are not mailed.'),
  EMAIL_THROTTLE: int(0, '0 or 1 mails every alert. N > 1 mails the first alert of a source and then one alert in N (the (N+1)th, (2N+1)th, ...). psad promised this but did the opposite: it skipped every Nth alert and sent the rest. Since tsad alerts only when the level rises, EMAIL_LIMIT, EMAIL_RATE_LIMIT or EMAIL_DIGEST_MINUTES are usually the better tools.', { min: 0, max: 1000000 }),
  EMAIL_RATE_LIMIT: int(30, 'At most this many alert mails (single alerts and digests) per hour over all sources (0: no limit). Alerts over the limit are not lost: they are collected and mailed together in one digest as soon as the hour has room. Status, report and error mails are not counted.', { min: 0, max: 100000 }, { psad: '(none)' }),
  EMAIL_DIGEST_MINUTES: int(0, 'Above 0: collect alerts and mail all alerts of this many minutes (counted from the first one) in one digest mail, instead of one mail per alert.', { min: 0, max: 1440 }, { psad: '(none)' }),
  EMAIL_LOG_SAMPLES: int(5, 'Raw log lines quoted at the end of an alert mail.', { min: 0, max: 50 }, { psad: '(none)' }),
  EMAIL_QUEUE_MAX: int(1000, 'Mails waiting in the on-disk queue (in the state directory) while the mail server is unreachable; when the queue is full, new mails are dropped and logged. Waiting mails are retried with exponential backoff (30 s doubling up to 1 h), survive restarts and crashes, and keep their Message-ID on every attempt. While the daemon runs, "tsad report --email" leaves its mail in the daemon\'s queue instead of sending it itself.', { min: 10, max: 1000000 }, { psad: '(none)' }),
  EMAIL_QUEUE_MAX_AGE: int(168, 'Hours a mail may wait in the queue; older ones are dropped and logged.', { min: 1, max: 8760 }, { psad: '(none)' }),
} satisfies KeyTable;
