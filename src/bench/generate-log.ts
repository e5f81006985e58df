/**
 * Deterministic kern.log generator for the benchmark: port scans, sweeps and
 * background drops from many IPv4 and IPv6 sources, ICMP, and lines of other
 * programs, in RFC 3164 envelopes. The same seed gives the same bytes.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const COMMON_PORTS = [22, 23, 25, 53, 80, 110, 135, 139, 443, 445, 1433, 1434, 2323, 3306, 3389, 5060, 5900, 6379, 8080, 8443, 9200, 27017];

function stamp(ms: number): string {
  const d = new Date(ms);
  const dd = String(d.getUTCDate()).padStart(2, ' ');
  const t = d.toISOString().slice(11, 19);
  return `${MONTHS[d.getUTCMonth()]} ${dd} ${t}`;
}

function v4(r: () => number): string {
  return `${1 + Math.floor(r() * 222)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
}

function v6(r: () => number): string {
  const g = () => Math.floor(r() * 65536).toString(16).padStart(4, '0');
  return `2001:0db8:${g()}:${g()}:0000:0000:0000:${g()}`;
}

/** Lines gathered into ~1 MiB writes; end() resolves with the byte count once the file is complete. */
function logWriter(path: string): { add(line: string): Promise<void> | undefined; end(): Promise<number> } {
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  let buf = '';
  return {
    add(line) {
      buf += `${line}\n`;
      if (buf.length <= 1 << 20) return undefined;
      bytes += Buffer.byteLength(buf);
      const full = !out.write(buf);
      buf = '';
      return full ? once(out, 'drain').then(() => undefined) : undefined;
    },
    async end() {
      bytes += Buffer.byteLength(buf);
      out.end(buf);
      await once(out, 'finish');
      return bytes;
    },
  };
}

export interface GenerateOptions {
  lines: number;
  seed?: number;
  /** Distinct background sources (address-hopping floods use a large number). */
  sources?: number;
}

/** Writes the log; returns the byte count. */
export async function generateLog(path: string, opt: GenerateOptions): Promise<number> {
  const r = rng(opt.seed ?? 42);
  const nSources = opt.sources ?? 50_000;
  const pool4 = Array.from({ length: nSources }, () => v4(r));
  const pool6 = Array.from({ length: Math.max(1, nSources >> 3) }, () => v6(r));
  const scanners = Array.from({ length: 40 }, (_, i) => ({ src: i % 5 === 0 ? v6(r) : v4(r), next: 1 + Math.floor(r() * 1000), flags: ['SYN', 'FIN', 'URG PSH FIN', '', 'SYN'][i % 5] as string, udp: i % 7 === 0 }));
  const out = logWriter(path);
  let t = Date.UTC(2026, 10, 20, 0, 0, 0);
  let uptime = 86_400;
  for (let n = 0; n < opt.lines; n++) {
    t += Math.floor(r() * 170); // ~12k lines per simulated minute
    uptime += 0.0853;
    const x = r();
    let line: string;
    const head = `${stamp(t)} fw1 kernel: [${uptime.toFixed(6).padStart(13, ' ')}] `;
    if (x < 0.07) {
      line = `${stamp(t)} fw1 sshd[${1000 + Math.floor(r() * 9000)}]: Connection closed by ${v4(r)} port ${1024 + Math.floor(r() * 60000)} [preauth]`;
    } else if (x < 0.09) {
      line = `${stamp(t)} fw1 CRON[${1000 + Math.floor(r() * 9000)}]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)`;
    } else if (x < 0.32) {
      const s = scanners[Math.floor(r() * scanners.length)] as (typeof scanners)[number];
      const dport = s.next++;
      if (s.next > 65535) s.next = 1;
      const six = s.src.includes(':');
      const ip = six
        ? `SRC=${s.src} DST=2001:0db8:0000:0000:0000:0000:0000:0002 LEN=60 TC=0 HOPLIMIT=52 FLOWLBL=0`
        : `SRC=${s.src} DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=${40 + Math.floor(r() * 20)} ID=${Math.floor(r() * 65536)}`;
      line = s.udp
        ? `${head}DROP IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 ${ip} PROTO=UDP SPT=${40000 + Math.floor(r() * 1000)} DPT=${dport} LEN=8 `
        : `${head}DROP IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 ${ip} PROTO=TCP SPT=${40000 + Math.floor(r() * 1000)} DPT=${dport} WINDOW=1024 RES=0x00 ${s.flags}${s.flags ? ' ' : ''}URGP=0 `;
    } else if (x < 0.36) {
      const src = pool4[Math.floor(r() * pool4.length)] as string;
      line = `${head}DROP IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 SRC=${src} DST=198.51.100.${2 + Math.floor(r() * 30)} LEN=84 TOS=0x00 PREC=0x00 TTL=57 ID=${Math.floor(r() * 65536)} DF PROTO=ICMP TYPE=8 CODE=0 ID=${Math.floor(r() * 65536)} SEQ=${1 + Math.floor(r() * 5)} `;
    } else if (x < 0.42) {
      const src = pool6[Math.floor(r() * pool6.length)] as string;
      line = `${head}DROP IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:86:dd SRC=${src} DST=2001:0db8:0000:0000:0000:0000:0000:0002 LEN=80 TC=0 HOPLIMIT=53 FLOWLBL=${Math.floor(r() * 1048576)} PROTO=TCP SPT=${1024 + Math.floor(r() * 60000)} DPT=${COMMON_PORTS[Math.floor(r() * COMMON_PORTS.length)]} WINDOW=64800 RES=0x00 SYN URGP=0 `;
    } else {
      const src = pool4[Math.floor(r() * pool4.length)] as string;
      const udp = r() < 0.15;
      const dport = COMMON_PORTS[Math.floor(r() * COMMON_PORTS.length)] as number;
      line = udp
        ? `${head}DROP IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 SRC=${src} DST=198.51.100.2 LEN=40 TOS=0x00 PREC=0x00 TTL=112 ID=${Math.floor(r() * 65536)} PROTO=UDP SPT=${1024 + Math.floor(r() * 60000)} DPT=${dport} LEN=20 `
        : `${head}DROP IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 SRC=${src} DST=198.51.100.2 LEN=60 TOS=0x00 PREC=0x00 TTL=${50 + Math.floor(r() * 70)} ID=${Math.floor(r() * 65536)} DF PROTO=TCP SPT=${1024 + Math.floor(r() * 60000)} DPT=${dport} WINDOW=${[29200, 64240, 65535, 8192][Math.floor(r() * 4)]} RES=0x00 SYN URGP=0 `;
    }
    await out.add(line);
  }
  return out.end();
}

