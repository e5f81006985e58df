/** Shared test helpers: configurations, parsed lines, rule sets from text. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config/keys/index.js';
import { buildConfig } from '../../src/config/load.js';
import type { Packet } from '../../src/model/packet.js';
import { createParseContext, parseLine } from '../../src/parse/index.js';
import { loadSignatureSet } from '../../src/signatures/index.js';

/** A configuration from `KEY value` pairs on top of the defaults. */
export function config(values: Record<string, string> = {}): Config {
  const entries = Object.entries(values).map(([key, raw], i) => ({ key, raw, line: i + 1 }));
  return buildConfig(entries, '(test)');
}

/** The configuration the shipped rules' test lines are written for (see the rule file headers). */
export const SHIPPED_TEST_CONFIG: Record<string, string> = {
  HOME_NET: '[198.51.100.0/24,2001:db8:100::/48]',
  EXTERNAL_NET: '!$HOME_NET',
  SMTP_SERVERS: '198.51.100.25',
  DNS_SERVERS: '198.51.100.53',
};

export function packet(line: string): Packet {
  const p = parseLine(line, createParseContext({ year: 2026 }));
  if (p === null || typeof p === 'string') throw new Error(`not a packet (${String(p)}): ${line}`);
  return p;
}

/** A netfilter LOG line from a short description (the kernel text tsad reads). */
export function logLine(fields: string, prefix = 'DROP'): string {
  return `Nov 21 08:00:00 gw kernel: [100.000000] ${prefix} ${fields}`;
}

export function tcpLine(src: string, dst: string, spt: number, dpt: number, flags = 'SYN', extra: { len?: number; ttl?: number; id?: number; window?: number; chain?: 'INPUT' | 'OUTPUT' | 'FORWARD'; seq?: number } = {}): string {
  const iface = extra.chain === 'OUTPUT' ? 'IN= OUT=eth0' : extra.chain === 'FORWARD' ? 'IN=eth1 OUT=eth0' : 'IN=eth0 OUT=';
  const seq = extra.seq === undefined ? '' : `SEQ=${extra.seq} ACK=0 `;
  const ip = src.includes(':')
    ? `SRC=${src} DST=${dst} LEN=${extra.len ?? 60} TC=0 HOPLIMIT=${extra.ttl ?? 50} FLOWLBL=0`
    : `SRC=${src} DST=${dst} LEN=${extra.len ?? 40} TOS=0x00 PREC=0x00 TTL=${extra.ttl ?? 50} ID=${extra.id ?? 1}`;
  return logLine(`${iface} ${ip} PROTO=TCP SPT=${spt} DPT=${dpt} ${seq}WINDOW=${extra.window ?? 1024} RES=0x00 ${flags === '' ? '' : `${flags} `}URGP=0`);
}

let dir: string | null = null;
/** Writes rule text to a fresh file and returns its path. */
export function ruleFile(text: string, name = 'test.rules'): string {
  dir ??= mkdtempSync(join(tmpdir(), 'tsad-sig-'));
  const path = join(dir, `${Math.random().toString(36).slice(2)}-${name}`);
  writeFileSync(path, text);
  return path;
}

/** Loads rule text with a configuration; no snort_rule_dl unless given. */
export function load(text: string, values: Record<string, string> = {}, ruleDl?: string) {
  const cfg = config({ SNORT_RULE_DL_FILE: '""', ...values });
  return loadSignatureSet({ paths: [ruleFile(text)], cfg, ...(ruleDl === undefined ? {} : { ruleDlFile: ruleFile(ruleDl, 'snort_rule_dl') }) });
}

/** Sids that fire on a line. */
export function sids(set: ReturnType<typeof load>['set'], line: string): number[] {
  return (set.match(packet(line)) ?? []).map((h) => h.sid);
}
