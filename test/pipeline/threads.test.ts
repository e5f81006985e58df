/**
 * A partitioned analysis (`analyze --threads N`, src/pipeline/threads.ts)
 * gives the same answer as one thread, byte for byte, on the fixtures, the
 * real-world corpus when present, a generated bench log, and a log made to
 * stress what every thread must see alike: lines without a time (the
 * clock), more than 1000 log prefixes (the first 1000 are kept by name, in
 * log order), a signature at level 0 (a dropped packet must not move the
 * clock), replies and flows (the traffic classifier), --since/--until.
 * Light partitions (threads skip other threads' lines unparsed) are shown to
 * run without starting over on logs with IPv4, IPv6 (in full and shortened,
 * also aggregated by prefix), UDP, other programs' lines and unparsable firewall lines, and to
 * start over as full partitions on lines without a time (TSAD_DEBUG_THREADS
 * says which happened). Light partitions take their lines from the
 * calling thread, which reads for all (shared-lines.ts): several files in
 * one run, gzip, lines across its 1 MiB batches and read chunks, a file
 * without a last newline, CRLF, an over-long line, an empty and a missing
 * file give one thread's answer. Runs the built CLI (worker threads load dist/).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLog } from '../../src/bench/generate-log.js';
import { ROOT, runCli } from '../helpers/run-cli.js';

const FX = join(ROOT, 'fixtures');
const files = (dir: string, keep: (n: string) => boolean): string[] => readdirSync(dir).filter(keep).sort().map((n) => join(dir, n));
const CORPUS = join(FX, 'realworld', 'corpus');

let tmp = '';

async function analyze(threads: number, args: string[]): Promise<string> {
  const r = await runCli(['analyze', '--json', '--min-dl', '0', '--threads', String(threads), ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

async function sameInThreads(args: string[], counts: number[] = [2, 3]): Promise<Record<string, unknown>> {
  const one = await analyze(1, args);
  for (const n of counts) expect(await analyze(n, args), `--threads ${n}`).toBe(one);
  return JSON.parse(one) as Record<string, unknown>;
}

/** Whether light partitions started over as full ones (TSAD_DEBUG_THREADS), with the same report as one thread. */
async function startsOver(args: string[]): Promise<boolean> {
  const r = await runCli(['analyze', '--json', '--min-dl', '0', '--threads', '2', ...args], { env: { TSAD_DEBUG_THREADS: '1' } });
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(await analyze(1, args));
  expect(r.stderr).toContain('report written');
  return r.stderr.includes('start over');
}

/** Firewall lines the parser rejects (counted once, by the thread their source belongs to), other programs' lines, IPv6 and UDP. */
function mixedLog(): string {
  const out: string[] = [];
  const env = (s: number) => `Nov 21 11:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} fw1 kernel: [ 100.000000] `;
  for (let i = 0; i < 4000; i++) {
    const v4 = `198.18.${(i * 11) % 256}.${(i * 7) % 250 + 1}`;
    const v6 = `2001:0db8:${((i * 5) % 4096).toString(16).padStart(4, '0')}:0000:0000:0000:0000:${(i % 9 + 1).toString(16).padStart(4, '0')}`;
    const mac = 'MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00';
    out.push(`${env(i)}DROP IN=eth0 OUT= ${mac} SRC=${v4} DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=51 ID=1 PROTO=TCP SPT=40000 DPT=${1 + (i % 700)} WINDOW=1024 RES=0x00 SYN URGP=0`);
    out.push(`${env(i)}DROP IN=eth0 OUT= ${mac} SRC=${v6} DST=2001:0db8:0000:0000:0000:0000:0000:0002 LEN=80 TC=0 HOPLIMIT=53 FLOWLBL=0 PROTO=TCP SPT=40001 DPT=${1 + (i % 300)} WINDOW=1024 RES=0x00 SYN URGP=0`);
    // IPv6 shortened with `::`, also the destination.
    if (i % 2 === 0) out.push(`${env(i)}DROP IN=eth0 OUT= ${mac} SRC=2a01:${(i % 997).toString(16)}:0:${(i % 5).toString(16)}::${(i % 31 + 1).toString(16)} DST=2001:db8::2 LEN=80 TC=0 HOPLIMIT=53 FLOWLBL=0 PROTO=TCP SPT=40001 DPT=${1 + (i % 200)} WINDOW=1024 RES=0x00 SYN URGP=0`);
    out.push(`${env(i)}DROP IN=eth0 OUT= ${mac} SRC=${v4} DST=198.51.100.2 LEN=40 TOS=0x00 PREC=0x00 TTL=51 ID=1 PROTO=UDP SPT=${i % 4 === 0 ? 53 : 41000} DPT=${1024 + (i % 900)} LEN=20`);
    if (i % 10 === 0) out.push(`${env(i)}DROP IN=eth0 OUT= ${mac} SRC=${v4} DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=51 ID=1 PROTO=TCP SPT=40000 DPT=9x9 WINDOW=1024 RES=0x00 SYN URGP=0`);
    if (i % 10 === 5) out.push(`${env(i)}DROP IN=eth0 OUT= ${mac} SRC=${v4} DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=51 ID=1 PROTO=TCP SPT=40000 SPT=40001 DPT=22 WINDOW=1024 RES=0x00 SYN URGP=0`);
    if (i % 7 === 0) out.push(`Nov 21 11:00:00 fw1 sshd[${i}]: Failed password for root from ${v4} port 40000 ssh2`);
    if (i % 13 === 0) out.push(`Nov 21 11:00:00 fw1 CRON[${i}]: (root) CMD (true)`);
  }
  return `${out.join('\n')}\n`;
}

