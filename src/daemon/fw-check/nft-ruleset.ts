/**
 * `nft -j list ruleset` to the ruleset model. Log statements are `log`
 * (with `group`: NFLOG) and, for rules that iptables-nft wrote, `xt`
 * targets LOG/NFLOG/ULOG. Jumps come from jump/goto statements and from
 * verdict maps, inline or named.
 */
import type { ChainModel, Fam, Hook, LogStatement, RuleModel, Ruleset } from './ruleset-model.js';

type Obj = Record<string, unknown>;

const FAMILIES: Record<string, Fam[]> = { inet: [4, 6], ip: [4], ip6: [6] };
const HOOKS = new Set<string>(['input', 'forward', 'prerouting']);
const VERDICTS = new Set(['accept', 'drop', 'reject', 'return', 'goto']);
const XT_LOG = new Set(['LOG', 'NFLOG', 'ULOG']);

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function chainId(family: string, table: string, name: string): string {
  return `${family}\u0000${table}\u0000${name}`;
}

/** Jump targets inside a verdict value ({"jump":{"target":"x"}} or {"goto":...}). */
function verdictTarget(v: unknown): string | null {
  if (!isObj(v)) return null;
  for (const k of ['jump', 'goto']) {
    const j = v[k];
    if (isObj(j) && typeof j.target === 'string') return j.target;
  }
  return null;
}

/** Targets of a verdict map's elements: [[key, verdict], ...]. */
function mapTargets(elems: unknown): string[] {
  if (!Array.isArray(elems)) return [];
  const out: string[] = [];
  for (const e of elems) {
    const t = Array.isArray(e) ? verdictTarget(e[1]) : null;
    if (t !== null) out.push(t);
  }
  return out;
}

function rule(expr: unknown[], family: string, table: string, maps: Map<string, string[]>): RuleModel {
  const logs: LogStatement[] = [];
  const targets: string[] = [];
  let matches = false;
  let last = '';
  for (const st of expr) {
    if (!isObj(st)) continue;
    const [key] = Object.keys(st);
    if (key === undefined) continue;
    const v = st[key];
    last = key;
    if (key === 'match') matches = true;
    else if (key === 'log') {
      const l = isObj(v) ? v : {};
      logs.push({ kind: 'log', prefix: typeof l.prefix === 'string' ? l.prefix : null, group: typeof l.group === 'number' ? l.group : null });
    } else if (key === 'xt' && isObj(v) && v.type === 'target' && typeof v.name === 'string' && XT_LOG.has(v.name)) {
      logs.push({ kind: v.name, prefix: null, group: null });
    } else if (key === 'jump' || key === 'goto') {
      const t = verdictTarget(st);
      if (t !== null) targets.push(chainId(family, table, t));
    } else if (key === 'vmap' && isObj(v)) {
      const data = v.data;
      const names = isObj(data) && Array.isArray(data.set) ? mapTargets(data.set) : typeof data === 'string' ? (maps.get(chainId(family, table, data.replace(/^@/, ''))) ?? []) : [];
      for (const t of names) targets.push(chainId(family, table, t));
      matches = true; // a map sends only the packets it lists
    }
  }
  return { logs, targets, terminal: !matches && VERDICTS.has(last) };
}

/** Parses the JSON text; throws with a message when it is not nft's output. */
export function parseNftRuleset(text: string): Ruleset {
  const doc = JSON.parse(text) as unknown;
  if (!isObj(doc) || !Array.isArray(doc.nftables)) throw new Error('not the output of "nft -j list ruleset"');
  const items = doc.nftables.filter(isObj);
  const maps = new Map<string, string[]>();
  for (const it of items) {
    const m = it.map;
    if (isObj(m) && m.map === 'verdict' && typeof m.family === 'string' && typeof m.table === 'string' && typeof m.name === 'string') {
      maps.set(chainId(m.family, m.table, m.name), mapTargets(m.elem));
    }
  }
  const chains = new Map<string, ChainModel>();
  for (const it of items) {
    const c = it.chain;
    if (!isObj(c) || typeof c.family !== 'string' || typeof c.table !== 'string' || typeof c.name !== 'string') continue;
    const fams = FAMILIES[c.family];
    if (fams === undefined) continue;
    const hook = typeof c.hook === 'string' && HOOKS.has(c.hook) ? (c.hook as Hook) : null;
    const id = chainId(c.family, c.table, c.name);
    chains.set(id, { id, label: `${c.family} ${c.table} ${c.name}`, families: fams, hook, rules: [] });
  }
  for (const it of items) {
    const r = it.rule;
    if (!isObj(r) || typeof r.family !== 'string' || typeof r.table !== 'string' || typeof r.chain !== 'string' || !Array.isArray(r.expr)) continue;
    chains.get(chainId(r.family, r.table, r.chain))?.rules.push(rule(r.expr, r.family, r.table, maps));
  }
  return { backend: 'nftables', chains };
}

/** Tables that iptables-nft manages (it reports them itself, with the log prefixes nft's JSON lacks). */
export function isXtablesTable(family: string, table: string): boolean {
  return (family === 'ip' || family === 'ip6') && ['filter', 'mangle', 'raw', 'security', 'nat'].includes(table);
}

/** The ruleset without the chains of the given tables. */
export function withoutTables(rs: Ruleset, drop: (family: string, table: string) => boolean): Ruleset {
  const chains = new Map<string, ChainModel>();
  for (const [id, c] of rs.chains) {
    const [family, table] = id.split('\u0000') as [string, string];
    if (!drop(family, table)) chains.set(id, c);
  }
  return { backend: rs.backend, chains };
}
