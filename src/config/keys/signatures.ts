/** Keys owned by the signatures stage. */
import { parseCidr } from '../../net/address.js';
import { flag, list, str, type KeyTable } from '../key-types.js';

export const title = 'Signatures';

const VAR_NAME = /^\$[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks a Snort address expression (`any`, CIDR, dotted mask, `$VAR`, `!`, `[a,b]`) token by token. */
function checkAddresses(v: string): string | null {
  for (const raw of v.split(/[[\],\s]+/)) {
    const t = raw.replace(/^!+/, '');
    if (t === '' || t === 'any' || VAR_NAME.test(t) || parseCidr(t) !== null) continue;
    return `"${raw}" is not an address, network, "any" or $VARIABLE`;
  }
  return null;
}

/** Checks a Snort port expression (`80`, `1:1024`, `1024:`, `:99`, `!80`, `[80,443]`, `$VAR`, `any`). */
function checkPorts(v: string): string | null {
  for (const raw of v.split(/[[\],\s]+/)) {
    const t = raw.replace(/^!+/, '');
    if (t === '' || t === 'any' || VAR_NAME.test(t) || /^\d{0,5}(:\d{0,5})?$/.test(t)) continue;
    return `"${raw}" is not a port, port range, "any" or $VARIABLE`;
  }
  return null;
}

const addr = (def: string, doc: string) => str(def, doc, { validate: checkAddresses });
const ports = (def: string, doc: string) => str(def, doc, { validate: checkPorts });

// psad's AIM_SERVERS default (AOL's networks of the Snort 2 era), kept so psad files read the same.
const AIM = '[64.12.24.0/23,64.12.28.0/23,64.12.161.0/24,64.12.163.0/24,64.12.200.0/24,205.188.3.0/24,205.188.5.0/24,205.188.7.0/24,205.188.9.0/24,205.188.153.0/24,205.188.179.0/24,205.188.248.0/24]';

export const keys = {
  ENABLE_SIGNATURES: flag(true, 'Y: match packets against the signature rules (SIGNATURES_PATH). N: no rule matching (psad --no-signatures); fwsnort SID log prefixes are still honoured when ENABLE_SNORT_SIDS is Y.'),
  SIGNATURE_ROLES: flag(true, 'Y: a rule\'s tsad_role decides what a match does to its source\'s danger level (see tsad-signatures(5)): a "label" rule only names a tool or behaviour, a "service" rule (one SYN to a telnet, SMB, database or backdoor port) gives its level only once the source shows scan evidence (DANGER_LEVEL1 probes, destinations or distinct ports, or a level from elsewhere), an "anomaly" rule (NULL, XMAS, FIN, port 0, TTL 0) gives level 1 for a single packet and its own level when repeated or sent by a raw-packet scanner. N: every match sets its rule\'s level, as in psad. Rules without tsad_role (psad\'s signatures file) always set their level.', { psad: '(none)' }),
  SIGNATURES_PATH: list(['shipped'], 'Comma separated signature files and directories (every *.rules file in a directory is read). The word "shipped" stands for the rule set installed with tsad (the signatures/ directory of the package). A psad signatures file (/etc/psad/signatures) can be listed as it is. "tsad analyze --signatures" overrides this key.', { psad: 'SIGS_FILE' }),
  SNORT_RULE_DL_FILE: str('/etc/tsad/snort_rule_dl', 'File of "<sid> <dl>" lines that override the danger level of a signature or of an fwsnort SID (0 to 5; 0 ignores the packet). A missing file means no overrides.'),
  ENABLE_SNORT_SIDS: flag(true, 'Y: a log prefix containing SNORT_SID_STR followed by digits (fwsnort, e.g. "[1] SID2003 ESTAB") is a hit for that Snort sid at danger level 2 (or its SNORT_RULE_DL_FILE level); such packets get no other signature matching (psad --no-snort-sids turns this off).'),
  SNORT_SID_STR: str('SID', 'The text before the sid number in fwsnort log prefixes.', { validate: (v) => (v === '' ? 'must not be empty' : null) }),
  HOME_NET: addr('any', 'Your networks, for $HOME_NET in signature headers: "any", an address, a CIDR (IPv4 or IPv6), a dotted mask, or a list in brackets "[192.0.2.0/24,2001:db8::/32]" (brackets make "!$HOME_NET" negate the whole list).'),
  EXTERNAL_NET: addr('any', 'Networks outside HOME_NET, for $EXTERNAL_NET in signature headers (psad\'s default is any; Snort\'s is !$HOME_NET).'),
  HTTP_SERVERS: addr('$HOME_NET', 'Web servers, for $HTTP_SERVERS in signature headers.'),
  SMTP_SERVERS: addr('$HOME_NET', 'Mail servers, for $SMTP_SERVERS in signature headers. The shipped egress rule on outbound SMTP fires only for hosts outside this list, so set it to your real mail relays.'),
  DNS_SERVERS: addr('$HOME_NET', 'DNS servers, for $DNS_SERVERS in signature headers.'),
  SQL_SERVERS: addr('$HOME_NET', 'Database servers, for $SQL_SERVERS in signature headers.'),
  TELNET_SERVERS: addr('$HOME_NET', 'Telnet servers, for $TELNET_SERVERS in signature headers.'),
  AIM_SERVERS: addr(AIM, 'AOL Instant Messenger servers, for $AIM_SERVERS in signature headers (psad\'s historical default).'),
  HTTP_PORTS: ports('80', 'Web ports, for $HTTP_PORTS in signature headers: a port, a range "N:M", a list "[80,8080]" or a negation "!80".'),
  SHELLCODE_PORTS: ports('!80', 'Ports for $SHELLCODE_PORTS in signature headers.'),
  ORACLE_PORTS: ports('1521', 'Ports for $ORACLE_PORTS in signature headers.'),
} satisfies KeyTable;
