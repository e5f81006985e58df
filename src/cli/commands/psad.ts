/**
 * `tsad config import-psad DIR`: writes the tsad.conf equivalent of an
 * existing psad configuration directory and reports what happened to every
 * psad key, then checks the data files psad.conf names with the stages that
 * read them (auto_dl, signatures, snort_rule_dl) or against tsad's built-in
 * tables (icmp_types, icmp6_types, ip_options, protocols).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../config/keys/index.js';
import { protocolNumber } from '../../config/keys/detect.js';
import { buildConfig, parseConfigText } from '../../config/load.js';
import { applyPsadConf, type PsadImportReport } from '../../config/psad-import.js';
import { formatPsadReport } from '../../config/psad-report.js';
import { renderConfig } from '../../config/render.js';
import { loadAutoDl, invalidIcmp } from '../../detect/index.js';
import { formatProblem, loadSignatureSet } from '../../signatures/index.js';
import { parseIpopt } from '../../signatures/ip-options.js';
import { writeFileAtomicSync } from '../../io/atomic-file.js';
import { UsageError } from '../usage-error.js';

interface ImportOpts {
  output?: string;
  copyFiles?: string;
  force?: boolean;
}

/** The psad files tsad reads itself, and the key that points at each. */
const USED_FILES = [
  ['SIGS_FILE', 'SIGNATURES_PATH'],
  ['AUTO_DL_FILE', 'AUTO_DL_FILE'],
  ['SNORT_RULE_DL_FILE', 'SNORT_RULE_DL_FILE'],
] as const;

export function registerImportPsad(configCmd: Command): void {
  configCmd
    .command('import-psad')
    .description('write the tsad.conf equivalent of a psad configuration directory (e.g. /etc/psad) and list what happened to each psad key')
    .argument('<dir>', 'psad configuration directory holding psad.conf (or the psad.conf file itself)')
    .option('-o, --output <file>', 'write tsad.conf here (default: standard output, with the report on standard error)')
    .option('--copy-files <dir>', 'copy the auto_dl, signatures and snort_rule_dl files psad.conf names into this directory (e.g. /etc/tsad) and point tsad.conf at the copies')
    .option('-f, --force', 'overwrite an existing output file or copied file')
    .action((dir: string, opts: ImportOpts) => {
      importPsad(dir, opts);
    });
}

function importPsad(dir: string, opts: ImportOpts): void {
  const conf = existsSync(dir) && statSync(dir).isDirectory() ? join(dir, 'psad.conf') : dir;
  const out = opts.output === undefined ? undefined : resolve(opts.output);
  if (out !== undefined && existsSync(out) && opts.force !== true) throw new UsageError(`${out} exists (use --force to overwrite it)`);
  const { cfg: imported, report } = applyPsadConf(conf);
  const cfg = opts.copyFiles === undefined ? imported : copyFiles(imported, report, resolve(opts.copyFiles), opts.force === true);
  const text = importedConfText(cfg, report);
  verifyRoundTrip(text, cfg);
  const summary = `${formatPsadReport(report)}\nChecks of the psad files:\n${checkPsadFiles(cfg, report).map((l) => `  ${l}`).join('\n')}\n`;
  if (out === undefined) {
    process.stdout.write(text);
    process.stderr.write(summary);
    return;
  }
  writeFileAtomicSync(out, text, 0o644);
  process.stdout.write(`${summary}\nWrote ${out}\n`);
}

/** Copies the files tsad reads itself and returns the Config pointing at the copies. */
function copyFiles(cfg: Config, report: PsadImportReport, dest: string, force: boolean): Config {
  const changed: Record<string, unknown> = {};
  for (const [psadKey, tsadKey] of USED_FILES) {
    const f = report.files.find((x) => x.key === psadKey);
    if (f === undefined || !f.exists) continue;
    const target = join(dest, basename(f.path));
    if (existsSync(target) && !force) throw new UsageError(`${target} exists (use --force to overwrite it)`);
    writeFileAtomicSync(target, readFileSync(f.path), 0o644);
    changed[tsadKey] = tsadKey === 'SIGNATURES_PATH' ? [target] : target;
  }
  return Object.freeze({ ...cfg, ...changed }) as Config;
}