/** Public-looking first octets for the distinct-source log (no private, loopback or multicast ranges). */
const FIRST_OCTETS = [5, 23, 31, 45, 62, 77, 89, 91, 103, 109, 141, 159, 176, 185, 193, 212];

/**
 * The address-hopping flood: `lines` lines, each a single SYN from a source
 * never seen before (9 in 10 IPv4, 1 in 10 IPv6, each in its own /64), to a
 * common port, over about ten minutes of log time. Addresses come from
 * bijections of the line number, so they are distinct without a set.
 */
export async function generateDistinctLog(path: string, opt: { lines: number; seed?: number }): Promise<number> {
  const r = rng(opt.seed ?? 7);
  const out = logWriter(path);
  let t = Date.UTC(2026, 10, 21, 3, 0, 0);
  let uptime = 172_800;
  let v4n = 0;
  let v6n = 0;
  for (let n = 0; n < opt.lines; n++) {
    const step = r() * 1.2; // ms: 1M lines in about 10 minutes
    t += step;
    uptime += step / 1000;
    const head = `${stamp(Math.floor(t))} fw1 kernel: [${uptime.toFixed(6).padStart(13, ' ')}] `;
    const dport = COMMON_PORTS[Math.floor(r() * COMMON_PORTS.length)] as number;
    const sport = 1024 + Math.floor(r() * 60000);
    let line: string;
    if (n % 10 === 9) {
      const j = Math.imul(v6n++, 0x2c1b3c6d) >>> 0; // odd multiplier: a bijection on 32 bits
      const src = `2a0${1 + (j & 3)}:${((j >>> 2) & 0xfff).toString(16)}:${((j >>> 14) & 0xffff).toString(16)}:${(j >>> 30).toString(16)}::${(1 + Math.floor(r() * 0xfffe)).toString(16)}`;
      line = `${head}DROP IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:86:dd SRC=${src} DST=2001:0db8:0000:0000:0000:0000:0000:0002 LEN=60 TC=0 HOPLIMIT=${40 + Math.floor(r() * 20)} FLOWLBL=0 PROTO=TCP SPT=${sport} DPT=${dport} WINDOW=1024 RES=0x00 SYN URGP=0 `;
    } else {
      const k = v4n++;
      const low = Math.imul(Math.floor(k / FIRST_OCTETS.length) + 1, 0x9e3779b1) & 0xffffff; // a bijection on 24 bits
      const src = `${FIRST_OCTETS[k % FIRST_OCTETS.length]}.${low >>> 16}.${(low >>> 8) & 255}.${low & 255}`;
      line = `${head}DROP IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 SRC=${src} DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=${40 + Math.floor(r() * 20)} ID=${Math.floor(r() * 65536)} PROTO=TCP SPT=${sport} DPT=${dport} WINDOW=1024 RES=0x00 SYN URGP=0 `;
    }
    await out.add(line);
  }
  return out.end();
}
