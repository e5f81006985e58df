/**
 * Service-log evidence: one failed login or probe that sshd, postfix,
 * dovecot, a web server or a user's pattern logged for a source address.
 * Types only (shared by parse, detect, report and the daemon).
 */

/** Longest user name kept (longer names are cut; the text is escaped on output, never here). */
export const MAX_USER_LENGTH = 64;

export interface ServiceEvent {
  /** Event time, epoch ms UTC; NaN when the line carries none. */
  ts: number;
  /** Syslog/journal host name, '' when none. */
  host: string;
  /** The service the evidence counts for: sshd, postfix, dovecot, web, or a user pattern's service. */
  service: string;
  /** What happened: invalid-user, failed-login, preauth-close, max-auth, relay-denied, ... */
  kind: string;
  /** Name of the pattern that matched (`tsad patterns list`). */
  pattern: string;
  /** The source address, normalized (dotted quad, or compressed lowercase IPv6). */
  src: string;
  family: 4 | 6;
  /** User name tried, '' when the line names none; at most MAX_USER_LENGTH characters, raw. */
  user: string;
  /** How many failures the line stands for (rsyslog's "message repeated N times"), 1 otherwise. */
  count: number;
}

/** Why a line that a service pattern recognised was not turned into an event (counted in summary.skipped). */
export type ServiceSkip = 'service-bad-address' | 'service-bad-time';

/** What a matched line yields: an event, a skip reason, or null for no pattern. */
export type ServiceResult = ServiceEvent | ServiceSkip | null;
