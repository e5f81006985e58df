/**
 * `--psad-conf FILE` and `tsad config import-psad DIR`: an existing psad.conf
 * as a tsad Config, plus a report of what happened to every key. psad keys
 * tsad supports keep their meaning (same name, or translated by
 * psad-translate.ts); psad-only keys are listed with the reason and are never
 * errors here (in tsad.conf they would be unknown keys). A line psad could not
 * use, or a value tsad cannot accept, is a ConfigError naming file, line, key.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './errors.js';
import { KEYS, type Config } from './keys/index.js';
import { buildConfig, type ConfigEntry } from './load.js';
import { readPsadConf, type PsadLine } from './psad-conf.js';
import { psadKeyInfo } from './psad-keys.js';
import { psadConfDir, resolvePsadPath, translatePsad, type Derived, type Translation } from './psad-translate.js';

/** same: tsad key of the same name; mapped: other tsad keys; tsad: a tsad-only key; unknown: neither psad's nor tsad's. */
export type PsadRowStatus = 'same' | 'mapped' | 'ignored' | 'tsad' | 'unknown';

export interface PsadReportRow {
  key: string;
  line: number;
  /** The value psad uses (expanded). */
  value: string;
  status: PsadRowStatus;
  /** tsad keys this line sets. */
  tsad: string[];
  /** What was done, or why it was ignored. */
  note: string;
}

export interface PsadFileRow {
  /** psad's key (SIGS_FILE, AUTO_DL_FILE, ...). */
  key: string;
  /** As psad.conf gives it, expanded. */
  configured: string;
  /** Where it was found (relative to the directory read). */
  path: string;
  exists: boolean;
  /** The tsad key that now points at it, or '' when tsad only reads it for the report. */
  tsadKey: string;
}

export interface PsadImportReport {
  file: string;
  dir: string;
  rows: PsadReportRow[];
  files: PsadFileRow[];
  counts: Record<PsadRowStatus, number>;
}

/** The psad data files, and the tsad key that uses each (if any). */
export const PSAD_FILE_KEYS: ReadonlyArray<readonly [psadKey: string, tsadKey: string]> = [
  ['SIGS_FILE', 'SIGNATURES_PATH'],
  ['AUTO_DL_FILE', 'AUTO_DL_FILE'],
  ['SNORT_RULE_DL_FILE', 'SNORT_RULE_DL_FILE'],
  ['REPUTATION_FEEDS_DIR', 'REPUTATION_FEEDS_DIR'],
  ['ICMP_TYPES_FILE', ''],
  ['ICMP6_TYPES_FILE', ''],
  ['IP_OPTS_FILE', ''],
  ['PROTOCOLS_FILE', ''],
  ['POSF_FILE', ''],
  ['P0F_FILE', ''],
];

function statusOf(key: string): PsadRowStatus {
  const info = psadKeyInfo(key);
  if (info === undefined) return KEYS[key] !== undefined ? 'tsad' : 'unknown';
  return info.kind;
}

function rowFor(l: PsadLine, t: Translation, entries: readonly Derived[]): PsadReportRow {
  let status = statusOf(l.key);
  let note = t.notes.get(l.key) ?? psadKeyInfo(l.key)?.text ?? '';
  let tsad = t.targets.get(l.key) ?? [];
  if (t.dropped.has(l.key)) status = 'ignored';
  else if (status === 'same' || status === 'tsad') {
    const own = entries.find((e) => e.from === l && e.key === l.key);
    tsad = own === undefined ? [] : [l.key];
    note = own === undefined ? `not applied: ${l.key} is set on another line` : own.raw !== l.value ? `written as "${own.raw}"` : status === 'tsad' ? 'a tsad key' : '';
  } else if (status === 'unknown') note = 'not a psad 2.4.6 or 3.0 key that tsad knows, nor a tsad key';
  return { key: l.key, line: l.line, value: l.value, status, tsad: status === 'ignored' || status === 'unknown' ? [] : tsad, note };
}

