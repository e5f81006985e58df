/**
 * `$NAME` variables of rule headers. The psad ones come from the
 * configuration; a few more of Snort's standard port variables have fixed
 * values so that imported Snort/Suricata rules read without a snort.conf.
 */
import type { Config } from '../config/keys/index.js';

export type VarTable = ReadonlyMap<string, string>;

/** Snort 2.9's snort.conf defaults for port variables psad never had. */
const SNORT_PORT_DEFAULTS: ReadonlyArray<[string, string]> = [
  ['SSH_PORTS', '22'],
  ['FTP_PORTS', '[21,2100,3535]'],
  ['SIP_PORTS', '[5060,5061,5600]'],
  ['FILE_DATA_PORTS', '[$HTTP_PORTS,110,143]'],
  ['GTP_PORTS', '[2123,2152,3386]'],
];

export function varsFromConfig(cfg: Config): VarTable {
  const m = new Map<string, string>(SNORT_PORT_DEFAULTS);
  const fromCfg = {
    HOME_NET: cfg.HOME_NET,
    EXTERNAL_NET: cfg.EXTERNAL_NET,
    HTTP_SERVERS: cfg.HTTP_SERVERS,
    SMTP_SERVERS: cfg.SMTP_SERVERS,
    DNS_SERVERS: cfg.DNS_SERVERS,
    SQL_SERVERS: cfg.SQL_SERVERS,
    TELNET_SERVERS: cfg.TELNET_SERVERS,
    AIM_SERVERS: cfg.AIM_SERVERS,
    HTTP_PORTS: cfg.HTTP_PORTS,
    SHELLCODE_PORTS: cfg.SHELLCODE_PORTS,
    ORACLE_PORTS: cfg.ORACLE_PORTS,
  };
  for (const [k, v] of Object.entries(fromCfg)) m.set(k, v);
  return m;
}
