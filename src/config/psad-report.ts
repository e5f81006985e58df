/** The import report as text: what each psad key became, ignored keys grouped by reason, and the files. */
import type { PsadImportReport, PsadReportRow } from './psad-import.js';

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s.padEnd(n);
}

function where(r: PsadReportRow): string {
  return `${r.key} (line ${r.line})`;
}

function section(title: string, rows: readonly PsadReportRow[], line: (r: PsadReportRow) => string): string[] {
  return rows.length === 0 ? [] : ['', `${title}:`, ...rows.map((r) => `  ${line(r)}`)];
}

/** Ignored keys with the same reason on one entry, in order of first appearance. */
function ignoredGroups(rows: readonly PsadReportRow[]): string[] {
  const groups = new Map<string, PsadReportRow[]>();
  for (const r of rows) groups.set(r.note, [...(groups.get(r.note) ?? []), r]);
  return [...groups].map(([note, rs]) => `  ${rs.map((r) => r.key).join(', ')}: ${note}`);
}

export function formatPsadReport(report: PsadImportReport): string {
  const c = report.counts;
  const total = report.rows.length;
  const out = [
    `psad configuration ${report.file} (files from ${report.dir})`,
    `${total} settings: ${c.same} same in tsad, ${c.mapped} mapped to other tsad keys, ${c.ignored} ignored, ${c.tsad} tsad keys, ${c.unknown} unknown`,
  ];
  const by = (s: PsadReportRow['status']) => report.rows.filter((r) => r.status === s);
  out.push(...section('Mapped', by('mapped'), (r) => `${pad(where(r), 40)}-> ${r.note}`));
  out.push(...section('Same key and meaning', by('same').concat(by('tsad')), (r) => `${pad(where(r), 40)}${r.note === '' ? r.value : r.note}`));
  const ignored = by('ignored');
  if (ignored.length > 0) out.push('', 'Ignored (tsad does not use these):', ...ignoredGroups(ignored));
  out.push(...section('Unknown keys (ignored)', by('unknown'), (r) => `${where(r)}: ${r.note}`));
  if (report.files.length > 0) {
    out.push('', 'Files:');
    for (const f of report.files) {
      const use = f.tsadKey === '' ? 'read for this report only' : `-> ${f.tsadKey}`;
      out.push(`  ${pad(f.key, 22)}${pad(f.path, 40)}${f.exists ? use : `MISSING (${use})`}`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** For --psad-conf: where the settings came from, then each psad key tsad does not use, with the reason. */
export function formatPsadSummary(report: PsadImportReport): string {
  const c = report.counts;
  const head = `read psad configuration ${report.file}: ${c.same} settings kept, ${c.mapped} mapped, ${c.ignored + c.unknown} not used by tsad`;
  const ignored = report.rows.filter((r) => r.status === 'ignored');
  const unknown = report.rows.filter((r) => r.status === 'unknown');
  if (ignored.length + unknown.length === 0) return head;
  const lines = [`${head}:`, ...ignoredGroups(ignored), ...unknown.map((r) => `  ${where(r)}: ${r.note}`)];
  return `${lines.join('\n')}\n  ("tsad config import-psad ${report.dir}" writes the equivalent tsad.conf)`;
}
