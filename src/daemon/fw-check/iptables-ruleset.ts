/**
 * `iptables-save` / `ip6tables-save` text to the ruleset model. Base chains
 * are INPUT, FORWARD and PREROUTING of the filter, mangle and raw tables;
 * user chains (ufw-*, DOCKER-*, firewalld's zones) are followed through
 * -j/-g, which psad's check did not do.
 */
import type { ChainModel, Fam, Hook, LogStatement, RuleModel, Ruleset } from './ruleset-model.js';

const BASE: Record<string, Hook> = { INPUT: 'input', FORWARD: 'forward', PREROUTING: 'prerouting' };
const TABLES = new Set(['filter', 'mangle', 'raw']);
const FINAL = new Set(['ACCEPT', 'DROP', 'REJECT', 'RETURN']);

/** Splits a rule line into words, honouring the double quotes iptables-save puts around prefixes. */
export function words(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ') i++;
    if (i >= line.length) break;
    let w = '';
    if (line[i] === '"') {
      i++;
      while (i < line.length && line[i] !== '"') {
        if (line[i] === '\\' && i + 1 < line.length) i++;
        w += line[i++];
      }
      i++;
    } else {
      while (i < line.length && line[i] !== ' ') w += line[i++];
    }
    out.push(w);
  }
  return out;
}

function option(ws: readonly string[], name: string): string | null {
  const i = ws.indexOf(name);
  return i >= 0 && i + 1 < ws.length ? (ws[i + 1] as string) : null;
}

function ruleOf(ws: string[], table: string, userChains: Set<string>): RuleModel {
  const j = ws.findIndex((w) => w === '-j' || w === '--jump' || w === '-g' || w === '--goto');
  const target = j >= 0 ? (ws[j + 1] ?? '') : '';
  const logs: LogStatement[] = [];
  const targets: string[] = [];
  if (target === 'LOG') logs.push({ kind: 'LOG', prefix: option(ws, '--log-prefix'), group: null });
  else if (target === 'NFLOG') {
    const g = option(ws, '--nflog-group');
    logs.push({ kind: 'NFLOG', prefix: option(ws, '--nflog-prefix'), group: g === null ? 0 : Number(g) });
  } else if (target === 'ULOG') logs.push({ kind: 'ULOG', prefix: option(ws, '--ulog-prefix'), group: 0 });
  else if (userChains.has(target)) targets.push(`${table}/${target}`);
  // "-A CHAIN -j VERDICT" and nothing else: the rest of the chain is never reached.
  const terminal = ws.length === 4 && FINAL.has(target);
  return { logs, targets, terminal };
}

export function parseIptablesSave(text: string, backend: string, family: Fam): Ruleset {
  const chains = new Map<string, ChainModel>();
  let table = '';
  const lines = text.split('\n');
  const users = new Map<string, Set<string>>();
  // First pass: the chains of each table (so jumps can tell a chain from a target such as LOG).
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith(':') && TABLES.has(table)) {
      const name = line.slice(1).split(' ')[0] ?? '';
      const set = users.get(table) ?? new Set<string>();
      set.add(name);
      users.set(table, set);
      const id = `${table}/${name}`;
      chains.set(id, { id, label: `${table} ${name}`, families: [family], hook: BASE[name] ?? null, rules: [] });
    }
  }
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('*')) table = line.slice(1);
    else if (line.startsWith('-A ') && TABLES.has(table)) {
      const ws = words(line);
      const chain = chains.get(`${table}/${ws[1] ?? ''}`);
      chain?.rules.push(ruleOf(ws, table, users.get(table) ?? new Set()));
    }
  }
  return { backend, chains };
}
