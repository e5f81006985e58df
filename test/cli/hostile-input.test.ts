/**
 * `tsad analyze` on real lines mixed with hostile ones (issue 14 items 1, 2
 * and 9): absurd timestamps and numbers are counted as skipped and every
 * output (JSON, CSV, text) is still written; control, escape and bidi
 * characters from a log never reach the terminal raw (text report, CSV,
 * error messages), while the JSON keeps the real value.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/model/report.js';
import { ROOT, runCli } from '../helpers/run-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'tsad-hostile-'));
const sample = readFileSync(`${ROOT}fixtures/sample/kern.log`, 'utf8').split('\n').filter((l) => l.includes(' SRC='));
const kmsg = readFileSync(`${ROOT}fixtures/captured/nft/syn.kmsg`, 'utf8').split('\n')[0] as string;
const payload = kmsg.slice(kmsg.indexOf(';') + 1);
const json = readFileSync(`${ROOT}fixtures/captured/nft/syn.json.txt`, 'utf8').split('\n')[0] as string;
const base = sample[0] as string;

/** Raw terminal-unsafe characters: C0 (but LF), DEL, C1, bidi controls. */
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

function write(name: string, lines: string[]): string {
  const path = join(tmp, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('absurd timestamps and numbers', () => {
  const hostile = [
    `[ 9999999999999999999036.198848] ${payload}`,
    `4,17579,9999999999999999991626634362,-;${payload}`,
    json.replace(/"__REALTIME_TIMESTAMP":"\d+"/, '"__REALTIME_TIMESTAMP":"17952508095263999999999999"'),
    base.replace(/DPT=\d+/, 'DPT=70000'),
    base.replace(/DPT=\d+/, 'DPT=999999999999'),
    base.replace(/ DST=/, ' SRC=192.0.2.1 DST='),
  ];
  const file = write('absurd.log', [...sample.slice(0, 200), ...hostile, ...sample.slice(200, 400)]);

  it('--json reports them as skipped and keeps every port in 0..65535', async () => {
    const r = await runCli(['analyze', '--json', '--min-dl', '0', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as Report;
    expect(rep.summary.skipped).toMatchObject({ 'bad-time': 3, 'bad-number': 2, malformed: 1 });
    expect(rep.summary.firewallLines).toBe(400 + hostile.length);
    for (const s of rep.sources) {
      for (const p of Object.values(s.protocols)) if (p.portRange) expect(p.portRange[1]).toBeLessThanOrEqual(65535);
    }
    expect(Date.parse(rep.summary.lastSeen as string)).toBeLessThan(Date.UTC(2050, 0, 1));
  });

  it('--csv and the text report are written whole', async () => {
    const csv = await runCli(['analyze', '--csv', file]);
    expect([csv.code, csv.stderr]).toEqual([0, '']);
    expect(csv.stdout.trim().split('\n')).toHaveLength(1 + 400);
    const text = await runCli(['analyze', file]);
    expect([text.code, text.stderr]).toEqual([0, '']);
    expect(text.stdout).toMatch(/^\[\+\] Skipped \d+ firewall lines, counted but not scored:$/m);
    expect(text.stdout).toMatch(/^ {6}bad-number +2 +a number out of range$/m);
    expect(text.stdout).toMatch(/^ {6}bad-time +3 +a time stamp that does not parse$/m);
    expect(text.stdout).toContain('Total scan sources:');
  });
});

describe('control and bidi characters from a log are escaped in every text output', () => {
  const evil = '\u001b[31mDROP\u001b]0;owned\u0007\rFAKE\u009b2J\u202eKCOLB';
  const file = write('escapes.log', sample.slice(0, 120).map((l, i) => (i % 2 === 0 ? l.replace(' DROP IN=', ` ${evil} IN=`) : l)));

  it('text report', async () => {
    const r = await runCli(['analyze', '--min-dl', '0', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('"\\x1b[31mDROP\\x1b]0;owned\\x07\\x0dFAKE\\x9b2J\\u202eKCOLB": 60');
  });

  it('CSV', async () => {
    const r = await runCli(['analyze', '--csv', '--csv-fields', 'src,prefix', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain(',\\x1b[31mDROP\\x1b]0;owned\\x07\\x0dFAKE\\x9b2J\\u202eKCOLB\n');
  });

  it('JSON keeps the real text (JSON escapes the controls itself)', async () => {
    const r = await runCli(['analyze', '--json', file]);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as Report).logPrefixes[evil]).toBe(60);
  });

  it('error messages', async () => {
    const r = await runCli(['analyze', join(tmp, `missing\u001b[2J\r\u202e.log`)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing\\x1b[2J\\x0d\\u202e.log: no such file');
    expect(r.stderr.replace(/\n/g, '')).not.toMatch(RAW);
  });
});

describe('the year of RFC 3164 dates stays in the accepted range', () => {
  it('--year outside 1990..2049 is a usage error', async () => {
    expect((await runCli(['analyze', '--year', '1989', join(tmp, 'absurd.log')])).code).toBe(2);
    expect((await runCli(['analyze', '--year', '2050', join(tmp, 'absurd.log')])).code).toBe(2);
    expect((await runCli(['analyze', '--json', '--year', '2049', join(tmp, 'absurd.log')])).code).toBe(0);
  });

  it('SYSLOG_YEAR outside it is a configuration error naming file, line and key', async () => {
    const conf = join(tmp, 'year.conf');
    writeFileSync(conf, 'SYSLOG_YEAR 1985;\n');
    const r = await runCli(['config', 'check', '-c', conf]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`${conf}:1: SYSLOG_YEAR:`);
  });
});