/** Lines of a made-up host that exercise the state every thread shares. */
function stressLog(): string {
  const out: string[] = [];
  const env = (s: number) => `Nov 21 10:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} fw1 kernel: `;
  for (let i = 0; i < 6000; i++) {
    const src = `203.0.${(i * 7) % 256}.${(i * 13) % 254 + 1}`;
    const pfx = i < 3000 ? `DROP-${i % 1200}` : 'DROP';
    const body = `IN=eth0 OUT= MAC=00:16:3e:aa:bb:cc:00:16:3e:dd:ee:ff:08:00 SRC=${src} DST=198.51.100.2 LEN=44 TOS=0x00 PREC=0x00 TTL=51 ID=1 PROTO=TCP SPT=40000 DPT=${1 + (i % 900)} WINDOW=${i % 3 === 0 ? 1024 : 29200} RES=0x00 SYN URGP=0`;
    // Every fifth line has no time at all: scored at the clock of the packets before it.
    out.push(i % 5 === 0 ? `${pfx} ${body}` : `${env(i)}${pfx} ${body}`);
    if (i % 50 === 0) {
      // This host's own connection out, and the answer: a reply, not a probe.
      out.push(`${env(i)}OUT IN= OUT=eth0 SRC=198.51.100.2 DST=192.0.2.${i % 200} LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=2 DF PROTO=TCP SPT=50000 DPT=443 WINDOW=64240 RES=0x00 SYN URGP=0`);
      out.push(`${env(i)}DROP IN=eth0 OUT= SRC=192.0.2.${i % 200} DST=198.51.100.2 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=3 PROTO=TCP SPT=443 DPT=50000 WINDOW=65160 RES=0x00 ACK SYN URGP=0`);
    }
  }
  return `${out.join('\n')}\n`;
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'tsad-threads-'));
  await generateLog(join(tmp, 'bench.log'), { lines: 150_000, sources: 20_000 });
  writeFileSync(join(tmp, 'stress.log'), stressLog());
  writeFileSync(join(tmp, 'mixed.log'), mixedLog());
  const mixed = mixedLog();
  writeFileSync(join(tmp, 'mixed.log.2.gz'), gzipSync(mixed));
  // No newline after the last line; CRLF endings; a line far over MAX_LINE_LENGTH in the middle.
  const lines = mixed.split('\n').slice(0, 3000);
  writeFileSync(join(tmp, 'mixed.log.1'), `${lines.slice(0, 1500).join('\r\n')}\r\n${'x'.repeat(100_000)}\n${lines.slice(1500).join('\n').trimEnd()}`);
  writeFileSync(join(tmp, 'empty.log'), '');
  writeFileSync(join(tmp, 'prefix.conf'), 'IPV4_AGGREGATE_PREFIX 24;\nIPV6_AGGREGATE_PREFIX 48;\n');
  writeFileSync(join(tmp, 'snort_rule_dl'), '120002 0\n');
  writeFileSync(join(tmp, 'tsad.conf'), `SNORT_RULE_DL_FILE ${join(tmp, 'snort_rule_dl')};\n`);
}, 120_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Each case runs the CLI up to a dozen times, worker threads included: minutes on a loaded 2-core machine.
describe('analyze --threads N equals one thread', { timeout: 300_000 }, () => {
  it('the sample and the captured fixtures', async () => {
    await sameInThreads([join(FX, 'sample', 'kern.log')]);
    await sameInThreads(files(join(FX, 'captured', 'ipt'), (n) => !n.endsWith('.json')));
    await sameInThreads(files(join(FX, 'captured', 'nft'), (n) => !n.endsWith('.json')));
    await sameInThreads(files(join(FX, 'detect', 'nmap'), (n) => n.endsWith('.log')));
  });

  it.runIf(existsSync(CORPUS))('the real-world corpus', async () => {
    for (const f of files(CORPUS, (n) => n.endsWith('.gz'))) await sameInThreads([f], [2]);
  });

  it('a generated bench log (20,000 background sources, scans, IPv6, other programs)', async () => {
    const r = await sameInThreads([join(tmp, 'bench.log')]);
    expect((r.summary as { tracked: number }).tracked).toBeGreaterThan(15_000);
  });

  it('lines without a time, 1,200 log prefixes, replies, a level-0 signature, a time range', async () => {
    const log = join(tmp, 'stress.log');
    const r = await sameInThreads([log]);
    expect(Object.keys(r.logPrefixes as object)).toContain('(other prefixes)');
    expect((r.summary as { skipped: Record<string, number> }).skipped.reply).toBeGreaterThan(0);
    const ignored = await sameInThreads(['-c', join(tmp, 'tsad.conf'), log]);
    expect((ignored.summary as { skipped: Record<string, number> }).skipped['signature-ignore']).toBeGreaterThan(0);
    await sameInThreads(['--since', '2026-11-21T10:20:00Z', '--until', '2026-11-21T10:40:00Z', '--year', '2026', log]);
  });

  it('light partitions: IPv4, IPv6, UDP, unparsable and other programs\' lines without starting over; lines without a time start over', async () => {
    const mixed = join(tmp, 'mixed.log');
    expect(await startsOver([mixed])).toBe(false);
    const r = await sameInThreads([mixed]);
    const summary = r.summary as { skipped: Record<string, number>; serviceLines: number };
    expect(summary.skipped['bad-number']).toBe(400);
    expect(summary.skipped.malformed).toBe(400);
    expect(summary.serviceLines).toBeGreaterThan(0);
    // Sources keyed by prefix: a thread is chosen by the bits the key keeps.
    expect(await startsOver(['-c', join(tmp, 'prefix.conf'), mixed])).toBe(false);
    await sameInThreads(['-c', join(tmp, 'prefix.conf'), mixed], [2]);
    expect(await startsOver([join(tmp, 'bench.log')])).toBe(false);
    expect(await startsOver([join(tmp, 'stress.log')])).toBe(true);
  });

  it('light partitions skip other threads\' lines unparsed, IPv6 shortened with :: too', async () => {
    const log = join(tmp, 'v6.log');
    // IPv4 lines first: a thread skips only once it knows the public interface (from IPv4 sources).
    const all = mixedLog().split('\n');
    const v4 = all.filter((l) => l.includes('SRC=198.18.') && l.includes('PROTO=TCP SPT=40000 DPT=') && !l.includes('9x9') && !l.includes('SPT=40001')).slice(0, 100);
    writeFileSync(log, `${[...v4, ...all.filter((l) => l.includes('SRC=2a01:'))].join('\n')}\n`);
    const r = await runCli(['analyze', '--json', '--min-dl', '0', '--threads', '2', log], { env: { TSAD_DEBUG_THREADS: '1' } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(await analyze(1, [log]));
    // Each thread says how many lines it skipped: about the other thread's share, once the interface and the address are known.
    const skipped = [...r.stderr.matchAll(/\((\d+) lines skipped unparsed\)/g)].map((m) => Number(m[1]));
    expect(skipped).toHaveLength(2);
    expect(skipped.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.9 * 2000);
  });

  it('the text report (the threads send report objects) equals one thread\'s', async () => {
    const args = ['analyze', '--min-dl', '0', join(tmp, 'mixed.log')];
    const one = await runCli([...args, '--threads', '1']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('IP Status Detail');
    const two = await runCli([...args, '--threads', '2']);
    expect(two.stderr).toBe(one.stderr);
    expect(two.stdout).toBe(one.stdout);
  });

  it('a thread started early ends with the analysis when its setup fails (no hang)', async () => {
    const bad = ['--auto-dl', join(tmp, 'no-such-auto-dl'), join(tmp, 'mixed.log')];
    const one = await runCli(['analyze', '--json', '--threads', '1', ...bad]);
    const two = await runCli(['analyze', '--json', '--threads', '2', ...bad]);
    expect(one.code).not.toBe(0);
    expect(two.code).toBe(one.code);
    expect(two.stderr).toBe(one.stderr);
  });

  it('one read for all threads: several files, gzip, lines across batches, no last newline, CRLF, an over-long line, an empty and a missing file', async () => {
    const mixed = join(tmp, 'mixed.log');
    // Over 1 MiB: batches (and read chunks) end inside lines.
    expect(statSync(mixed).size).toBeGreaterThan(3 << 20);
    const set = [join(tmp, 'mixed.log.2.gz'), join(tmp, 'mixed.log.1'), join(tmp, 'empty.log'), mixed];
    expect(await startsOver(set)).toBe(false);
    const r = await sameInThreads(set);
    const summary = r.summary as { lines: number; skipped: Record<string, number> };
    expect(summary.skipped['too-long']).toBe(1);
    expect(summary.lines).toBe(2 * mixedLog().split('\n').length - 2 + 3001);
    // A file that cannot be read is named alike, and the others are still read.
    const missing = [join(tmp, 'none.log'), join(tmp, 'mixed.log.1')];
    const one = await runCli(['analyze', '--json', '--threads', '1', ...missing]);
    const two = await runCli(['analyze', '--json', '--threads', '2', ...missing]);
    expect(one.stderr).toContain('none.log: no such file');
    expect(two.stderr).toBe(one.stderr);
    expect(two.code).toBe(one.code);
    expect(two.stdout).toBe(one.stdout);
  });
});
