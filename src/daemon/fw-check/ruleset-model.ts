/**
 * A firewall ruleset reduced to what the logging check needs, the same for
 * nftables and iptables: chains, which hook a base chain sits on, and per
 * rule its log statements, the chains it jumps to and whether it ends the
 * chain unconditionally (rules after it never run).
 */

export type Hook = 'input' | 'forward' | 'prerouting';
export type Fam = 4 | 6;

export interface LogStatement {
  /** `log` (nft), `LOG`, `NFLOG`, `ULOG` (iptables targets). */
  kind: string;
  prefix: string | null;
  /** NFLOG group: the packet goes to ulogd, not to the kernel log. */
  group: number | null;
}

export interface RuleModel {
  logs: LogStatement[];
  /** Chain ids jumped to (jump, goto, verdict maps). */
  targets: string[];
  /** No match and a final verdict: the rules after it are never reached. */
  terminal: boolean;
}

export interface ChainModel {
  id: string;
  /** For messages: `inet filter input`, `iptables filter INPUT`. */
  label: string;
  families: Fam[];
  hook: Hook | null;
  rules: RuleModel[];
}

export interface Ruleset {
  /** Which tool reported it: nftables, iptables, ip6tables, iptables-legacy, ip6tables-legacy. */
  backend: string;
  chains: Map<string, ChainModel>;
}

/** A log statement reachable from a hook, with the chain path that reaches it. */
export interface ReachableLog extends LogStatement {
  backend: string;
  families: Fam[];
  hook: Hook;
  path: string[];
}

/** Every log statement reachable from the base chains (depth first, each chain once per base chain). */
export function reachableLogs(rs: Ruleset): ReachableLog[] {
  const out: ReachableLog[] = [];
  for (const base of rs.chains.values()) {
    if (base.hook === null) continue;
    const seen = new Set<string>();
    const walk = (c: ChainModel, path: string[]): void => {
      if (seen.has(c.id)) return;
      seen.add(c.id);
      for (const r of c.rules) {
        for (const l of r.logs) out.push({ ...l, backend: rs.backend, families: base.families, hook: base.hook as Hook, path });
        for (const t of r.targets) {
          const next = rs.chains.get(t);
          if (next !== undefined) walk(next, [...path, next.label]);
        }
        if (r.terminal) break;
      }
    };
    walk(base, [base.label]);
  }
  return out;
}
