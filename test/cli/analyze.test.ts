import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report.js';
import { ROOT, runCli } from '../helpers/run-cli.js';

const SAMPLE = `${ROOT}fixtures/sample/kern.log`;
const CAP = `${ROOT}fixtures/captured/`;
const tmp = mkdtempSync(join(tmpdir(), 'tsad-cli-'));

async function json(args: string[], input?: string): Promise<Report> {
  const r = await runCli(['analyze', '--json', ...args], { input });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Report;
}

describe('tsad (command line)', () => {
  it('prints help with every subcommand', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['analyze', 'signatures', 'feeds', 'config']) expect(r.stdout).toContain(c);
  });

  it('exits 2 on usage errors', async () => {
    expect((await runCli(['analyze', '--no-such-option'])).code).toBe(2);
    expect((await runCli(['analyze', '--min-dl', '9', SAMPLE])).code).toBe(2);
    expect((await runCli(['analyze', '--csv', '--json', SAMPLE])).code).toBe(2);
    expect((await runCli(['analyze', '--csv', '--csv-fields', 'src,bogus', SAMPLE])).code).toBe(2);
    expect((await runCli(['no-such-command'])).code).toBe(2);
  });

  it('exits 78 naming file, line and key on a bad configuration', async () => {
    const conf = join(tmp, 'bad.conf');
    writeFileSync(conf, '# ok\nFW_SEARCH_ALL perhaps;\n');
    const r = await runCli(['analyze', '-c', conf, SAMPLE]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`${conf}:2: FW_SEARCH_ALL:`);
    const c = await runCli(['config', 'check', '-c', conf]);
    expect(c.code).toBe(78);
  });

  it('config dump with no file prints the shipped etc/tsad.conf', async () => {
    const r = await runCli(['config', 'dump']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(`${ROOT}etc/tsad.conf`, 'utf8'));
  });
});

