/**
 * Options whose condition cannot be seen in a netfilter LOG line, grouped by
 * why, and options that change nothing about which packets match.
 */
import { RuleSkip } from './rule-error.js';

const PAYLOAD = new Set([
  'content', 'uricontent', 'pcre', 'byte_test', 'byte_jump', 'byte_extract', 'byte_math', 'isdataat',
  'rawbytes', 'depth', 'offset', 'distance', 'within', 'nocase', 'fast_pattern', 'file_data', 'pkt_data',
  'base64_decode', 'base64_data', 'content-list', 'regex', 'replace', 'asn1', 'cvs', 'rpc', 'ftpbounce',
  'dce_iface', 'dce_opnum', 'dce_stub_data', 'ssl_state', 'ssl_version', 'sd_pattern', 'protected_content',
  'hash', 'length', 'bufferlen', 'urilen', 'startswith', 'endswith', 'dataset', 'datarep', 'lua', 'luajit',
  'js_data', 'sip_method', 'sip_stat_code', 'sip_header', 'sip_body', 'gtp_type', 'gtp_info', 'gtp_version',
  'modbus_func', 'modbus_unit', 'modbus_data', 'dnp3_func', 'dnp3_ind', 'dnp3_obj', 'dnp3_data', 'cip_service',
  'enip_command', 'ja3_hash', 'ja3s_hash', 'tls_cert_subject', 'tls_cert_issuer', 'ssh_proto', 'filemagic',
  'filename', 'fileext', 'filestore', 'filemd5', 'filesha1', 'filesha256', 'filesize', 'dns_query', 'to_md5',
  'to_sha256', 'to_lowercase', 'to_uppercase', 'strip_whitespace', 'compress_whitespace', 'xor', 'entropy',
]);

const FLOW_STATE = new Set(['flowbits', 'flowint', 'xbits', 'stream_size', 'stream_reassemble', 'stream_event']);
const RATE = new Set(['threshold', 'detection_filter']);

/** Options accepted and ignored: metadata or responses that do not change what matches. */
export const IGNORED = new Set(['gid', 'target', 'tag', 'session', 'logto', 'resp', 'react', 'noalert', 'requires', 'service', 'rem', 'sid_group']);

/** Throws RuleSkip when an option needs data a LOG line does not carry; returns quietly otherwise. */
export function checkVisible(name: string): void {
  if (PAYLOAD.has(name) || name.startsWith('http_') || name.startsWith('http.') || name.includes('.')) {
    throw new RuleSkip('payload', `needs packet payload (${name})`);
  }
  if (FLOW_STATE.has(name)) throw new RuleSkip('flow-state', `needs flow state (${name})`);
  if (RATE.has(name)) throw new RuleSkip('rate', `needs rate tracking (${name})`);
}

/** Application-layer protocols Suricata allows in the header. */
export const APP_LAYER = new Set([
  'http', 'http1', 'http2', 'tls', 'ssl', 'dns', 'smb', 'ftp', 'ftp-data', 'ssh', 'smtp', 'imap', 'pop3',
  'dcerpc', 'dhcp', 'nfs', 'ntp', 'krb5', 'snmp', 'sip', 'rfb', 'mqtt', 'rdp', 'ike', 'modbus', 'dnp3', 'enip',
  'tcp-stream', 'tftp', 'quic', 'pgsql', 'telnet', 'websocket', 'ldap', 'bittorrent-dht', 'irc', 'doh2',
]);
