/** snort_rule_dl overrides, fwsnort SID prefixes, ENABLE_* switches, directory loading. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { loadSignatureSet, maxDl } from '../../src/signatures/index.js';
import { config, load, logLine, packet, ruleFile, tcpLine } from './helpers.js';

const RULES = [
  'alert tcp any any -> any 23 (msg:"telnet"; flags:S; classtype:suspicious-login; psad_dl:2; sid:2001;)',
  'alert tcp any any -> any [23,2323] (msg:"mirai"; flags:S; psad_dl:3; psad_id:120000;)',
  'alert tcp any any -> any 80 (msg:"web"; flags:S; psad_dl:2; sid:2002;)',
].join('\n');
const telnet = tcpLine('203.0.113.5', '198.51.100.10', 40000, 23);
const web = tcpLine('203.0.113.5', '198.51.100.10', 40000, 80);

test('snort_rule_dl overrides the level per sid (and per psad_id); 0 marks the packet to be ignored', () => {
  const { set, problems } = load(RULES, {}, '# sid dl\n2001 5\n120000   1\n2002 0;\n');
  expect(problems).toEqual([]);
  expect(set.match(packet(telnet))).toEqual([
    { sid: 2001, msg: 'telnet', dl: 5, classtype: 'suspicious-login', role: 'level' },
    { sid: 120000, msg: 'mirai', dl: 1, classtype: '', role: 'level' },
  ]);
  expect(set.rules().map((r) => r.dlSource)).toEqual(['snort_rule_dl', 'snort_rule_dl', 'snort_rule_dl']);
  const hits = set.match(packet(web));
  expect(hits?.map((h) => h.dl)).toEqual([0]);
  expect(maxDl(hits)).toBe(0);
  expect(maxDl(null)).toBe(-1);
});

test('bad snort_rule_dl lines are reported with file:line; good lines still apply', () => {
  const { set, problems } = load(RULES, {}, '2001 9\nfoo bar\n2002 4\n2002 3\n');
  expect(problems.map((p) => [p.line, p.skipped])).toEqual([[1, false], [2, false], [4, true]]);
  expect(problems[0]?.file).toMatch(/snort_rule_dl$/);
  expect(problems[0]?.reason).toMatch(/expected "<sid> <danger level 0-5>"/);
  expect(set.rules().map((r) => r.dl)).toEqual([2, 3, 3]);
});

test('the default SNORT_RULE_DL_FILE may be missing; a file given explicitly may not', () => {
  const cfg = config({ SNORT_RULE_DL_FILE: '/nonexistent/snort_rule_dl' });
  expect(loadSignatureSet({ paths: [ruleFile(RULES)], cfg }).problems).toHaveLength(0);
  const { problems } = loadSignatureSet({ paths: [ruleFile(RULES)], cfg, ruleDlFile: '/nonexistent/x' });
  expect(problems).toEqual([{ file: '/nonexistent/x', line: 0, reason: 'cannot read the file: ENOENT', skipped: false }]);
});

const fwsnortLine = (prefix: string) => logLine('IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.10 LEN=52 TOS=0x00 PREC=0x00 TTL=50 ID=1 DF PROTO=TCP SPT=40000 DPT=80 WINDOW=229 RES=0x00 ACK PSH URGP=0', prefix);

test('an fwsnort SID prefix is a hit for that sid at DL 2, with no other matching', () => {
  const { set } = load(RULES);
  expect(set.match(packet(fwsnortLine('[1] SID2003 ESTAB')))).toEqual([{ sid: 2003, msg: 'fwsnort SID 2003', dl: 2, classtype: '', role: 'level' }]);
  // A sid that a loaded rule describes takes its message; the rule's own conditions are not needed.
  expect(set.match(packet(fwsnortLine('[2] SID2001')))).toEqual([{ sid: 2001, msg: 'telnet', dl: 2, classtype: 'suspicious-login', role: 'level' }]);
  const sidTelnet = telnet.replace(' DROP ', ' SID2002 ');
  expect(set.match(packet(sidTelnet))?.map((h) => h.sid)).toEqual([2002]);
  expect(set.explain(packet(sidTelnet))).toMatchObject([{ sid: 2002, matched: true, checks: [{ name: 'fwsnort SID', ok: true }] }]);
  expect(set.match(packet(fwsnortLine('SIDE')))).toBeNull();
});

test('snort_rule_dl overrides fwsnort sids; SNORT_SID_STR and ENABLE_SNORT_SIDS are honoured', () => {
  expect(load(RULES, {}, '2003 0\n').set.match(packet(fwsnortLine('[1] SID2003 ESTAB')))?.[0]?.dl).toBe(0);
  expect(load(RULES, {}, '2003 4\n').set.match(packet(fwsnortLine('[1] SID2003')))?.[0]?.dl).toBe(4);
  expect(load(RULES, { SNORT_SID_STR: 'RULE' }).set.match(packet(fwsnortLine('RULE77')))?.[0]?.sid).toBe(77);
  expect(load(RULES, { SNORT_SID_STR: 'RULE' }).set.match(packet(fwsnortLine('SID77')))).toBeNull();
  const off = load(RULES, { ENABLE_SNORT_SIDS: 'N' }).set;
  expect(off.match(packet(telnet.replace(' DROP ', ' SID77 ')))?.map((h) => h.sid)).toEqual([2001, 120000]);
});

test('ENABLE_SIGNATURES N loads no rules but keeps fwsnort sids', () => {
  const { set } = load(RULES, { ENABLE_SIGNATURES: 'N' });
  expect(set.size).toBe(0);
  expect(set.match(packet(telnet))).toBeNull();
  expect(set.match(packet(fwsnortLine('SID5')))?.[0]?.sid).toBe(5);
});

test('a directory is read as its *.rules files in name order; a psad signatures file reads as is', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsad-sigdir-'));
  writeFileSync(join(dir, 'b.rules'), 'alert tcp any any -> any 2 (msg:"b"; sid:2;)\n');
  writeFileSync(join(dir, 'a.rules'), 'alert tcp any any -> any 1 (msg:"a"; sid:1;)\n');
  writeFileSync(join(dir, 'notes.txt'), 'not rules\n');
  const psad = join(dir, 'signatures');
  writeFileSync(psad, '### scan.rules\nalert tcp $EXTERNAL_NET any -> $HOME_NET any (msg:"SCAN NULL"; flags:0; reference:arachnids,4; classtype:attempted-recon; sid:623; psad_id:100067; psad_dl:2;)\n');
  const { set, problems } = loadSignatureSet({ paths: [dir, psad], cfg: config({ SNORT_RULE_DL_FILE: '""' }) });
  expect(problems).toEqual([]);
  expect(set.rules().map((r) => r.msg)).toEqual(['a', 'b', 'SCAN NULL']);
  expect(set.match(packet(tcpLine('203.0.113.5', '198.51.100.10', 1, 3, '')))?.map((h) => h.sid)).toEqual([623]);
});
