/** Keys owned by the blocking stage (src/actions/block). */
import { flag, int, KeyValueError, list, oneOf, str, type KeyDef, type KeyTable } from '../key-types.js';
import { parseCidr } from '../../net/address.js';

export const title = 'Auto-blocking';

const NONE = { psad: '(none)' };

/** The backends tsad can drive; BLOCK_BACKEND lists one or more of them. */
export const BLOCK_BACKENDS = ['nftables', 'ipset', 'iptables', 'xt_recent', 'hosts.deny', 'command', 'none'] as const;
export type BlockBackendName = (typeof BLOCK_BACKENDS)[number];

/** Placeholders of BLOCK_COMMAND; each must be a whole argument. */
export const COMMAND_PLACEHOLDERS = ['%ACTION%', '%ADDR%', '%TIMEOUT%', '%FAMILY%'] as const;

/**
 * A per-level timeout that, like psad's "$AUTO_BLOCK_TIMEOUT" default,
 * follows AUTO_BLOCK_TIMEOUT until set: null means INHERIT. psad.conf lines
 * written as "$AUTO_BLOCK_TIMEOUT" expand to a number and work unchanged.
 */
function levelTimeout(def: number | null, doc: string): KeyDef<number | null> {
  return {
    default: def,
    doc,
    repeatable: false,
    parse(raw) {
      if (raw.toUpperCase() === 'INHERIT') return null;
      if (!/^\d+$/.test(raw)) throw new KeyValueError(`expected seconds (0 = until removed) or INHERIT, got "${raw}"`);
      return Number(raw);
    },
    format: (v) => (v === null ? 'INHERIT' : String(v)),
  };
}

function cidrItem(item: string): string | null {
  return parseCidr(item) === null ? `"${item}" is not an address or CIDR (ADDR or ADDR/LEN)` : null;
}

function backendItem(item: string): string | null {
  return (BLOCK_BACKENDS as readonly string[]).includes(item) ? null : `unknown backend "${item}" (expected ${BLOCK_BACKENDS.join(', ')})`;
}

function regexValue(v: string): string | null {
  try {
    new RegExp(v);
    return null;
  } catch (err) {
    return `not a valid regular expression: ${(err as Error).message}`;
  }
}

/** BLOCK_COMMAND: an absolute program path, then arguments; placeholders only as whole arguments. */
export function splitBlockCommand(v: string): string[] {
  return v.split(/\s+/).filter((s) => s !== '');
}

function commandValue(v: string): string | null {
  if (v === '') return null;
  const argv = splitBlockCommand(v);
  if (!(argv[0] ?? '').startsWith('/')) return 'the program must be an absolute path (it is run directly, never through a shell)';
  for (const arg of argv.slice(1)) {
    if (arg.includes('%') && !(COMMAND_PLACEHOLDERS as readonly string[]).includes(arg)) {
      return `"${arg}": a placeholder must be a whole argument, one of ${COMMAND_PLACEHOLDERS.join(' ')}`;
    }
  }
  return null;
}

function recentName(v: string): string | null {
  return /^[A-Za-z0-9_.-]{1,200}$/.test(v) ? null : 'an xt_recent list name is 1-200 letters, digits, "_", "-" or "."';
}

