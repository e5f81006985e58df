/**
 * `tsad fw-check`: is anything logging the packets tsad should see? Reads
 * (never changes) the nftables ruleset and the iptables/ip6tables rules,
 * follows jumps into user chains (ufw, firewalld, docker), and reports for
 * IPv4 and IPv6, input and forward, which log rules are reachable and what
 * is missing. psad checked only a default LOG rule in INPUT/FORWARD and so
 * told every ufw and firewalld user to add one.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { parseIptablesSave } from './iptables-ruleset.js';
import { isXtablesTable, parseNftRuleset, withoutTables } from './nft-ruleset.js';
import { reachableLogs, type Fam, type ReachableLog, type Ruleset } from './ruleset-model.js';

const exec = promisify(execFile);

export interface FwCheckResult {
  /** What was read, e.g. "nftables", "iptables (nf_tables)". */
  inspected: string[];
  logs: ReachableLog[];
  missing: string[];
  notes: string[];
  /** A tool that could not be run (not installed, no permission). */
  errors: string[];
  /** At least one log rule is reachable from an input path. */
  ok: boolean;
}

export interface FwCheckOptions {
  /** FW_SEARCH_ALL N: only prefixes containing an FW_MSG_SEARCH string count. */
  searchAll?: boolean;
  msgSearch?: readonly string[];
}

async function tool(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await exec(cmd, args, { timeout: 15_000, maxBuffer: 64 << 20 });
  return stdout;
}

function procFlag(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

function why(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { stderr?: string };
  if (e.code === 'ENOENT') return 'not installed';
  return (e.stderr ?? '').trim().split('\n')[0] || e.message;
}

/** iptables rulesets: the configured variant, plus legacy tables when both are in use. */
async function iptablesRulesets(inspected: string[], errors: string[]): Promise<{ sets: Ruleset[]; nftVariant: boolean }> {
  const sets: Ruleset[] = [];
  let nftVariant = false;
  try {
    nftVariant = (await tool('iptables', ['-V'])).includes('nf_tables');
  } catch (err) {
    errors.push(`iptables: ${why(err)}`);
    return { sets, nftVariant };
  }
  const variant = nftVariant ? 'nf_tables' : 'legacy';
  const runs: Array<[string, string, Fam]> = [['iptables-save', `iptables (${variant})`, 4], ['ip6tables-save', `ip6tables (${variant})`, 6]];
  // Legacy x_tables are invisible to nft; read them only when their module is loaded (reading must not load it).
  if (nftVariant && existsSync('/proc/net/ip_tables_names')) runs.push(['iptables-legacy-save', 'iptables (legacy)', 4]);
  if (nftVariant && existsSync('/proc/net/ip6_tables_names')) runs.push(['ip6tables-legacy-save', 'ip6tables (legacy)', 6]);
  for (const [cmd, label, fam] of runs) {
    try {
      sets.push(parseIptablesSave(await tool(cmd, []), label, fam));
      inspected.push(label);
    } catch (err) {
      errors.push(`${cmd}: ${why(err)}`);
    }
  }
  return { sets, nftVariant };
}

function describe(l: ReachableLog): string {
  const what = l.kind === 'log' ? (l.group !== null ? `log group ${l.group}` : 'log') : l.kind === 'NFLOG' ? `NFLOG group ${l.group ?? 0}` : l.kind;
  const prefix = l.prefix === null ? (l.kind === 'log' ? '' : ' (prefix: see iptables-save)') : ` prefix "${l.prefix}"`;
  const fams = l.families.map((f) => `IPv${f}`).join('+');
  return `${l.path.join(' -> ')}: ${what}${prefix} [${fams} ${l.hook}]`;
}

function covered(logs: readonly ReachableLog[], fam: Fam, hook: 'input' | 'forward'): ReachableLog[] {
  return logs.filter((l) => l.families.includes(fam) && (l.hook === hook || l.hook === 'prerouting'));
}

function judge(r: FwCheckResult, o: FwCheckOptions): void {
  const families: Fam[] = existsSync('/proc/sys/net/ipv6') ? [4, 6] : [4];
  const forwarding: Record<Fam, boolean> = { 4: procFlag('/proc/sys/net/ipv4/ip_forward'), 6: procFlag('/proc/sys/net/ipv6/conf/all/forwarding') };
  for (const f of families) {
    if (covered(r.logs, f, 'input').length === 0) r.missing.push(`IPv${f} input: no log rule is reachable from an input hook (add one before the final drop, e.g. nft add rule inet filter input log prefix "DROP ")`);
    if (forwarding[f] && covered(r.logs, f, 'forward').length === 0) r.missing.push(`IPv${f} forward: forwarding is on but no log rule is reachable from a forward hook`);
  }
  if (r.logs.some((l) => l.group !== null)) r.notes.push('NFLOG / "log group" rules send packets to ulogd, not to the kernel log: read them with --source ulogd:PATH (ulogd2 JSON output)');
  if (o.searchAll === false && o.msgSearch !== undefined) {
    const search = o.msgSearch;
    for (const l of r.logs) {
      if (l.prefix !== null && !search.some((s) => (l.prefix as string).includes(s))) {
        r.notes.push(`lines of ${l.path[l.path.length - 1]} (prefix "${l.prefix}") are not counted: FW_SEARCH_ALL is N and the prefix contains none of FW_MSG_SEARCH (${search.join(', ')})`);
      }
    }
  }
}

export async function fwCheck(o: FwCheckOptions = {}): Promise<FwCheckResult> {
  const r: FwCheckResult = { inspected: [], logs: [], missing: [], notes: [], errors: [], ok: false };
  const ipt = await iptablesRulesets(r.inspected, r.errors);
  try {
    let nft = parseNftRuleset(await tool('nft', ['-j', 'list', 'ruleset']));
    // iptables-nft's tables are read through iptables-save, which shows their log prefixes.
    if (ipt.nftVariant && ipt.sets.length > 0) nft = withoutTables(nft, isXtablesTable);
    r.logs.push(...reachableLogs(nft));
    r.inspected.unshift('nftables');
  } catch (err) {
    r.errors.push(`nft: ${why(err)}`);
  }
  for (const s of ipt.sets) r.logs.push(...reachableLogs(s));
  r.ok = r.logs.some((l) => l.hook !== 'forward');
  judge(r, o);
  return r;
}

export function renderFwCheck(r: FwCheckResult): string {
  const lines = [`[+] Inspected: ${r.inspected.length > 0 ? r.inspected.join(', ') : '(nothing could be read)'}`, ''];
  lines.push('[+] Log rules reachable from input/forward:');
  if (r.logs.length === 0) lines.push('        [NONE]');
  for (const l of r.logs) lines.push(`      ${l.backend}: ${describe(l)}`);
  lines.push('');
  if (r.missing.length > 0) lines.push('[-] Missing:', ...r.missing.map((m) => `      ${m}`), '');
  if (r.notes.length > 0) lines.push('[i] Notes:', ...r.notes.map((m) => `      ${m}`), '');
  if (r.errors.length > 0) lines.push('[!] Could not read:', ...r.errors.map((m) => `      ${m}`), '');
  lines.push(r.ok ? '[+] Packets dropped on the input path are logged.' : '[-] No log rule found on any input path: tsad will see no firewall lines.');
  return `${lines.join('\n')}\n`;
}
