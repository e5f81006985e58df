/**
 * Signature matching cost per packet for rule sets of different sizes:
 * the shipped set plus generated port rules (as an imported Snort set adds
 * them), matched against a deterministic mix of parsed scan traffic.
 * `node dist/bench/signatures-bench.js [--packets N]` prints ns/packet;
 * the cost must stay flat from 200 to 10,000 rules. Asserts nothing.
 */
import { pathToFileURL } from 'node:url';
import { defaultConfig } from '../config/load.js';
import type { Packet } from '../model/packet.js';
import { createParseContext, parseLine } from '../parse/index.js';
import { buildRules } from '../signatures/build-rules.js';
import { shippedSignaturesDir } from '../signatures/load.js';
import { readRuleSources, type RuleSource } from '../signatures/rule-files.js';
import { SignatureSet } from '../signatures/signature-set.js';
import { varsFromConfig } from '../signatures/vars.js';

export interface BenchRow {
  rules: number;
  packets: number;
  nsPerPacket: number;
  /** Share of packets with at least one hit. */
  hitRate: number;
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON = [22, 23, 25, 80, 139, 443, 445, 1433, 2323, 3306, 3389, 5900, 6379, 8080, 9200, 27017];

/** Parsed packets: TCP SYNs (IPv4 and IPv6), UDP and ICMP, a third to well-known ports. */
export function benchPackets(n: number, seed = 7): Packet[] {
  const r = rng(seed);
  const ctx = createParseContext({ year: 2026 });
  const out: Packet[] = [];
  const port = () => (r() < 0.3 ? (COMMON[Math.floor(r() * COMMON.length)] as number) : 1 + Math.floor(r() * 65535));
  const src = () => `203.0.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
  while (out.length < n) {
    const k = r();
    const head = `Nov 21 08:00:00 gw kernel: DROP IN=eth0 OUT= `;
    let line: string;
    if (k < 0.65) line = `${head}SRC=${src()} DST=198.51.100.10 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=${port()} WINDOW=${r() < 0.1 ? 1024 : 64240} RES=0x00 SYN URGP=0`;
    else if (k < 0.75) line = `${head}SRC=2001:db8:bad::${Math.floor(r() * 65535).toString(16)} DST=2001:db8:100::10 LEN=64 TC=0 HOPLIMIT=50 FLOWLBL=0 PROTO=TCP SPT=40000 DPT=${port()} WINDOW=${r() < 0.1 ? 1024 : 64240} RES=0x00 SYN URGP=0`;
    else if (k < 0.9) line = `${head}SRC=${src()} DST=198.51.100.10 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=UDP SPT=40000 DPT=${port()} LEN=40`;
    else line = `${head}SRC=${src()} DST=198.51.100.10 LEN=84 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=ICMP TYPE=${r() < 0.7 ? 8 : 13} CODE=0${''} ID=1 SEQ=1`;
    const p = parseLine(line, ctx);
    if (p !== null && typeof p !== 'string') out.push(p);
  }
  return out;
}

/** The shipped rules plus generated single-port TCP/UDP rules, `total` in all. */
export function benchRuleSources(total: number): RuleSource[] {
  const shipped = readRuleSources([shippedSignaturesDir()]).sources;
  const out = shipped.slice(0, total);
  for (let i = 0; out.length < total; i++) {
    const proto = i % 4 === 3 ? 'udp' : 'tcp';
    const port = 1 + ((i * 7919) % 65535);
    const opts = proto === 'tcp' ? 'flags:S,12; ' : 'dsize:>0; ';
    const text = `alert ${proto} $EXTERNAL_NET any -> $HOME_NET ${port} (msg:"BENCH ${proto} ${port}"; ${opts}psad_id:${300000 + i}; psad_dl:2;)`;
    out.push({ file: 'bench', line: i + 1, text, fires: [], quiet: [], testConfig: '' });
  }
  return out;
}

/**
 * Best of `rounds` passes of `packetCount` matches over a pool of 4096 parsed
 * packets. The pool stays in cache, as a packet does in the pipeline between
 * being parsed and being matched.
 */
export function benchSignatures(sizes: readonly number[] = [200, 10_000], packetCount = 200_000, rounds = 5): BenchRow[] {
  const pool = benchPackets(4096);
  const vars = varsFromConfig(defaultConfig());
  const rows: BenchRow[] = [];
  for (const size of sizes) {
    const { rules } = buildRules(benchRuleSources(size), vars, new Map());
    const set = new SignatureSet(rules);
    let hits = 0;
    for (const p of pool) if (set.match(p) !== null) hits++; // warm-up
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < rounds; round++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < packetCount; i++) set.match(pool[i & 4095] as Packet);
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / packetCount);
    }
    rows.push({ rules: set.size, packets: packetCount, nsPerPacket: best, hitRate: hits / pool.length });
  }
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const i = process.argv.indexOf('--packets');
  const n = i >= 0 ? Number(process.argv[i + 1]) : 200_000;
  for (const row of benchSignatures([200, 1000, 10_000], n)) {
    process.stdout.write(`signatures: ${String(row.rules).padStart(6)} rules  ${row.nsPerPacket.toFixed(0).padStart(5)} ns/packet  (${row.packets} packets, ${(row.hitRate * 100).toFixed(1)}% with a hit)\n`);
  }
}
