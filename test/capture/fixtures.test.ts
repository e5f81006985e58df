// Checks the committed captures in fixtures/captured and fixtures/sample: the
// manifest matches the files, every envelope is what envelopes.mjs makes from
// the .kmsg, the journal forms survive a real systemd-journal-remote +
// journalctl round trip, and the sample log is ordered and accounted for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENVELOPES, parseKmsg, render } from '../../fixtures/capture/envelopes.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CAPTURED = path.join(ROOT, 'fixtures/captured');
const SAMPLE = path.join(ROOT, 'fixtures/sample');
const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';
const LABELS = new Set(['SYN', 'CONNECT', 'FIN', 'NULL', 'XMAS', 'ACK', 'MAIMON', 'WINDOW', 'UDP', 'PROTO', 'ICMP', 'SWEEP']);

interface Scan {
  ruleset: string;
  name: string;
  family: number;
  scanTypes: string[];
  scanner: string;
  targets: string[];
  command: string;
  packets: number;
  files: Record<string, string>;
}
interface Manifest { captureBaseTime: string; scans: Scan[] }

const manifest = JSON.parse(fs.readFileSync(path.join(CAPTURED, 'manifest.json'), 'utf8')) as Manifest;
const bootMs = Date.parse(manifest.captureBaseTime);
const read = (rel: string): string => fs.readFileSync(path.join(CAPTURED, rel), 'utf8');

/** nf_log prints IPv6 addresses in full: 2001:0db8:0100:0000:0000:0000:0000:0010. */
function logForm(addr: string): string {
  if (!addr.includes(':')) return addr;
  const [head = '', tail = ''] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  return [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t].map((g) => g.padStart(4, '0')).join(':');
}

function expandRange(target: string): string[] {
  const m = /^(\d+\.\d+\.\d+\.)(\d+)-(\d+)$/.exec(target);
  if (!m) return [logForm(target)];
  const out: string[] = [];
  for (let i = Number(m[2]); i <= Number(m[3]); i++) out.push(`${m[1]}${i}`);
  return out;
}

describe('fixtures/captured manifest', () => {
  it('lists both rulesets with the same scans, each with a known label set', () => {
    const names = (rs: string) => manifest.scans.filter((s) => s.ruleset === rs).map((s) => s.name);
    expect(names('nft').length).toBeGreaterThanOrEqual(20);
    expect(names('ipt')).toEqual(names('nft'));
    for (const s of manifest.scans) for (const l of s.scanTypes) expect(LABELS.has(l), l).toBe(true);
    expect(manifest.scans.find((s) => s.name === 'pingsweep')?.scanTypes).toEqual(['ICMP', 'SWEEP']);
  });

  it('matches every capture: packet count, scanner SRC and target DST on every line', () => {
    for (const scan of manifest.scans) {
      const recs = parseKmsg(read(scan.files.kmsg ?? ''));
      expect(recs.length, scan.name).toBe(scan.packets);
      expect(recs.length, scan.name).toBeGreaterThan(0);
      const dsts = new Set(scan.targets.flatMap(expandRange));
      for (const r of recs) {
        expect(r.msg).toContain(` SRC=${logForm(scan.scanner)} `);
        expect(dsts.has(/ DST=(\S+) /.exec(r.msg)?.[1] ?? ''), r.msg).toBe(true);
        expect(r.msg.startsWith('DROP IN=eth0 OUT= MAC=52:54:00:7c:a0:14:52:54:00:7c:a0:0a:')).toBe(true);
      }
    }
  });

  it('has TCP options and sequence numbers in ipt lines only', () => {
    const ipt = parseKmsg(read('ipt/connect.kmsg'));
    const nft = parseKmsg(read('nft/connect.kmsg'));
    expect(ipt.every((r) => / SEQ=\d+ ACK=0 .* OPT \(020405B4[0-9A-F]*\) $/.test(r.msg))).toBe(true);
    expect(nft.some((r) => r.msg.includes(' OPT ('))).toBe(false);
  });
});