export const keys = {
  ENABLE_AUTO_IDS: flag(false, 'Y: block sources automatically once their danger level reaches AUTO_IDS_DANGER_LEVEL (off by default, as in psad). Manual "tsad block" works either way.'),
  AUTO_IDS_DANGER_LEVEL: int(3, 'The lowest danger level that is blocked automatically (when ENABLE_AUTO_IDS is Y). psad\'s default was 5 because its levels were inflated by replies and single probes; tsad\'s level 3 is a real scan (150 packets to one host, 50 hosts in SCAN_TIMEOUT, 150 distinct ports over days, or a level-3 signature with scan evidence), and on the real-world corpus no reply, backscatter, LAN, crawler or single-probe source reaches it. Level 5 (10000 packets or 500 hosts) would almost never block. Manual blocks ("tsad block" without --timeout) last AUTO_BLOCK_DL5_TIMEOUT (until removed), whatever this level.', { min: 1, max: 5 }),
  AUTO_BLOCK_TIMEOUT: int(3600, 'Seconds a block lasts when the per-level key says INHERIT. 0 keeps blocks until removed ("tsad unblock" or "tsad flush").'),
  AUTO_BLOCK_DL1_TIMEOUT: levelTimeout(null, 'Seconds a danger level 1 source stays blocked; 0 = until removed; INHERIT = AUTO_BLOCK_TIMEOUT (psad\'s default "$AUTO_BLOCK_TIMEOUT").'),
  AUTO_BLOCK_DL2_TIMEOUT: levelTimeout(null, 'Seconds a danger level 2 source stays blocked; 0 = until removed; INHERIT = AUTO_BLOCK_TIMEOUT.'),
  AUTO_BLOCK_DL3_TIMEOUT: levelTimeout(null, 'Seconds a danger level 3 source stays blocked; 0 = until removed; INHERIT = AUTO_BLOCK_TIMEOUT.'),
  AUTO_BLOCK_DL4_TIMEOUT: levelTimeout(null, 'Seconds a danger level 4 source stays blocked; 0 = until removed; INHERIT = AUTO_BLOCK_TIMEOUT.'),
  AUTO_BLOCK_DL5_TIMEOUT: levelTimeout(0, 'Seconds a danger level 5 source stays blocked; 0 = until removed (psad\'s default); INHERIT = AUTO_BLOCK_TIMEOUT.'),
  ENABLE_AUTO_IDS_REGEX: flag(false, 'Y: block automatically only sources with at least one packet whose log prefix matches AUTO_BLOCK_REGEX (meant for fwsnort prefixes).'),
  AUTO_BLOCK_REGEX: str('ESTAB', 'Regular expression for ENABLE_AUTO_IDS_REGEX, matched against log prefixes.', { validate: regexValue }),
  AUTO_BLOCK_ESCALATION_FACTOR: int(1, 'Repeat offenders: each earlier block of the same address or prefix (within AUTO_BLOCK_OFFENDER_MEMORY) multiplies the timeout by this factor. 1 turns escalation off. Permanent (0) timeouts stay permanent.', { min: 1, max: 100 }, NONE),
  AUTO_BLOCK_ESCALATION_MAX: int(2592000, 'Upper bound in seconds for an escalated timeout (default 30 days). 0 lets an escalated block become permanent instead of capping it.', {}, NONE),
  AUTO_BLOCK_OFFENDER_MEMORY: int(2592000, 'Seconds an earlier block counts towards escalation (default 30 days).', { min: 1 }, NONE),
  AUTO_BLOCK_MAX_PER_MINUTE: int(600, 'At most this many automatic blocks in any 60 seconds; more are refused and logged (a flood of spoofed scans must not fill the firewall). 0 = no limit. Manual blocks are not counted against it.', {}, NONE),
  AUTO_BLOCK_MAX_TOTAL: int(100000, 'At most this many blocks in force at once; further automatic blocks are refused and logged. 0 = no limit.', {}, NONE),
  BLOCK_BACKEND: list(['nftables'], 'Comma separated firewall backends that carry the blocks: nftables (table "inet tsad", sets block_v4/block_v6 with kernel timeouts), ipset (sets tsad-block-v4/-v6 matched from iptables/ip6tables chains TSAD_BLOCK_INPUT/OUTPUT/FORWARD), iptables (one rule per address in those chains, as psad does), xt_recent (/proc/net/xt_recent/XT_RECENT_NAME), hosts.deny (ETC_HOSTS_DENY_FILE), command (BLOCK_COMMAND), none. ipset and iptables share the chains and cannot be listed together.', { validate: backendItem, psad: 'IPTABLES_BLOCK_METHOD, TCPWRAPPERS_BLOCK_METHOD' }),
  BLOCK_TARGET: oneOf('DROP', ['DROP', 'REJECT', 'TARPIT'] as const, 'What a block does: DROP (silently), REJECT (ICMP administratively prohibited), or TARPIT (iptables/ipset backends only, needs the xtables-addons TARPIT target; falls back to DROP when the kernel lacks it; nftables has no tarpit and uses DROP).', { psad: 'IPT_AUTO_CHAIN1 (target field)' }),
  BLOCK_WHITELIST: list([], 'Comma separated addresses and CIDRs that are never blocked, nor any prefix containing them, automatically or by "tsad block" without --force. NONE for none. auto_dl entries with danger level 0 are never blocked either.', { validate: cidrItem, psad: '(auto_dl DL 0 only)' }),
  BLOCK_PROTECT_GATEWAYS: flag(true, 'Y: never block this host\'s default gateways (IPv4 and IPv6), so a scan spoofed from the gateway cannot cut the host off.', NONE),
  BLOCK_PROTECT_RESOLVERS: flag(true, 'Y: never block the name servers listed in /etc/resolv.conf.', NONE),
  BLOCK_PROTECT_SSH_PEERS: flag(true, 'Y: never block the remote ends of established SSH sessions into this host (BLOCK_SSH_PORTS), so an administrator is not locked out. A source with sshd failures in the service logs is not spared: its open connection is a password guesser\'s.', NONE),
  BLOCK_SSH_PORTS: list(['22'], 'Local TCP ports whose established sessions count as SSH sessions for BLOCK_PROTECT_SSH_PEERS.', { validate: (p) => (/^\d{1,5}$/.test(p) && Number(p) <= 65535 ? null : `"${p}" is not a port number`), ...NONE }),
  BLOCK_CHECK_INTERVAL: int(30, 'Seconds between checks that tsad\'s firewall objects still exist; when a firewall reload removed them they are re-created with every live block in one batch.', { min: 1 }, NONE),
  XT_RECENT_NAME: str('tsad', 'The xt_recent list written by the xt_recent backend (/proc/net/xt_recent/NAME). The list exists once a rule such as "iptables -I INPUT -m recent --name tsad --rcheck -j DROP" is loaded.', { validate: recentName, ...NONE }),
  ETC_HOSTS_DENY_FILE: str('/etc/hosts.deny', 'The tcpwrappers file the hosts.deny backend maintains. tsad only rewrites the lines between its own marker comments.'),
  BLOCK_COMMAND: str('', 'For the command backend: an absolute program path and its arguments, split at spaces, run directly (never by a shell). Whole-argument placeholders: %ACTION% (block, unblock), %ADDR% (address or CIDR), %TIMEOUT% (seconds, 0 = until removed), %FAMILY% (4 or 6). Example: /usr/local/sbin/ban %ACTION% %ADDR% %TIMEOUT%', { validate: commandValue, psad: 'EXTERNAL_BLOCK_SCRIPT' }),
} satisfies KeyTable;
