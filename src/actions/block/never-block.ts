/**
 * Addresses tsad never blocks. Hard rules hold whatever the config and even
 * for `tsad block --force`: loopback, unspecified, multicast, broadcast and
 * the host's own addresses. Soft rules hold by default and can be switched
 * off per kind (gateways, resolvers, SSH peers) or bypassed with --force:
 * default gateways, /etc/resolv.conf name servers, established SSH peers,
 * BLOCK_WHITELIST and auto_dl danger level 0. A prefix that would contain a
 * protected address is refused too.
 *
 * The host facts change (a new address, a new default gateway); watch()
 * follows `ip monitor address route`, so a change makes the rules stale at
 * once (ageMs is then infinite: the BlockManager re-reads them before its
 * next decision) and they are re-read right away, instead of waiting for
 * the periodic refresh.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Config } from '../../config/keys/index.js';
import type { Cidr } from '../../net/address.js';
import { canonicalCidr, mappedIPv4, overlaps } from './cidr.js';
import { gatherHostFacts, type HostFacts } from './host-facts.js';
import { execRunner } from './runner.js';
import type { Logger, Runner } from './types.js';

interface Protected {
  cidr: Cidr;
  text: string;
  reason: string;
  hard: boolean;
  /** From an established SSH session (BLOCK_PROTECT_SSH_PEERS). */
  ssh?: boolean;
}

const SPECIAL: ReadonlyArray<[string, string]> = [
  ['127.0.0.0/8', 'loopback'],
  ['::1', 'loopback'],
  ['0.0.0.0/8', 'unspecified address'],
  ['::', 'unspecified address'],
  ['224.0.0.0/4', 'multicast'],
  ['ff00::/8', 'multicast'],
  ['255.255.255.255', 'broadcast'],
];

export interface NeverBlockOptions {
  run?: Runner;
  resolvConf?: string;
  /** auto_dl entries with danger level 0 (addresses or CIDRs). */
  dl0?: readonly string[];
  /** Caller's own test (for example auto_dl DL 0 lookups): a reason when `cidr` must not be blocked, else null. */
  ignored?: (cidr: string) => string | null;
  /** The `ip` command watch() runs (`['ip']`; `['ip', '-n', NS]` for a namespace). */
  ipCommand?: readonly [string, ...string[]];
}

/** A burst of netlink messages (an address with its routes) is read as one change. */
const SETTLE_MS = 20;

export interface CheckOptions {
  /** Skip the soft rules (manual --force); the hard rules still apply. */
  force?: boolean;
  /**
   * The source failed to log in to sshd (service-log evidence): its open SSH
   * connection is a password guesser's, not an administrator's session, so
   * the SSH-peer rule does not spare it.
   */
  sshFailures?: boolean;
}

export class NeverBlock {
  #entries: Protected[] = [];
  #refreshedAt = 0;
  readonly #cfg: Config;
  readonly #opts: NeverBlockOptions;
  /** Refreshes started and applied: an older refresh finishing late never replaces a newer one. */
  #started = 0;
  #applied = 0;
  /** A change was announced and no refresh started after it has finished yet. */
  #stale = false;
  #monitor: ChildProcess | null = null;
  #settle: NodeJS.Timeout | null = null;

  private constructor(cfg: Config, opts: NeverBlockOptions) {
    this.#cfg = cfg;
    this.#opts = opts;
  }

  /** Reads the host's addresses, gateways, resolvers and SSH peers and builds the rules. */
  static async discover(cfg: Config, opts: NeverBlockOptions = {}): Promise<NeverBlock> {
    const nb = new NeverBlock(cfg, opts);
    await nb.refresh();
    return nb;
  }

  /** Milliseconds since the host facts were last read; infinite once a change was announced and not read yet. */
  get ageMs(): number {
    return this.#stale ? Number.POSITIVE_INFINITY : Date.now() - this.#refreshedAt;
  }

