/**
 * What `tsad status` shows beyond the report: the daemon header (running or
 * not, sources, warnings), the blocked addresses with their time left, and
 * the --ip / --min-dl filters. The same code serves the live daemon and the
 * saved state, so both look alike.
 */
import type { BlockView } from '../actions/block/control.js';
import type { Config } from '../config/keys/index.js';
import type { Report, SourceReport } from '../model/report.js';
import { cidrContains, parseCidr, type Cidr } from '../net/address.js';
import type { SourceStatus } from './source-supervisor.js';

export interface DaemonInfo {
  running: boolean;
  pid: number | null;
  version: string;
  startedAt: string | null;
  /** When the shown state was saved: the snapshot read (daemon down), or the last one written (running); null before the first. */
  savedAt: string | null;
  stateFile: string;
  dryRun: boolean;
  sources: SourceStatus[];
  /** The detect state is saved and restored across restarts. */
  scanStateSaved: boolean;
  levelChanges: number;
  warnings: string[];
  /** Lines from extensions (blocking backend health, mail queue). */
  notes: string[];
}

export interface StatusPayload {
  report: Report;
  daemon: DaemonInfo;
  /** null when blocking is not enabled or not known. */
  blocks: BlockView[] | null;
}

function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  return a.len <= b.len ? cidrContains(a, b.bytes) : cidrContains(b, a.bytes);
}

/** `--ip ADDR[/LEN]`: the sources that are that address, inside that network, or a prefix containing it. */
export function sourceFilter(ip: string): (s: SourceReport) => boolean {
  const keep = keyFilter(ip);
  return (s) => keep(s.src);
}

/** The same test on a source key (a tracked source's key is its report's `src`). */
export function keyFilter(ip: string): (key: string) => boolean {
  const q = parseCidr(ip);
  if (q === null) throw new Error(`"${ip}" is not an IPv4/IPv6 address or network`);
  return (key) => {
    const c = parseCidr(key);
    return c !== null && overlaps(q, c);
  };
}

/**
 * The lowest level listed: --min-dl, else MIN_DANGER_LEVEL as in analyze
 * (quiet sources are counted, not listed), but every level when --ip asks
 * about particular sources.
 */
export function listedLevel(o: { ip?: string; minDl?: number }, cfgMin: number): number {
  return o.minDl ?? (o.ip !== undefined ? 0 : cfgMin);
}

/** What a status report adds to the contract's: the busiest destinations of each source, names for the first sources. */
export function statusReportOptions(cfg: Config): { destinations: number; rdnsMax: number } {
  return { destinations: cfg.STATUS_DESTINATIONS, rdnsMax: Math.max(cfg.STATUS_IP_THRESHOLD, 100) };
}

/**
 * A copy of the report with only the sources shown. With --ip every section
 * is narrowed to those sources where the state allows: signature matches,
 * protocol counters and danger levels are counted from them; `scope` says so,
 * and which lists (topPorts, logPrefixes: counted per log, not per source)
 * still cover every source.
 */
export function filterReport(r: Report, o: { ip?: string; minDl?: number }): Report {
  const byIp = o.ip !== undefined ? sourceFilter(o.ip) : null;
  const minDl = o.minDl ?? 0;
  const sources = r.sources.filter((s) => s.dl >= minDl && (byIp === null || byIp(s)));
  if (byIp === null) return { ...r, sources };
  const dangerLevels = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 } as Report['summary']['dangerLevels'];
  const protocolCounters: Record<string, number> = {};
  const sigs = new Map<number, Report['topSignatures'][number]>();
  const proto = new Map(r.topSignatures.map((t) => [t.sid, t.proto]));
  for (const s of sources) {
    if (s.dl >= 1) dangerLevels[String(s.dl) as '1']++;
    for (const [p, pr] of Object.entries(s.protocols)) protocolCounters[p] = (protocolCounters[p] ?? 0) + pr.packets;
    for (const g of s.signatures) {
      const t = sigs.get(g.sid) ?? { msg: g.msg, sid: g.sid, dl: 0, hits: 0, sources: 0, proto: proto.get(g.sid) ?? '-' };
      t.hits += g.hits;
      t.sources++;
      t.dl = Math.max(t.dl, g.dl);
      sigs.set(g.sid, t);
    }
  }
  return {
    ...r,
    summary: { ...r.summary, sources: sources.length, dangerLevels, protocolCounters },
    sources,
    topSignatures: [...sigs.values()].sort((a, b) => b.hits - a.hits || a.sid - b.sid),
    scope: { ip: o.ip, sources: sources.length, allSources: ['topPorts', 'logPrefixes', 'timeline'] },
  };
}

