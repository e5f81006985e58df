/** `tsad signatures check|list|test|import` in process, with real files and real log lines. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, expect, test, vi } from 'vitest';
import { registerSignatures } from '../../src/cli/commands/signatures.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { ruleFile } from './helpers.js';

const FIXTURE = join(import.meta.dirname, '../../fixtures/signatures/import-sample.rules');
const TELNET = 'Nov 21 08:00:00 gw kernel: DROP IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.10 LEN=40 TOS=0x00 PREC=0x00 TTL=50 ID=1 PROTO=TCP SPT=40000 DPT=23 WINDOW=64240 RES=0x00 SYN URGP=0';

async function run(...args: string[]): Promise<{ out: string; err: string; error: unknown }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  const program = new Command('tsad').exitOverride().configureOutput({ writeOut: (s) => { out += s; }, writeErr: (s) => { err += s; } });
  registerSignatures(program);
  let error: unknown = null;
  try {
    await program.parseAsync(['node', 'tsad', 'signatures', ...args]);
  } catch (e) {
    error = e;
  }
  vi.restoreAllMocks();
  return { out, err, error };
}

afterEach(() => vi.restoreAllMocks());

test('check: the shipped set loads and its examples replay cleanly', async () => {
  const r = await run('check');
  expect(r.error).toBeNull();
  expect(r.out).toMatch(/^1\d\d rules loaded from .*signatures\/; 0 skipped; 0 errors$/m);
});

test('check PATH: problems as file:line: reason, exit 1 (an Error) when rules cannot be read', async () => {
  const file = ruleFile('alert tcp any any -> any 1 (msg:"ok"; sid:1;)\nalert tcp any any -> any 1 (msg:"bad"; ttl:x; sid:2;)\nalert tcp any any -> any 1 (msg:"skip"; content:"a"; sid:3;)\n');
  const r = await run('check', file);
  expect(r.out).toContain(`${file}:2: error (sid 2): ttl: "x" is not a whole number`);
  expect(r.out).toContain(`${file}:3: skipped (sid 3): needs packet payload (content)`);
  expect(r.out).toContain('1 rules loaded');
  expect(r.error).toBeInstanceOf(Error);
  const ok = await run('check', ruleFile('alert tcp any any -> any 1 (msg:"skip"; content:"a"; sid:3;)\n'));
  expect(ok.error).toBeNull();
});

test('list and list --json', async () => {
  const text = await run('list');
  expect(text.out).toMatch(/^623\s+3\s+tcp\s+SCAN NULL$/m);
  const json = JSON.parse((await run('list', '--json')).out) as Array<{ sid: number; dl: number; file: string }>;
  expect(json.find((r) => r.sid === 623)).toMatchObject({ dl: 3 });
  expect(json.length).toBeGreaterThan(140);
});

test('test: explains which rules fire on a line and why the others do not', async () => {
  const r = await run('test', TELNET);
  expect(r.error).toBeNull();
  expect(r.out).toContain('tcp 203.0.113.5:40000 -> 198.51.100.10:23');
  expect(r.out).toMatch(/FIRES {2}sid 120410 {2}DL 2 \[service: its level needs scan evidence\] {2}TELNET connection attempt/);
  expect(r.out).toContain('direction: inbound\n');
  expect(r.out).toMatch(/ok {3}ports: rule any -> 23, packet 40000 -> 23/);
  expect(r.out).toMatch(/quiet {2}sid 621: flags \(rule F,12, packet SYN\)/);
  expect(r.out).toMatch(/1 signature fires; rule level 2 \[service: its level needs scan evidence\]/);
  const json = JSON.parse((await run('test', '--json', TELNET)).out) as { hits: Array<{ sid: number; role: string }>; direction: string; notScored: string | null };
  expect(json.hits.map((h) => [h.sid, h.role])).toEqual([[120410, 'service']]);
  expect([json.direction, json.notScored]).toEqual(['inbound', null]);
  // A SYN-ACK from outside is backscatter: counted, never scored; the explanation says so.
  const synAck = TELNET.replace('SPT=40000 DPT=23', 'SPT=23 DPT=40000').replace(' SYN ', ' ACK SYN ');
  expect((await run('test', synAck)).out).toMatch(/direction: inbound; not scored \(backscatter\): a SYN-ACK, RST or ICMP error from outside/);
  const custom = await run('test', '--signatures', ruleFile('alert tcp any any -> any 24 (msg:"x"; sid:5;)\n'), TELNET);
  expect(custom.out).toContain('no signature fires');
  const bad = await run('test', 'hello world');
  expect(bad.error).toBeInstanceOf(UsageError);
});

test('import: converts visible rules, reports the others by reason', async () => {
  const outFile = ruleFile('', 'imported.rules');
  const r = await run('import', FIXTURE, '-o', outFile);
  expect(r.error).toBeNull();
  expect(r.out).toContain('imported 6 of 17 rules');
  expect(r.out).toMatch(/left out\s+3\s+needs packet payload/);
  expect(r.out).toMatch(/left out\s+1\s+application-layer protocol/);
  expect(r.out).toMatch(/left out\s+3\s+cannot be read/);
  expect(r.out).toMatch(/left out\s+2\s+needs flow state/);
  expect(r.out).toMatch(/left out\s+1\s+needs rate tracking/);
  expect(r.out).toMatch(/left out\s+1\s+pass\/activate\/dynamic rule/);
  expect(r.out).toMatch(/import-sample\.rules:25: error \(sid 9000031\): ttl: "abc"/);
  expect(r.out).toMatch(/import-sample\.rules:26: error \(sid 9000001\): id 9000001 is already used by .*:5/);
  expect(r.out).toMatch(/import-sample\.rules:27: error \(sid 9000032\): source address: unknown variable \$UNDEFINED_NET/);
  expect(r.out).not.toContain('needs packet payload (content)');
  const converted = readFileSync(outFile, 'utf8');
  expect(converted).toContain('alert tcp $EXTERNAL_NET any -> $HOME_NET $SSH_PORTS (msg:"SAMPLE SSH SYN (Suricata tcp-pkt)"');
  expect(converted.match(/^alert /gm)).toHaveLength(6);
  // The converted file loads cleanly.
  expect((await run('check', outFile)).error).toBeNull();
  const verbose = await run('import', FIXTURE, '-o', outFile, '--verbose');
  expect(verbose.out).toMatch(/import-sample\.rules:13: skipped \(sid 9000010\): needs packet payload \(content\)/);
});

test('import to standard output puts the report on standard error', async () => {
  const r = await run('import', FIXTURE);
  expect(r.out).toMatch(/^# Converted by "tsad signatures import"/);
  expect(r.err).toContain('imported 6 of 17 rules');
  expect((await run('import', '/nonexistent.rules')).error).toBeInstanceOf(Error);
});