  /**
   * Follows address and route changes (`ip monitor address route`) until
   * close(). Without iproute2 the periodic refresh alone keeps the rules.
   */
  watch(log: Logger = () => undefined): void {
    if (this.#monitor !== null) return;
    const [cmd, ...pre] = this.#opts.ipCommand ?? ['ip'];
    const child = spawn(cmd, [...pre, 'monitor', 'address', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.#monitor = child;
    child.stdout?.on('data', () => this.#changed(log));
    child.once('error', (err) => log('warn', `cannot follow address and route changes (${err.message}); the never-block rules are re-read every few seconds instead`));
    child.once('exit', (code, signal) => {
      if (this.#monitor === child && signal !== 'SIGTERM') log('warn', `"ip monitor" ended (${code ?? signal}); the never-block rules are re-read every few seconds instead`);
      if (this.#monitor === child) this.#monitor = null;
    });
    child.unref();
    (child.stdout as (NodeJS.ReadableStream & { unref?: () => void }) | null)?.unref?.();
  }

  /** Stops watch(). */
  close(): void {
    if (this.#settle !== null) clearTimeout(this.#settle);
    this.#settle = null;
    const m = this.#monitor;
    this.#monitor = null;
    m?.kill('SIGTERM');
  }

  #changed(log: Logger): void {
    this.#stale = true;
    if (this.#settle !== null) return;
    this.#settle = setTimeout(() => {
      this.#settle = null;
      this.refresh().catch((err: unknown) => log('error', `cannot re-read the never-block facts: ${(err as Error).message}`));
    }, SETTLE_MS);
  }

  /** Re-reads the host facts (addresses, routes and SSH sessions change). */
  async refresh(): Promise<void> {
    const seq = ++this.#started;
    const cfg = this.#cfg;
    const facts = await gatherHostFacts({
      run: this.#opts.run ?? execRunner,
      resolvConf: this.#opts.resolvConf ?? '/etc/resolv.conf',
      sshPorts: cfg.BLOCK_SSH_PORTS.map(Number),
      gateways: cfg.BLOCK_PROTECT_GATEWAYS,
      resolvers: cfg.BLOCK_PROTECT_RESOLVERS,
      ssh: cfg.BLOCK_PROTECT_SSH_PEERS,
    });
    if (seq < this.#applied) return;
    this.#applied = seq;
    this.#entries = buildEntries(facts, cfg.BLOCK_WHITELIST, this.#opts.dl0 ?? []);
    this.#refreshedAt = Date.now();
    // Only a refresh started after the last announced change makes the rules current.
    if (seq === this.#started && this.#settle === null) this.#stale = false;
  }

  /** Why `cidr` must not be blocked, or null when it may be. */
  check(cidr: string, opts: CheckOptions = {}): string | null {
    const p = canonicalCidr(cidr);
    if (p === null) return `"${cidr}" is not an address or CIDR`;
    const targets = [p.cidr];
    const v4 = mappedIPv4(p.cidr);
    if (v4 !== null) targets.push(v4);
    for (const e of this.#entries) {
      if (opts.force && !e.hard) continue;
      if (opts.sshFailures && e.ssh === true) continue;
      for (const t of targets) {
        if (!overlaps(e.cidr, t)) continue;
        return t.len < e.cidr.len ? `${p.text} contains ${e.text} (${e.reason})` : `${e.reason} (${e.text})`;
      }
    }
    if (!opts.force && this.#opts.ignored) return this.#opts.ignored(p.text);
    return null;
  }

  /**
   * The rules a restore applies to saved blocks: every hard one, and the
   * soft ones but SSH peers (a saved block of a peer may have been earned
   * by failed logins, which lift that rule).
   */
  restoreRules(): ReadonlyArray<{ cidr: Cidr; text: string; reason: string; hard: boolean }> {
    return this.#entries.filter((e) => e.ssh !== true);
  }

  /** The protected prefixes with their reasons (for `tsad fw-check` and tests). */
  describe(): Array<{ cidr: string; reason: string; hard: boolean }> {
    return this.#entries.map((e) => ({ cidr: e.text, reason: e.reason, hard: e.hard }));
  }
}

const SSH_PEER = 'peer of an established SSH session';

function buildEntries(f: HostFacts, whitelist: readonly string[], dl0: readonly string[]): Protected[] {
  const out: Protected[] = [];
  const seen = new Set<string>();
  const add = (text: string, reason: string, hard: boolean): void => {
    const p = canonicalCidr(text);
    if (p === null || seen.has(`${p.text}|${hard}`)) return;
    seen.add(`${p.text}|${hard}`);
    out.push({ cidr: p.cidr, text: p.text, reason, hard });
  };
  for (const [c, why] of SPECIAL) add(c, why, true);
  for (const a of f.own) add(a.addr, `own address on ${a.dev}`, true);
  for (const b of f.broadcasts) add(b, 'broadcast', true);
  for (const g of f.gateways) add(g, 'default gateway', false);
  for (const r of f.resolvers) add(r, 'DNS resolver in resolv.conf', false);
  for (const s of f.sshPeers) add(s, SSH_PEER, false);
  for (const w of whitelist) add(w, 'BLOCK_WHITELIST', false);
  for (const d of dl0) add(d, 'auto_dl danger level 0', false);
  for (const e of out) if (e.reason === SSH_PEER) e.ssh = true;
  // Hard rules first so a refusal names the strongest reason.
  return out.sort((a, b) => Number(b.hard) - Number(a.hard));
}