describe('tsad analyze', () => {
  it('reports the shipped sample in psad\'s text layout', async () => {
    const r = await runCli(['analyze', SAMPLE]);
    expect(r.code).toBe(0);
    for (const title of ['Top 50 signature matches', 'Top 25 attackers', 'Top 20 scanned ports', 'iptables log prefix counters', 'IP Status Detail', 'Total scan sources:']) {
      expect(r.stdout).toContain(title);
    }
    expect(r.stdout).toMatch(/^\s+Level 1: \d+ IP addresses$/m);
    expect(r.stdout).toMatch(/^SRC: {2}\S+, DL: [1-5], Dsts: \d+, Pkts: \d+, Unique sigs: \d+$/m);
    expect(r.stdout).toMatch(/Scanned ports: TCP \d+-\d+/);
    expect(r.stdout).not.toMatch(/\u001b\[/); // no colour when not a terminal
  });

  it('prints the JSON contract', async () => {
    const rep = await json([SAMPLE]);
    expect(rep.version).toBe(1);
    expect(Object.keys(rep)).toEqual(expect.arrayContaining(['summary', 'sources', 'topPorts', 'topSignatures', 'logPrefixes']));
    const s = rep.summary;
    expect(s.lines).toBe(readFileSync(SAMPLE, 'utf8').split('\n').filter((l, i, a) => l !== '' || i < a.length - 1).length);
    expect(s.firewallLines).toBeGreaterThan(0);
    expect(s.firewallLines).toBeLessThan(s.lines); // other programs' lines are in the sample
    expect(s.sources).toBe(rep.sources.length);
    expect(Object.keys(s.dangerLevels)).toEqual(['1', '2', '3', '4', '5']);
    expect(s.firstSeen).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    for (const src of rep.sources) {
      for (const k of ['src', 'dl', 'packets', 'destinations', 'direction', 'protocols', 'scanTypes', 'tool', 'signatures', 'invalidIcmp', 'os', 'country', 'asn', 'reputation', 'firstSeen', 'lastSeen', 'blocked']) {
        expect(src, `${src.src} lacks ${k}`).toHaveProperty(k);
      }
      expect(['inbound', 'outbound', 'forward']).toContain(src.direction);
      expect(src.dl).toBeGreaterThanOrEqual(0);
      if (src.src.includes(':')) expect(src.src).toBe(src.src.toLowerCase());
    }
    for (let i = 1; i < rep.sources.length; i++) {
      const a = rep.sources[i - 1] as Report['sources'][number];
      const b = rep.sources[i] as Report['sources'][number];
      expect(a.dl > b.dl || (a.dl === b.dl && (a.packets > b.packets || (a.packets === b.packets && a.src < b.src)))).toBe(true);
    }
    expect(rep.sources.some((x) => x.dl >= 2)).toBe(true);
  });

  it('reads stdin, gzip and a rotated set oldest first', async () => {
    const lines = readFileSync(`${CAP}nft/syn.kern.log`, 'utf8').trimEnd().split('\n');
    const third = Math.floor(lines.length / 3);
    const dir = mkdtempSync(join(tmp, 'rot-'));
    writeFileSync(join(dir, 'kern.log.2.gz'), gzipSync(`${lines.slice(0, third).join('\n')}\n`));
    writeFileSync(join(dir, 'kern.log.1'), `${lines.slice(third, 2 * third).join('\n')}\n`);
    writeFileSync(join(dir, 'kern.log'), `${lines.slice(2 * third).join('\n')}\n`);
    const whole = await json([`${CAP}nft/syn.kern.log`]);
    const rotated = await json([join(dir, 'kern.log'), join(dir, 'kern.log.1'), join(dir, 'kern.log.2.gz')]);
    expect(rotated.summary.firewallLines).toBe(whole.summary.firewallLines);
    expect(rotated.sources).toEqual(whole.sources);
    const piped = await json(['-'], readFileSync(`${CAP}nft/syn.kern.log`, 'utf8'));
    expect(piped.sources).toEqual(whole.sources);
  });

  it('exits 1 for an unreadable input and still reports the others', async () => {
    const r = await runCli(['analyze', '--json', join(tmp, 'missing.log'), `${CAP}nft/syn.kern.log`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing.log');
    expect((JSON.parse(r.stdout) as Report).summary.firewallLines).toBeGreaterThan(0);
  });

  it('prints no report when no input could be read', async () => {
    const r = await runCli(['analyze', join(tmp, 'missing.log')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`tsad: ${join(tmp, 'missing.log')}: no such file\n`);
  });

  it('counts bad lines by reason and never crashes', async () => {
    const good = readFileSync(`${CAP}nft/syn.kern.log`, 'utf8').split('\n')[0] as string;
    const input = [good, good.slice(0, good.indexOf('DPT=')), 'x'.repeat(20000), `${good.replace(/SRC=\S+/, 'SRC=300.1.1.1')}`, 'Nov 21 08:35:11 fw1 sshd[1]: hello', '\u0000\u0001binary IN=x OUT= SRC=\ufffd', ''].join('\n');
    const rep = await json(['-'], input);
    expect(rep.summary.skipped).toMatchObject({ truncated: 1, 'too-long': 1, 'bad-address': 1 });
    expect(rep.summary.lines).toBe(6);
  });

  it('writes CSV rows of packet fields', async () => {
    const r = await runCli(['analyze', '--csv', '--csv-fields', 'src,dst,dport,flags,prefix', `${CAP}nft/fin.kern.log`]);
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows[0]).toBe('src,dst,dport,flags,prefix');
    expect(rows.length).toBeGreaterThan(10);
    expect(rows[1]).toMatch(/^198\.51\.100\.10,198\.51\.100\.20,\d+,FIN,DROP$/);
  });

  it('reads a real journal file written by systemd-journal-remote', async () => {
    const remote = '/lib/systemd/systemd-journal-remote';
    if (!existsSync(remote)) {
      if (process.env.CI === 'true') throw new Error('systemd-journal-remote is missing (apt-get install systemd-journal-remote)');
      return;
    }
    const journal = join(tmp, 'scan.journal');
    execFileSync(remote, ['-o', journal, '-'], { input: readFileSync(`${CAP}nft/syn.export.txt`) });
    const viaJournal = await json(['--journal-file', journal]);
    const viaLog = await json([`${CAP}nft/syn.kmsg`]);
    expect(viaJournal.summary.firewallLines).toBe(viaLog.summary.firewallLines);
    expect(viaJournal.sources.map((s) => [s.src, s.dl, s.packets])).toEqual(viaLog.sources.map((s) => [s.src, s.dl, s.packets]));
  });
});

void copyFileSync;

describe('tsad analyze time range', () => {
  it('filters files by --since/--until and reads journal times as instants', async () => {
    const all = await json([SAMPLE]);
    const mid = new Date((Date.parse(all.summary.firstSeen as string) + Date.parse(all.summary.lastSeen as string)) / 2).toISOString();
    const early = await json(['--until', mid, SAMPLE]);
    const late = await json(['--since', mid, SAMPLE]);
    expect(early.summary.packets).toBeGreaterThan(0);
    expect(late.summary.packets).toBeGreaterThan(0);
    expect((early.summary.packets as number) + (late.summary.packets as number)).toBe(all.summary.packets);
    expect(Date.parse(late.summary.firstSeen as string)).toBeGreaterThanOrEqual(Date.parse(mid));
    expect((await runCli(['analyze', '--since', 'yesterday', '--until', '-1h', SAMPLE])).code).toBe(0);
    expect((await runCli(['analyze', '--since', 'last tuesday', SAMPLE])).code).toBe(2);
  });
});

describe('tsad analyze enrichment', () => {
  it('reports city, country and AS from configured GeoLite2 databases', async () => {
    const { buildMmdb, cityRecord, asnRecord } = await import('../enrich/helpers/mmdb-writer.js');
    const dir = mkdtempSync(join(tmp, 'geo-'));
    writeFileSync(join(dir, 'city.mmdb'), buildMmdb([{ cidr: '81.2.69.128/26', data: cityRecord('GB', 'London') }], { databaseType: 'GeoLite2-City', ipVersion: 6 }));
    writeFileSync(join(dir, 'asn.mmdb'), buildMmdb([{ cidr: '81.2.69.128/26', data: asnRecord(20712, 'Example Transit') }], { databaseType: 'GeoLite2-ASN', ipVersion: 6 }));
    const conf = join(dir, 'tsad.conf');
    writeFileSync(conf, `GEOIP_CITY_DB ${join(dir, 'city.mmdb')};\nGEOIP_ASN_DB ${join(dir, 'asn.mmdb')};\n`);
    const line = readFileSync(`${CAP}nft/syn.kern.log`, 'utf8').replaceAll('SRC=198.51.100.10', 'SRC=81.2.69.142');
    const rep = await json(['-c', conf, '-'], line);
    const src = rep.sources.find((s) => s.src === '81.2.69.142');
    expect(src).toBeDefined();
    expect([src?.country, src?.city, src?.asn]).toEqual(['GB', 'London', 20712]);
  });
});
