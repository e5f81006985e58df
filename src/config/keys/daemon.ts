/** Keys owned by the daemon stage: live sources, saved state, control socket, health, metrics. */
import { flag, int, list, str, type KeyTable } from '../key-types.js';

export const title = 'Daemon, state and control socket';

const NEW = { psad: '(none)' };

function absolute(v: string): string | null {
  return v.startsWith('/') ? null : `"${v}" must be an absolute path`;
}

/** The forms `tsad daemon --source` takes (checked again, with the path, when the daemon starts). */
export function sourceSpecProblem(spec: string): string | null {
  if (spec === 'auto' || spec === 'journald' || spec === 'kmsg' || spec === 'stdin') return null;
  const m = /^(file|ulogd|journald):(.+)$/.exec(spec);
  if (m === null) return `"${spec}" is not a source: use auto, journald, journald:FILE|DIR, kmsg, file:PATH, ulogd:PATH or stdin`;
  return (m[2] as string).startsWith('/') ? null : `"${spec}": the path must be absolute`;
}

const LISTEN_RE = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/;

/** Whether METRICS_LISTEN names a loopback host (127.0.0.0/8, [::1] or localhost). */
export function isLoopbackListen(v: string): boolean {
  const m = LISTEN_RE.exec(v);
  const host = m?.[1] ?? m?.[2] ?? '';
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** host:port; '' is off. Another host than loopback also needs METRICS_TOKEN_FILE (checked when the daemon starts). */
export function metricsListenProblem(v: string): string | null {
  if (v === '') return null;
  const m = LISTEN_RE.exec(v);
  if (m === null) return `"${v}" is not HOST:PORT (IPv6 as [::1]:PORT)`;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return `"${v}": port ${port} is out of range 1..65535`;
  return null;
}

function absoluteOrEmpty(v: string): string | null {
  return v === '' ? null : absolute(v);
}

/** A user name or a numeric uid. */
function userProblem(v: string): string | null {
  return /^(?:\d{1,10}|[a-z_][a-z0-9_.-]{0,31}\$?)$/i.test(v) ? null : `"${v}" is not a user name or uid`;
}

export const keys = {
  DAEMON_SOURCES: list(['auto'], 'Where "tsad daemon" reads firewall lines when no --source is given, comma separated: journald (the system journal, kernel messages), journald:FILE or journald:DIR (a journal file or directory), kmsg (/dev/kmsg), file:PATH (a kern.log-style file, followed across rotation), ulogd:PATH (a ulogd2 JSON file of NFLOG packets), stdin. auto picks journald when journalctl works and systemd-journald runs, else kmsg when readable, else file:IPT_SYSLOG_FILE. Do not combine two sources that carry the same kernel lines (journald and kmsg): each line would count twice.', { ...NEW, validate: sourceSpecProblem }),
  STATE_DIR: str('/var/lib/tsad', 'Directory of the daemon\'s saved state (state.json: scan state, source positions and the records of blocking and alerting, written atomically together). "tsad daemon --state-dir" overrides.', { ...NEW, validate: absolute }),
  STATE_SAVE_INTERVAL: int(30, 'Seconds between state snapshots (also written at SIGTERM and shortly after a danger level changes). After a crash or kill -9 the lines read since the last snapshot are read again from the saved positions: none is lost or counted twice.', { min: 1, max: 86400 }, NEW),
  IMPORT_OLD_SCANS: flag(true, 'Y: at start the daemon continues from its saved scan state (sources keep their danger levels). N: it starts with no scan state but still resumes each source where it stopped. psad defaulted to N and kept its state as per-IP directories.'),
  CONTROL_SOCKET: str('/run/tsad/tsad.sock', 'Unix socket of the running daemon, used by "tsad status", "tsad block" and friends. Created mode 0600 in a 0700 directory: root only. "tsad daemon --socket" overrides.', { ...NEW, validate: absolute }),
  CONTROL_SOCKET_OWNER: str('root', 'The user the daemon runs as (a name or a uid). The clients ("tsad status", "tsad block", ...) talk only to a control socket owned by root, by this user or by the user running them, so a socket another user planted at the path gets nothing.', { ...NEW, validate: userProblem }),
  CONTROL_SOCKET_SHARED_DIR: flag(false, 'N: the daemon refuses to create CONTROL_SOCKET in a directory that other users can write to (or that is not owned by root or the daemon\'s user), and the clients refuse a socket in a writable directory without the sticky bit: another user could replace the socket there. Y allows both (for a test setup in /tmp, say); the owner check stays.', NEW),
  SOURCE_RESTART_MAX: int(60, 'A source that fails (journalctl exits, a file is unreadable) is restarted after 1 s, then 2, 4, ... up to this many seconds; the other sources keep running.', { min: 1, max: 3600 }, NEW),
  FILE_POLL_INTERVAL: int(2, 'Seconds between checks of followed files besides inotify events (a safety net for file systems without inotify). Lines are read as soon as inotify reports a write.', { min: 1, max: 3600 }, NEW),
  NO_FW_LINES_WARN: int(3600, 'Warn (in the daemon log and in "tsad status") when no firewall line has arrived for this many seconds while the firewall has log rules. 0 turns the check off.', { min: 0 }, NEW),
  ENABLE_FW_LOGGING_CHECK: flag(true, 'Y: at start the daemon inspects the nftables and iptables rulesets (as "tsad fw-check" does) and logs what logging is missing.'),
  METRICS_LISTEN: str('', 'HOST:PORT where the daemon serves Prometheus metrics at /metrics (and with METRICS_REPORT_PAGE Y the HTML report at /), for example 127.0.0.1:9677. Empty: off. Only a loopback address (127.0.0.0/8, [::1], localhost) is accepted unless METRICS_TOKEN_FILE is set: another address without a token is a configuration error when the daemon starts.', { ...NEW, validate: metricsListenProblem }),
  METRICS_REPORT_PAGE: flag(false, 'Y: the daemon also serves the HTML report (as "tsad report --html": summary, timeline, top attackers with their detail and log samples, ports, scan types, tools, countries and AS, with charts) read-only at / of METRICS_LISTEN, built from the current state on each request (at most every 5 seconds) and reloading itself every minute. The page has no script and fetches nothing.', NEW),
  METRICS_TOKEN_FILE: str('', 'Absolute path of a file whose first line is a token of at least 16 characters (read when the daemon starts; keep it mode 0600). When set, every request to METRICS_LISTEN must carry it, as "Authorization: Bearer TOKEN" (Prometheus: authorization.credentials_file) or as the password of HTTP basic authentication (a browser asks for it; any user name). Required to listen on another address than loopback. The token travels in clear text over HTTP: use it on a trusted network or behind a TLS proxy.', { ...NEW, validate: absoluteOrEmpty }),
} satisfies KeyTable;