/** The tsad entries: explicit tsad keys first; a translated value never overrides one. */
function mergeEntries(t: Translation): { entries: Derived[]; overridden: Map<Derived, Derived> } {
  const byKey = new Map<string, Derived>();
  const overridden = new Map<Derived, Derived>();
  const explicit = t.entries.filter((e) => e.from.key === e.key);
  const derived = t.entries.filter((e) => e.from.key !== e.key);
  const out: Derived[] = [];
  for (const e of explicit) {
    if (!KEYS[e.key]?.repeatable) byKey.set(e.key, e);
    out.push(e);
  }
  for (const e of derived) {
    const prior = byKey.get(e.key);
    if (prior !== undefined) overridden.set(e, prior);
    else {
      byKey.set(e.key, e);
      out.push(e);
    }
  }
  return { entries: out.sort((a, b) => a.from.line - b.from.line), overridden };
}

function build(entries: readonly Derived[], file: string): Config {
  const list: ConfigEntry[] = entries.map((e) => ({ key: e.key, raw: e.raw, line: e.from.line }));
  try {
    return buildConfig(list, file, { unknownKeys: [] });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const e = entries.find((x) => x.from.line === err.line && x.key === err.key && x.from.key !== x.key);
    if (e === undefined) throw err;
    throw new ConfigError(err.file, err.line, `${e.from.key} (as ${e.key})`, err.reason);
  }
}

function fileRows(lines: readonly PsadLine[], confDir: string, dir: string): PsadFileRow[] {
  const out: PsadFileRow[] = [];
  for (const [key, tsadKey] of PSAD_FILE_KEYS) {
    const l = lines.find((x) => x.key === key);
    if (l === undefined) continue;
    const path = resolvePsadPath(l.value, confDir, dir);
    out.push({ key, configured: l.value, path, exists: existsSync(path), tsadKey });
  }
  return out;
}

/**
 * Reads psad.conf at `path` (its directory is "the psad directory": files
 * psad.conf names under PSAD_CONF_DIR are taken from there) and returns the
 * equivalent tsad Config and the report. Throws ConfigError on a line psad
 * could not use or a value tsad cannot accept.
 */
export function applyPsadConf(path: string): { cfg: Config; report: PsadImportReport } {
  const file = resolve(path);
  if (existsSync(file) && statSync(file).isDirectory()) throw new ConfigError(file, 0, '', 'is a directory: give the psad.conf file (tsad config import-psad takes the directory)');
  const conf = readPsadConf(file);
  const dir = dirname(file);
  const sameKeys = new Set(conf.lines.filter((l) => ['same', 'tsad'].includes(statusOf(l.key))).map((l) => l.key));
  const t = translatePsad(conf, dir, sameKeys);
  const { entries, overridden } = mergeEntries(t);
  for (const [e, prior] of overridden) {
    for (const [psadKey, keys] of t.targets) {
      if (!keys.includes(e.key)) continue;
      t.notes.set(psadKey, `not applied: ${e.key} is set on line ${prior.from.line}`);
      t.targets.set(psadKey, keys.filter((k) => k !== e.key));
    }
  }
  const cfg = build(entries, file);

  const rows = [...conf.lines.map((l) => rowFor(l, t, entries)), ...conf.shadowed.map((l) => shadowRow(l, conf.lines))].sort((a, b) => a.line - b.line);
  const counts: Record<PsadRowStatus, number> = { same: 0, mapped: 0, ignored: 0, tsad: 0, unknown: 0 };
  for (const r of rows) counts[r.status]++;
  return { cfg, report: { file, dir, rows, files: fileRows(conf.lines, psadConfDir(conf), dir), counts } };
}

function shadowRow(l: PsadLine, lines: readonly PsadLine[]): PsadReportRow {
  const first = lines.find((x) => x.key === l.key);
  return { key: l.key, line: l.line, value: l.raw, status: 'ignored', tsad: [], note: `set again: psad and tsad use line ${first?.line ?? '?'}` };
}