/** The commented tsad.conf, headed by where it came from and followed by what was left out. */
function importedConfText(cfg: Config, report: PsadImportReport): string {
  const c = report.counts;
  const head = [
    `# Imported from ${report.file} by "tsad config import-psad".`,
    `# psad settings: ${c.same} kept (same key), ${c.mapped} mapped to other tsad keys,`,
    `# ${c.ignored + c.unknown} not used by tsad (listed at the end of this file).`,
    '',
  ];
  const ignored = report.rows.filter((r) => r.status === 'ignored' || r.status === 'unknown');
  const groups = new Map<string, string[]>();
  for (const r of ignored) groups.set(r.note, [...(groups.get(r.note) ?? []), r.key]);
  const tail = ['### psad settings not carried over', ''];
  for (const [note, keys] of groups) tail.push(...wrapComment(`${keys.join(', ')}: ${note}`), '');
  // renderConfig puts a repeated value with spaces in one more pair of quotes, which
  // turns psad's quoted feed form ("name",4,...,"cmd $LOCAL_FILE") inside out; such a
  // value already quotes its spaces, so it is written as it is (verifyRoundTrip checks).
  const body = renderConfig(cfg).replace(/^(REPUTATION_FEED\s+)"(".*")";$/gm, '$1$2;');
  return `${head.join('\n')}\n${body}\n${tail.join('\n')}`;
}

function wrapComment(text: string): string[] {
  const out: string[] = [];
  let cur = '#';
  for (const word of text.split(/\s+/)) {
    if (cur.length + 1 + word.length > 78 && cur !== '#') {
      out.push(cur);
      cur = '#';
    }
    cur = `${cur} ${word}`;
  }
  out.push(cur);
  return out;
}

/**
 * The written file must read back as the same Config: a safety net for quoting in
 * renderConfig. A default such as HTTP_SERVERS "$HOME_NET" reads back expanded.
 */
function verifyRoundTrip(text: string, cfg: Config): void {
  const back = buildConfig(parseConfigText(text, '(imported tsad.conf)'), '(imported tsad.conf)') as Record<string, unknown>;
  const expand = (v: unknown): string => JSON.stringify(typeof v === 'string' ? v.replace(/\$([A-Za-z_]\w*)/g, (m, n: string) => (n in back ? String(back[n]) : m)) : v);
  for (const [key, value] of Object.entries(cfg)) {
    if (JSON.stringify(back[key]) !== JSON.stringify(value) && JSON.stringify(back[key]) !== expand(value)) {
      throw new Error(`the generated tsad.conf would read ${key} as ${JSON.stringify(back[key])} instead of ${JSON.stringify(value)}; please report this`);
    }
  }
}

/**
 * Reads each psad data file with the code that uses it and returns one line
 * per finding (counts, problems, entries that differ from tsad's tables).
 */
