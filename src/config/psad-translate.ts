/**
 * The psad keys whose form differs from tsad's: each translator reads psad's
 * definitions and yields tsad entries (with the psad line they came from) and
 * a note for the report. Paths that psad.conf names under PSAD_CONF_DIR (or
 * relative ones) are taken from the directory actually being read, so a copy
 * of /etc/psad elsewhere imports with its own files.
 */
import { existsSync } from 'node:fs';
import { basename, isAbsolute, join, normalize, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import type { PsadConf, PsadLine } from './psad-conf.js';

export interface Derived {
  /** The tsad key. */
  key: string;
  raw: string;
  /** The psad line it comes from (for errors). */
  from: PsadLine;
}

export interface Translation {
  entries: Derived[];
  /** psad key -> what happened to it (shown in the report). */
  notes: Map<string, string>;
  /** psad key -> the tsad keys a translator set from it. */
  targets: Map<string, string[]>;
  /** psad keys that a translator decided to leave out, with the reason in `notes`. */
  dropped: Set<string>;
}

const BLOCK_TARGETS = new Set(['DROP', 'REJECT', 'TARPIT']);
const DEFAULT_CHAINS = ['DROP,src,filter,INPUT,1,PSAD_BLOCK_INPUT,1', 'DROP,dst,filter,OUTPUT,1,PSAD_BLOCK_OUTPUT,1', 'DROP,both,filter,FORWARD,1,PSAD_BLOCK_FORWARD,1'];

function yes(v: string | undefined, def: boolean): boolean {
  if (v === undefined) return def;
  return /^(y|yes)$/i.test(v.trim());
}

/** A path psad.conf names, as found in the directory being read. */
export function resolvePsadPath(value: string, psadConfDir: string, dir: string): string {
  if (value === '' || value.toUpperCase() === 'NONE') return value;
  if (!isAbsolute(value)) return resolve(dir, value);
  const conf = normalize(psadConfDir).replace(/\/+$/, '');
  const v = normalize(value);
  if (conf !== '' && (v === conf || v.startsWith(`${conf}/`))) return join(dir, v.slice(conf.length));
  return v;
}

class Builder {
  readonly out: Translation = { entries: [], notes: new Map(), targets: new Map(), dropped: new Set() };
  readonly #first = new Map<string, PsadLine>();
  readonly confDir: string;

  constructor(readonly conf: PsadConf, readonly dir: string) {
    for (const l of conf.lines) if (!this.#first.has(l.key)) this.#first.set(l.key, l);
    this.confDir = this.#first.get('PSAD_CONF_DIR')?.value ?? '/etc/psad';
  }

  get(key: string): PsadLine | undefined {
    return this.#first.get(key);
  }

  all(prefix: RegExp): PsadLine[] {
    return this.conf.lines.filter((l) => prefix.test(l.key));
  }

  set(key: string, raw: string, from: PsadLine, note: string, psadKeys: string[] = [from.key]): void {
    this.out.entries.push({ key, raw, from });
    for (const k of psadKeys) {
      this.out.notes.set(k, note);
      this.out.targets.set(k, [key]);
    }
  }

  drop(psadKey: string, note: string): void {
    this.out.notes.set(psadKey, note);
    this.out.dropped.add(psadKey);
  }

  path(l: PsadLine): string {
    return resolvePsadPath(l.value, this.confDir, this.dir);
  }
}

/** psad's key -> tsad value for keys that keep their name but not their exact form. */
function sameKeyValue(b: Builder, l: PsadLine): string {
  switch (l.key) {
    case 'EMAIL_ADDRESSES':
      return l.value.split(/[\s,]+/).filter((s) => s !== '').join(', ');
    case 'IGNORE_PORTS':
      return l.value.replace(/\s*-\s*/g, '-');
    case 'AUTO_DL_FILE':
    case 'SNORT_RULE_DL_FILE':
    case 'REPUTATION_FEEDS_DIR':
      return b.path(l);
    default:
      // psad's per-level default "$AUTO_BLOCK_TIMEOUT" is tsad's INHERIT.
      if (/^AUTO_BLOCK_DL[1-5]_TIMEOUT$/.test(l.key) && l.raw.trim() === '$AUTO_BLOCK_TIMEOUT') return 'INHERIT';
      return l.value;
  }
}

const INPUT_KEYS = ['AUTO_DETECT_JOURNALCTL', 'ENABLE_SYSLOG_FILE', 'ENABLE_FW_MSG_READ_CMD', 'FW_MSG_READ_CMD', 'FW_MSG_READ_CMD_ARGS', 'USE_FW_MSG_READ_CMD_ARGS'];

/** How psad found its input, as DAEMON_SOURCES. */
function daemonSources(b: Builder): void {
  const present = INPUT_KEYS.filter((k) => b.get(k) !== undefined);
  const first = b.get(present[0] ?? '');
  if (first === undefined) return;
  const readCmd = b.get('ENABLE_FW_MSG_READ_CMD');
  if (yes(readCmd?.value, false) && readCmd !== undefined) {
    const cmd = b.get('FW_MSG_READ_CMD')?.value ?? '/bin/journalctl';
    if (basename(cmd) === 'journalctl') b.set('DAEMON_SOURCES', 'journald', readCmd, 'DAEMON_SOURCES journald (kernel messages from the journal, as "journalctl -f -k")', present);
    else for (const k of present) b.drop(k, `FW_MSG_READ_CMD ${cmd} is not journalctl and tsad runs no other reader: pipe its output to "tsad daemon --source stdin"`);
    return;
  }
  if (yes(b.get('AUTO_DETECT_JOURNALCTL')?.value, true)) {
    b.set('DAEMON_SOURCES', 'auto', b.get('AUTO_DETECT_JOURNALCTL') ?? first, 'DAEMON_SOURCES auto (journald when it runs, else /dev/kmsg, else IPT_SYSLOG_FILE)', present);
    return;
  }
  const syslogFile = b.get('ENABLE_SYSLOG_FILE');
  if (yes(syslogFile?.value, true)) {
    const file = b.get('IPT_SYSLOG_FILE');
    const path = file === undefined ? '/var/log/messages' : resolve(b.dir, file.value);
    b.set('DAEMON_SOURCES', `file:${path}`, syslogFile ?? first, `DAEMON_SOURCES file:${path}`, present);
  } else {
    b.set('DAEMON_SOURCES', 'kmsg', syslogFile ?? first, 'DAEMON_SOURCES kmsg (kernel messages read directly, replacing syslog -> fifo -> kmsgsd)', present);
  }
}

/** IPTABLES_BLOCK_METHOD / TCPWRAPPERS_BLOCK_METHOD as BLOCK_BACKEND. */
function blockBackend(b: Builder): void {
  const ipt = b.get('IPTABLES_BLOCK_METHOD');
  const tcpw = b.get('TCPWRAPPERS_BLOCK_METHOD');
  const from = ipt ?? tcpw;
  if (from === undefined) return;
  const list = [...(yes(ipt?.value, true) ? ['iptables'] : []), ...(yes(tcpw?.value, false) ? ['hosts.deny'] : [])];
  const value = list.length === 0 ? 'none' : list.join(', ');
  b.set('BLOCK_BACKEND', value, from, `BLOCK_BACKEND ${value}`, [ipt, tcpw].filter((l) => l !== undefined).map((l) => l.key));
}

/** IPT_AUTO_CHAIN<n>: only the target carries over; tsad's chains are fixed. */
function blockTarget(b: Builder): void {
  const chains = b.all(/^IPT_AUTO_CHAIN\d+$/);
  if (chains.length === 0) return;
  const targets = new Set<string>();
  for (const c of chains) {
    const f = c.value.split(',').map((s) => s.trim());
    if (f.length !== 7) throw new ConfigError(b.conf.file, c.line, c.key, `expected 7 comma separated fields "<target>, <src|dst|both>, <table>, <from chain>, <jump position>, <to chain>, <rule position>", got ${f.length}`);
    targets.add((f[0] as string).toUpperCase());
  }
  const custom = chains.some((c) => !DEFAULT_CHAINS.includes(c.value.replace(/\s+/g, '')));
  const layout = custom ? '; psad\'s custom chain layout is not carried over: tsad uses TSAD_BLOCK_INPUT/OUTPUT/FORWARD' : '; tsad\'s TSAD_BLOCK_INPUT/OUTPUT/FORWARD take the place of the PSAD_BLOCK_* chains';
  const target = [...targets][0] as string;
  if (targets.size > 1 || !BLOCK_TARGETS.has(target)) {
    for (const c of chains) b.drop(c.key, `target${targets.size > 1 ? 's' : ''} ${[...targets].join(', ')} not carried over (BLOCK_TARGET is one of DROP, REJECT, TARPIT for all chains)${layout}`);
    return;
  }
  b.set('BLOCK_TARGET', target, chains[0] as PsadLine, `BLOCK_TARGET ${target}${layout}`, chains.map((c) => c.key));
}

function emailFrom(b: Builder): void {
  const l = b.get('EMAIL_APPEND_HEADER');
  if (l === undefined) return;
  if (l.value.toUpperCase() === 'NONE') {
    b.out.notes.set(l.key, 'NONE: EMAIL_FROM keeps its default');
    return;
  }
  const m = /^From:\s*(.+)$/i.exec(l.value);
  if (m === null) b.drop(l.key, `header "${l.value}" is not supported (only "From: ADDRESS", as EMAIL_FROM)`);
  else b.set('EMAIL_FROM', (m[1] as string).trim(), l, `EMAIL_FROM ${(m[1] as string).trim()}`);
}

function simpleMaps(b: Builder): void {
  const mail = b.get('sendmailCmd');
  if (mail !== undefined) b.set('SENDMAIL_PATH', mail.value, mail, `SENDMAIL_PATH ${mail.value}`);
  const pairs = b.get('MAX_SCAN_IP_PAIRS');
  if (pairs !== undefined) {
    if (!/^\d+$/.test(pairs.value)) throw new ConfigError(b.conf.file, pairs.line, pairs.key, `expected a whole number, got "${pairs.value}"`);
    const n = Number(pairs.value);
    if (n === 0) b.out.notes.set(pairs.key, '0 (unlimited): MAX_TRACKED_SOURCES keeps its default');
    else b.set('MAX_TRACKED_SOURCES', String(Math.max(100, n)), pairs, `MAX_TRACKED_SOURCES ${Math.max(100, n)}`);
  }
  const sigs = b.get('SIGS_FILE');
  if (sigs === undefined) return;
  // A rule path that does not exist would leave tsad with no signatures at all.
  if (existsSync(b.path(sigs))) b.set('SIGNATURES_PATH', b.path(sigs), sigs, `SIGNATURES_PATH ${b.path(sigs)}`);
  else b.drop(sigs.key, `${b.path(sigs)} does not exist: SIGNATURES_PATH keeps tsad's shipped rules`);
}

/**
 * tsad keys whose defaults depart from psad's scoring (replies, own traffic
 * and LAN chatter not scored, signature roles, the slow-scan ladder, service
 * logs, which psad never read): with a
 * psad.conf they take psad's behaviour, so `--psad-conf` gives psad's
 * answers, unless the file sets the tsad key itself.
 */
export const PSAD_SCORING: ReadonlyArray<readonly [key: string, value: string]> = [
  ['IGNORE_REPLIES', 'N'],
  ['IGNORE_OWN_TRAFFIC', 'N'],
  ['IGNORE_LAN_DISCOVERY', 'N'],
  ['SIGNATURE_ROLES', 'N'],
  ['SLOW_SCAN_WINDOW', '0'],
  ['ENABLE_SERVICE_LOGS', 'N'],
];

function psadScoring(b: Builder): void {
  for (const [key, value] of PSAD_SCORING) {
    if (b.get(key) !== undefined) continue;
    b.out.entries.push({ key, raw: value, from: { key: '(psad scoring)', raw: value, value, line: 0 } });
  }
}

/**
 * Translates psad's definitions: `sameKeys` are the psad keys that are also
 * tsad keys (their values, adjusted where psad's form differs, become
 * entries); the mapped keys are translated by the functions above.
 */
export function translatePsad(conf: PsadConf, dir: string, sameKeys: ReadonlySet<string>): Translation {
  const b = new Builder(conf, dir);
  for (const l of conf.lines) if (sameKeys.has(l.key)) b.out.entries.push({ key: l.key, raw: sameKeyValue(b, l), from: l });
  daemonSources(b);
  blockBackend(b);
  blockTarget(b);
  emailFrom(b);
  simpleMaps(b);
  psadScoring(b);
  return b.out;
}

/** The psad conf dir psad.conf declares (for resolving its file keys). */
export function psadConfDir(conf: PsadConf): string {
  return conf.lines.find((l) => l.key === 'PSAD_CONF_DIR')?.value ?? '/etc/psad';
}
