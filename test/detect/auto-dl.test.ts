import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadAutoDl, parseAutoDl } from '../../src/detect/index.js';

describe('auto_dl syntax', () => {
  const { autoDl, problems } = parseAutoDl([
    '# comment',
    '192.0.2.7          5;',
    '198.51.100.0/24    0;   # whole network ignored',
    '10.0.0.0/255.0.0.0 3 tcp/1-1024, udp;',
    '2001:db8::/32      4 tcp;',
    '2001:0db8:0000:0000:0000:0000:0000:0099 1;',
    'fe80::1/128 2 icmp6',
    '',
  ].join('\n'));

  test('reads IPv4, masks, IPv6 abbreviated and full, criteria', () => {
    expect(problems).toEqual([]);
    expect(autoDl.size).toBe(7);
    expect(autoDl.lookup('192.0.2.7', 'tcp', 80)).toBe(5);
    expect(autoDl.lookup('198.51.100.200', 'udp', 53)).toBe(0);
    expect(autoDl.lookup('10.1.2.3', 'tcp', 22)).toBe(3);
    expect(autoDl.lookup('10.1.2.3', 'tcp', 2000)).toBeUndefined();
    expect(autoDl.lookup('10.1.2.3', 17, 9999)).toBe(3);
    expect(autoDl.lookup('10.1.2.3', 'icmp', -1)).toBeUndefined();
    expect(autoDl.lookup('2001:db8:5::1', 'tcp', 1)).toBe(4);
    expect(autoDl.lookup('2001:db8::99', 'udp', 1)).toBe(1);
    expect(autoDl.lookup('fe80::1', 'icmp6', -1)).toBe(2);
    expect(autoDl.lookup('192.0.2.8', 'tcp', 80)).toBeUndefined();
  });

  test('ignoresAddress is true only for an all-protocol level 0 entry', () => {
    expect(autoDl.ignoresAddress('198.51.100.9')).toBe(true);
    expect(autoDl.ignoresAddress('192.0.2.7')).toBe(false);
  });
});

describe('the most specific entry wins', () => {
  test('longer prefixes first', () => {
    const { autoDl } = parseAutoDl('203.0.113.0/24 2;\n203.0.113.5 0;\n203.0.0.0/16 5;\n');
    expect(autoDl.lookup('203.0.113.5', 'tcp', 1)).toBe(0);
    expect(autoDl.lookup('203.0.113.6', 'tcp', 1)).toBe(2);
    expect(autoDl.lookup('203.0.9.9', 'tcp', 1)).toBe(5);
  });

  test('within one prefix: a port range, then a bare protocol, then all protocols; a narrower range first', () => {
    const { autoDl } = parseAutoDl('203.0.113.5 1;\n203.0.113.5 2 tcp;\n203.0.113.5 3 tcp/1-1024;\n203.0.113.5 4 tcp/22;\n');
    expect(autoDl.lookup('203.0.113.5', 'tcp', 22)).toBe(4);
    expect(autoDl.lookup('203.0.113.5', 'tcp', 80)).toBe(3);
    expect(autoDl.lookup('203.0.113.5', 'tcp', 8080)).toBe(2);
    expect(autoDl.lookup('203.0.113.5', 'udp', 53)).toBe(1);
  });

  test('a shorter prefix applies when the longer entry does not cover the protocol', () => {
    const { autoDl } = parseAutoDl('203.0.113.5 0 udp;\n203.0.113.0/24 3;\n');
    expect(autoDl.lookup('203.0.113.5', 'udp', 53)).toBe(0);
    expect(autoDl.lookup('203.0.113.5', 'tcp', 22)).toBe(3);
  });

  test('equal entries: the later line wins', () => {
    const { autoDl } = parseAutoDl('203.0.113.5 1;\n203.0.113.5 4;\n');
    expect(autoDl.lookup('203.0.113.5', 'tcp', 1)).toBe(4);
  });
});

test('bad lines are reported with their line number and skipped', () => {
  const { autoDl, problems } = parseAutoDl('192.0.2.1 6;\nscanner.example.com 5;\n300.1.1.1 2;\n192.0.2.2 2 tcp/1.65536;\n192.0.2.3 2 icmp/8;\n192.0.2.4 2 bogus;\n192.0.2.5;\n192.0.2.6 4;\n', 'auto_dl');
  expect(problems.map((p) => [p.line, p.file])).toEqual([[1, 'auto_dl'], [2, 'auto_dl'], [3, 'auto_dl'], [4, 'auto_dl'], [5, 'auto_dl'], [6, 'auto_dl'], [7, 'auto_dl']]);
  expect(problems[0]?.reason).toMatch(/danger level "6"/);
  expect(problems[1]?.reason).toMatch(/host names are not resolved/);
  expect(problems[3]?.reason).toMatch(/tcp\/1\.65536/);
  expect(autoDl.size).toBe(1);
  expect(autoDl.lookup('192.0.2.6', 'tcp', 1)).toBe(4);
});

test('loadAutoDl: a missing default file is fine, a missing named file is a problem', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsad-autodl-'));
  expect(loadAutoDl(join(dir, 'none'), false).problems).toEqual([]);
  expect(loadAutoDl(join(dir, 'none')).problems[0]?.reason).toMatch(/ENOENT/);
  writeFileSync(join(dir, 'auto_dl'), '192.0.2.1 3;\n');
  expect(loadAutoDl(join(dir, 'auto_dl')).autoDl.lookup('192.0.2.1', 'tcp', 1)).toBe(3);
});

test('the shipped etc/auto_dl example has no active entries and no problems', () => {
  const { autoDl, problems } = loadAutoDl('etc/auto_dl');
  expect(problems).toEqual([]);
  expect(autoDl.size).toBe(0);
});