export function checkPsadFiles(cfg: Config, report: PsadImportReport): string[] {
  const out: string[] = [];
  const path = (key: string): string | undefined => {
    const f = report.files.find((x) => x.key === key);
    return f !== undefined && f.exists ? f.path : undefined;
  };
  const autoDl = loadAutoDl(cfg.AUTO_DL_FILE, false);
  out.push(`auto_dl ${cfg.AUTO_DL_FILE}: ${autoDl.autoDl.size} entries, ${autoDl.problems.length} problems`);
  out.push(...autoDl.problems.map((p) => `  ${p.file}:${p.line}: ${p.reason}`));
  const sigs = loadSignatureSet({ paths: [...cfg.SIGNATURES_PATH], cfg });
  const errors = sigs.problems.filter((p) => !p.skipped);
  const skipped = sigs.problems.filter((p) => p.skipped);
  out.push(`signatures ${cfg.SIGNATURES_PATH.join(', ')}: ${sigs.set.size} rules loaded, ${skipped.length} skipped, ${errors.length} errors`);
  out.push(...[...errors, ...skipped].map((p) => `  ${formatProblem(p)}`));
  const checks: Array<[string, (text: string) => string[]]> = [
    ['ICMP_TYPES_FILE', (t) => icmpDifferences(t, 4)],
    ['ICMP6_TYPES_FILE', (t) => icmpDifferences(t, 6)],
    ['IP_OPTS_FILE', ipOptionDifferences],
    ['PROTOCOLS_FILE', protocolDifferences],
  ];
  for (const [key, check] of checks) {
    const p = path(key);
    if (p === undefined) continue;
    const diffs = check(readFileSync(p, 'utf8'));
    out.push(`${basename(p)}: ${diffs.length === 0 ? 'everything psad accepts, tsad\'s built-in table accepts too' : `${diffs.length} ${diffs.length === 1 ? 'entry differs' : 'entries differ'} from tsad's built-in table (tsad uses its table)`}`);
    out.push(...diffs.map((d) => `  ${d}`));
  }
  const posf = path('POSF_FILE');
  if (posf !== undefined) out.push(`posf: ${countMatches(posf, /^OS\s/)} psad fingerprints, not used (tsad uses OS_FINGERPRINTS_FILE: ${cfg.OS_FINGERPRINTS_FILE})`);
  const p0f = path('P0F_FILE');
  if (p0f !== undefined) out.push(`pf.os: ${countMatches(p0f, /^[^#\s][^:]*:/)} p0f v1 fingerprints, not used (tsad uses OS_FINGERPRINTS_FILE: ${cfg.OS_FINGERPRINTS_FILE})`);
  return out;
}

function countMatches(path: string, re: RegExp): number {
  return readFileSync(path, 'utf8').split('\n').filter((l) => re.test(l)).length;
}

function dataLines(text: string): Array<{ line: string; no: number }> {
  return text.split('\n').map((line, i) => ({ line: line.replace(/#.*$/, '').replace(/\s+$/, ''), no: i + 1 })).filter((x) => x.line !== '');
}

/** psad's icmp_types: "TYPE Name" lines, each followed by indented "CODE Name" lines of its valid codes. */
function icmpDifferences(text: string, family: 4 | 6): string[] {
  const out: string[] = [];
  let type = -1;
  for (const { line, no } of dataLines(text)) {
    const m = /^(\s*)(\d+)\b/.exec(line);
    if (m === null) continue;
    if ((m[1] as string) === '') {
      type = Number(m[2]);
      continue;
    }
    const why = type < 0 ? null : invalidIcmp(family, type, Number(m[2]));
    if (why !== null) out.push(`line ${no}: psad accepts type ${type} code ${m[2]}; tsad raises such packets to level 2 (${why})`);
  }
  return out;
}

/** psad's ip_options: "NUMBER LENGTH name Description". */
function ipOptionDifferences(text: string): string[] {
  const out: string[] = [];
  for (const { line, no } of dataLines(text)) {
    const m = /^(\d+)\s+-?\d+\s+(\S+)/.exec(line);
    if (m === null) continue;
    let known: number;
    try {
      known = parseIpopt(m[2] as string);
    } catch {
      out.push(`line ${no}: option name "${m[2]}" (${m[1]}) is unknown to tsad's ipopts keyword`);
      continue;
    }
    if (known !== Number(m[1])) out.push(`line ${no}: "${m[2]}" is option ${m[1]} in psad's file but ${known} in tsad`);
  }
  return out;
}

/** psad's protocols (an /etc/protocols copy): "name number ALIAS". */
function protocolDifferences(text: string): string[] {
  const out: string[] = [];
  for (const { line, no } of dataLines(text)) {
    const m = /^(\S+)\s+(\d+)/.exec(line);
    if (m === null || m[1] === 'ip') continue;
    const n = protocolNumber(m[1] as string);
    if (n !== Number(m[2])) out.push(`line ${no}: "${m[1]}" is protocol ${m[2]} in psad's file but ${n === undefined ? 'unknown' : n} in tsad (IGNORE_PROTOCOLS and auto_dl names)`);
  }
  return out;
}