describe('fixtures/captured envelopes', () => {
  it('are exactly what envelopes.mjs renders from each .kmsg', () => {
    let checked = 0;
    for (const scan of manifest.scans) {
      const recs = parseKmsg(read(scan.files.kmsg ?? ''));
      for (const [format, rel] of Object.entries(scan.files)) {
        if (format === 'kmsg') continue;
        expect(read(rel), rel).toBe(render(format, recs, bootMs));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(manifest.scans.length);
  });

  it('put the same absolute time on a record in every envelope', () => {
    const scan = manifest.scans.find((s) => s.ruleset === 'ipt' && s.name === 'syn6');
    expect(scan && Object.keys(scan.files).sort()).toEqual(['kmsg', ...Object.keys(ENVELOPES)].sort());
    const recs = parseKmsg(read('ipt/syn6.kmsg'));
    const last = recs[recs.length - 1];
    if (!last || !scan) throw new Error('empty capture');
    const usec = BigInt(bootMs) * 1000n + BigInt(last.usec);
    const iso = new Date(Number(usec / 1000n)).toISOString().slice(0, 19);
    const frac = String(usec % 1_000_000n).padStart(6, '0');
    // Last line without its newline; netfilter's trailing space stays.
    const tail = (f: string) => read(scan.files[f] ?? '').replace(/\n+$/, '').split('\n').pop() ?? '';
    expect(tail('rfc3339')).toBe(`${iso}.${frac}+00:00 fw1 kernel: ${last.msg}`);
    expect(tail('rfc5424')).toBe(`<4>1 ${iso}.${frac}Z fw1 kernel - - - ${last.msg}`);
    const json = JSON.parse(tail('json')) as Record<string, string>;
    expect(json['__REALTIME_TIMESTAMP']).toBe(String(usec));
    expect(json['MESSAGE']).toBe(last.msg);
    const secs = Math.floor(last.usec / 1e6);
    expect(tail('dmesg')).toBe(`[${String(secs).padStart(5, ' ')}.${String(last.usec % 1e6).padStart(6, '0')}] ${last.msg}`);
  });
});

const haveJournal = fs.existsSync(JOURNAL_REMOTE);
describe.skipIf(!haveJournal && process.env.CI !== 'true')('journal round trip (systemd-journal-remote, journalctl)', () => {
  let dir = '';
  let file = '';
  const scan = manifest.scans.find((s) => s.ruleset === 'ipt' && s.name === 'syn6');
  const journalctl = (format: string) =>
    execFileSync('journalctl', ['--file', file, '-o', format], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });

  beforeAll(() => {
    if (!haveJournal) throw new Error(`${JOURNAL_REMOTE} missing (CI=true: not skipping)`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsad-journal-'));
    file = path.join(dir, 'capture.journal');
    execFileSync(JOURNAL_REMOTE, ['-o', file, '-'], { input: read(scan?.files['export'] ?? ''), stdio: ['pipe', 'ignore', 'ignore'] });
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads back every entry with the same fields and values (except the cursor)', () => {
    const ours = read(scan?.files['json'] ?? '').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    const real = journalctl('json').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(real).toHaveLength(scan?.packets ?? -1);
    real.forEach((entry, i) => {
      const { __CURSOR: _a, ...rest } = entry;
      const { __CURSOR: _b, ...mine } = ours[i] ?? {};
      expect(rest).toEqual(mine);
    });
  });

  it.each(['short', 'short-iso', 'short-precise'])('prints -o %s exactly as the committed file', (format) => {
    expect(journalctl(format)).toBe(read(scan?.files[format] ?? ''));
  });
});

describe('fixtures/sample/kern.log', () => {
  const text = fs.readFileSync(path.join(SAMPLE, 'kern.log'), 'utf8');
  const lines = text.trimEnd().split('\n');
  const sample = JSON.parse(fs.readFileSync(path.join(SAMPLE, 'manifest.json'), 'utf8')) as {
    totalLines: number; firewallLines: number; sources: { src: string; packets: number; prefix: string }[];
  };

  it('has the counts its manifest states', () => {
    expect(lines).toHaveLength(sample.totalLines);
    expect(lines.filter((l) => l.includes('IN=eth0 OUT= '))).toHaveLength(sample.firewallLines);
    expect(sample.totalLines - sample.firewallLines).toBeGreaterThan(100);
    for (const s of sample.sources) {
      const n = lines.filter((l) => l.includes(` ${s.prefix.trim()}`) && l.includes(` SRC=${logForm(s.src)} `)).length;
      expect(n, s.src).toBe(s.packets);
    }
  });

  it('is in time order and every line is RFC 3164 from host fw1', () => {
    const months = 'JanFebMarAprMayJunJulAugSepOctNovDec';
    let prev = '';
    for (const line of lines) {
      expect(line).toMatch(/^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d fw1 [\w/.-]+(\[\d+\])?: /);
      const key = `${String(months.indexOf(line.slice(0, 3))).padStart(2, '0')}${line.slice(4, 15).replace(' ', '0')}`;
      expect(key >= prev, line).toBe(true);
      prev = key;
    }
  });

  it('carries only documentation addresses as sources', () => {
    for (const m of text.matchAll(/ SRC=(\S+) /g)) {
      expect(m[1]).toMatch(/^203\.0\.113\.\d+$|^2001:0db8:0bad:/);
    }
  });
});
