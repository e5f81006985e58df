/**
 * Detection benchmark (`node dist/bench/detect-bench.js [--sources N]
 * [--max-sources N] [--scan-packets N]`): builds Packet objects directly
 * (no parsing) and measures the filter plus ScanTracker.observe():
 *   1. flood: N distinct IPv4 sources, one SYN each (an address-hopping flood);
 *   2. scan: 1,000 sources each scanning ports of one host after another (the
 *      common case: a packet from a source already tracked, same host as before);
 *   3. interleaved: the same sources probing 4 hosts in turn (nmap's parallel
 *      host groups; the destination window reorders on every packet);
 *   4. report: sourceReport() for every source at DL >= 1.
 * Prints packets/s and ns per packet by wall clock and by CPU time (the
 * machine may be shared), tracker stats and peak RSS. Asserts nothing.
 */
import { defaultConfig, buildConfig } from '../config/load.js';
import type { Config } from '../config/keys/index.js';
import { createPacketFilter, ScanTracker, sourceReports, loadFingerprints, shippedFingerprintsPath } from '../detect/index.js';
import { TCP_SYN, type Packet } from '../model/packet.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function packet(): Packet {
  return {
    ts: Date.UTC(2026, 0, 1), host: 'fw', prefix: 'DROP', chain: 'INPUT', dir: 'inbound', inIf: 'eth0', outIf: '', physIn: '', physOut: '', mac: '',
    family: 4, src: '', dst: '192.0.2.1', len: 44, tos: 0, prec: 0, ttl: 50, id: 1, tc: -1, flowLabel: -1, ipFlags: 0, frag: -1,
    ipOpts: '', proto: 'tcp', protoNum: 6, sport: 40000, dport: 22, seq: -1, ack: -1, window: 1024, res: 0, tcpFlags: TCP_SYN,
    urgp: 0, tcpOpts: '020405B4', udpLen: -1, icmpType: -1, icmpCode: -1, icmpId: -1, icmpSeq: -1, icmpParam: -1, icmpMtu: -1,
    icmpGateway: '', inner: null, uid: -1, gid: -1, mark: -1, raw: '',
  };
}

function v4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

interface Mark {
  wall: number;
  cpu: NodeJS.CpuUsage;
}

function mark(): Mark {
  return { wall: performance.now(), cpu: process.cpuUsage() };
}

function line(name: string, packets: number, m: Mark): void {
  const ms = performance.now() - m.wall;
  const cpu = process.cpuUsage(m.cpu);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const heapMb = process.memoryUsage().heapUsed / 1048576;
  process.stdout.write(`${name.padEnd(12)} ${fmt(packets).padStart(11)} packets  ${fmt(packets / (ms / 1000)).padStart(11)} packets/s  ${(ms * 1e6 / packets).toFixed(0).padStart(5)} ns/packet wall, ${(cpuMs * 1e6 / packets).toFixed(0).padStart(5)} ns/packet CPU, heap ${fmt(heapMb)} MB\n`);
}

function run(cfg: Config, sources: number, scanPackets: number): void {
  const fp = loadFingerprints(shippedFingerprintsPath(), cfg.MAX_HOPS);
  const tracker = new ScanTracker(cfg, { osFingerprints: fp.problems.length === 0 ? fp.db : undefined });
  const filter = createPacketFilter(cfg);
  // Address strings are made before timing: the parser hands detection strings it already built.
  const addrs = new Array<string>(sources);
  for (let i = 0; i < sources; i++) addrs[i] = v4(0x0a000000 + i);
  const p = packet();
  let m = mark();
  for (let i = 0; i < sources; i++) {
    p.src = addrs[i] as string;
    p.ts += 1;
    if (filter(p) === null) tracker.observe(p, null);
  }
  line('flood', sources, m);
  process.stdout.write(`             tracked ${fmt(tracker.stats.tracked)}, evicted ${fmt(tracker.stats.evicted)}, peak RSS ${fmt(peakRssMb())} MB\n`);

  const scanners = 1000;
  const dsts = Array.from({ length: 64 }, (_, i) => v4(0xc0000200 + i));
  const scanAddrs = Array.from({ length: scanners }, (_, i) => v4(0xc6336400 + i));
  for (const [name, dstOf] of [
    ['scan', (n: number) => (n >>> 10) & 63],
    ['interleaved', (n: number) => n & 3],
  ] as const) {
    m = mark();
    for (let i = 0; i < scanPackets; i++) {
      const n = Math.floor(i / scanners); // this source's packet number
      p.src = scanAddrs[i % scanners] as string;
      p.dst = dsts[dstOf(n)] as string;
      p.dport = (n >>> 2) & 1023;
      p.ttl = 37 + (i % 23);
      p.ts += 1;
      if (filter(p) === null) tracker.observe(p, null);
    }
    line(name, scanPackets, m);
  }

  m = mark();
  const reports = sourceReports(tracker, cfg, 1);
  process.stdout.write(`report       ${fmt(reports.length)} sources at DL >= 1 in ${(performance.now() - m.wall).toFixed(0)} ms\n`);
  process.stdout.write(`peak RSS     ${fmt(peakRssMb())} MB\n`);
}

const sources = arg('--sources', 1_000_000);
const maxSources = arg('--max-sources', 0);
const scanPackets = arg('--scan-packets', 5_000_000);
const cfg = maxSources > 0
  ? buildConfig([{ key: 'MAX_TRACKED_SOURCES', raw: String(maxSources), line: 1 }], '(bench)')
  : defaultConfig();
process.stdout.write(`detect bench: ${fmt(sources)} flood sources, MAX_TRACKED_SOURCES ${fmt(cfg.MAX_TRACKED_SOURCES)}, node ${process.version}\n`);
run(cfg, sources, scanPackets);