/** Fills each source's `blocked` from the block list (a block of the source or of a network containing it). */
export function markBlocked(r: Report, blocks: readonly BlockView[]): void {
  const parsed = blocks.map((b) => ({ b, c: parseCidr(b.cidr) })).filter((x): x is { b: BlockView; c: Cidr } => x.c !== null);
  for (const s of r.sources) {
    const c = parseCidr(s.src);
    if (c === null) continue;
    const hit = parsed.find((x) => x.c.len <= c.len && x.c.family === c.family && cidrContains(x.c, c.bytes));
    s.blocked = hit === undefined ? null : { until: hit.b.expiresAt };
  }
}

function age(sec: number): string {
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  return d > 0 ? `${d}d${h}h` : h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(sec % 60).padStart(2, '0')}s`;
}

function sourceLine(s: SourceStatus): string {
  const state = s.state === 'restarting' ? `restarting at ${s.retryAt ?? '?'} after: ${s.lastError ?? 'failure'}` : s.state;
  const extra = Object.entries(s.stats).filter(([, n]) => n !== 0).map(([k, n]) => `${k} ${n}`).join(', ');
  return `      ${s.name}: ${state}, ${s.lines} lines${s.restarts > 0 ? `, ${s.restarts} restarts` : ''}${extra ? ` (${extra})` : ''}`;
}

/** The first lines of `tsad status`: whether the daemon runs, or where the saved state came from. */
export function statusHeader(d: DaemonInfo, now = Date.now()): string[] {
  const lines: string[] = [];
  if (d.running) {
    const up = d.startedAt === null ? '' : `, up ${age(Math.floor((now - Date.parse(d.startedAt)) / 1000))}`;
    lines.push(`[+] tsad ${d.version} daemon running (pid ${d.pid ?? '?'}${up})${d.dryRun ? ', dry run: no firewall changes' : ''}`);
    lines.push(`    State: ${d.savedAt === null ? 'not saved yet' : `saved at ${d.savedAt}`} in ${d.stateFile}`);
  } else {
    lines.push(`[-] tsad daemon is not running; showing the state saved at ${d.savedAt ?? '(unknown time)'} in ${d.stateFile}`);
  }
  if (d.sources.length > 0) lines.push('    Sources:', ...d.sources.map(sourceLine));
  if (!d.scanStateSaved) lines.push('    Note: scan state is not kept across restarts by this build (levels start over after a restart).');
  for (const w of d.warnings) lines.push(`    Warning: ${w}`);
  for (const n of d.notes) lines.push(`    ${n}`);
  return lines;
}

/** psad's blocked-IP section, with IPv6 and networks. */
export function blocksSection(blocks: readonly BlockView[] | null): string[] {
  const lines = ['[+] Auto-blocked IPs:'];
  if (blocks === null) return [...lines, '        [blocking is not enabled]'];
  if (blocks.length === 0) return [...lines, '        [NONE]'];
  for (const b of blocks) {
    const left = b.secondsLeft === null ? '(unlimited timeout)' : `(${b.secondsLeft} seconds remaining)`;
    const why = [b.manual ? 'manual' : b.dl !== null ? `DL ${b.dl}` : '', b.coveredBy ? `inside ${b.coveredBy}` : '', b.dryRun === true ? 'dry run: not in the firewall' : ''].filter((x) => x !== '').join(', ');
    lines.push(`      ${b.cidr} ${left}${why ? ` [${why}]` : ''}`);
  }
  return lines;
}
