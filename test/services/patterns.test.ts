/**
 * The shipped service patterns against their sample lines
 * (fixtures/services/<pattern>.log, fixtures/services/README.md), and the
 * template matcher's rules.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createParseContext } from '../../src/parse/index.js';
import { ServiceMatcher } from '../../src/parse/services/service-matcher.js';
import { BUILT_IN } from '../../src/parse/services/built-in.js';
import { compileTemplate, matchTemplate } from '../../src/parse/services/template.js';

const DIR = new URL('../../fixtures/services/', import.meta.url).pathname;
const files = readdirSync(DIR).filter((f) => f.endsWith('.log')).sort();

interface Sample { line: string; expect: string; no: number }

function samples(file: string): Sample[] {
  const out: Sample[] = [];
  const lines = readFileSync(DIR + file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^# yields: (.*)$/.exec(lines[i] as string);
    if (m) out.push({ expect: m[1] as string, line: lines[i + 1] as string, no: i + 2 });
  }
  return out;
}

const matcher = new ServiceMatcher(BUILT_IN, 'sshd');

describe('shipped service patterns', () => {
  it('every shipped pattern has a sample file, and every sample file a pattern', () => {
    expect(files.map((f) => f.replace(/\.log$/, ''))).toEqual(BUILT_IN.map((p) => p.name).sort());
  });

  it.each(files)('%s', (file) => {
    const name = file.replace(/\.log$/, '');
    const list = samples(file);
    expect(list.length).toBeGreaterThan(1);
    for (const s of list) {
      const ctx = createParseContext({ year: 2026 });
      const ex = matcher.explain(s.line, ctx);
      const where = `${file}:${s.no}`;
      if (s.expect === 'nothing') {
        expect(ex.result, where).toBeNull();
        continue;
      }
      if (s.expect.startsWith('skip=')) {
        expect(ex.result, where).toBe(s.expect.slice(5));
        continue;
      }
      const want = /^src=(\S+)(?: user=(.*))?$/.exec(s.expect);
      expect(want, where).not.toBeNull();
      const r = ex.result;
      expect(typeof r === 'object' && r !== null, `${where}: ${String(r)}`).toBe(true);
      if (typeof r !== 'object' || r === null) continue;
      expect(r.pattern, where).toBe(name);
      expect(r.src, where).toBe(want![1]);
      expect(r.user, where).toBe(want![2] ?? '');
      expect(r.service, where).toBe(BUILT_IN.find((p) => p.name === name)!.service);
    }
  });

  it('takes the time from the syslog envelope or the access-log line', () => {
    const ctx = createParseContext({ year: 2026 });
    const a = matcher.match('2026-12-06T20:07:12.5+00:00 fw sshd[1]: Invalid user a from 192.0.2.1 port 1', ctx);
    expect(typeof a === 'object' && a?.ts).toBe(Date.UTC(2026, 11, 6, 20, 7, 12, 500));
    const w = matcher.match('192.0.2.2 - - [06/Dec/2026:20:01:16 +0100] "GET /.env HTTP/1.1" 404 1 "-" "-"', ctx);
    expect(typeof w === 'object' && w?.ts).toBe(Date.UTC(2026, 11, 6, 19, 1, 16));
  });

  it('reads journalctl JSON records by SYSLOG_IDENTIFIER', () => {
    const ctx = createParseContext();
    const rec = JSON.stringify({ __REALTIME_TIMESTAMP: '1796587632000000', _HOSTNAME: 'fw', SYSLOG_IDENTIFIER: 'sshd-session', MESSAGE: 'Failed password for root from 192.0.2.3 port 4 ssh2' });
    const r = matcher.match(rec, ctx);
    expect(r).toMatchObject({ src: '192.0.2.3', user: 'root', service: 'sshd', host: 'fw', ts: 1796587632000 });
    expect(matcher.match(JSON.stringify({ SYSLOG_IDENTIFIER: 'kernel', MESSAGE: 'Failed password for root from 192.0.2.3 port 4 ssh2' }), ctx)).toBeNull();
  });

  it('counts rsyslog\'s "message repeated N times"', () => {
    const r = matcher.match('Dec  6 20:07:15 fw sshd[1]: message repeated 3 times: [ Failed password for root from 192.0.2.21 port 40000 ssh2]', createParseContext({ year: 2026 }));
    expect(r).toMatchObject({ count: 3 });
  });

  it('caps user names and skips impossible times', () => {
    const ctx = createParseContext({ year: 2026 });
    const r = matcher.match(`Dec  6 20:07:15 fw sshd[1]: Invalid user ${'x'.repeat(500)} from 192.0.2.1 port 1`, ctx);
    expect(typeof r === 'object' && r?.user.length).toBe(64);
    expect(matcher.match('2099-01-01T00:00:00Z fw sshd[1]: Invalid user a from 192.0.2.1 port 1', ctx)).toBe('service-bad-time');
  });

  it('ignores other programs and other sshd messages', () => {
    const ctx = createParseContext({ year: 2026 });
    expect(matcher.match('Dec  6 20:07:15 fw CRON[1]: Invalid user a from 192.0.2.1 port 1', ctx)).toBeNull();
    expect(matcher.match('Dec  6 20:07:15 fw sshd[1]: Server listening on 0.0.0.0 port 22.', ctx)).toBeNull();
    expect(matcher.match('', ctx)).toBeNull();
    expect(matcher.match('{"not json', ctx)).toBeNull();
  });
});

describe('templates', () => {
  const t = (text: string, msg: string): [string, string] | null => {
    const r = matchTemplate(compileTemplate(text), msg, { host: '', user: '' });
    return r === null ? null : [r.host, r.user];
  };

  it('anchors literals at both ends', () => {
    expect(t('Invalid user <USER> from <HOST>', 'Invalid user a from 192.0.2.1')).toEqual(['192.0.2.1', 'a']);
    expect(t('Invalid user <USER> from <HOST> port <*>', 'xInvalid user a from 192.0.2.1 port 1')).toBeNull();
    expect(t('lost <*> from <HOST>.', 'lost x from 192.0.2.1. trailing')).toBeNull();
    expect(t('<*>rip=<HOST>, lip=<*>', 'a rip=1, lip=2')).toEqual(['1', '']);
  });

  it('reads right of <USER> from the end, so a user name cannot supply the address', () => {
    expect(t('Failed <*> for <USER> from <HOST> port <*>', 'Failed password for a from 6.6.6.6 port 1 from 192.0.2.1 port 2 ssh2')).toEqual(['192.0.2.1', 'a from 6.6.6.6 port 1']);
  });

  it('rejects templates it cannot match safely', () => {
    expect(() => compileTemplate('<HOST><USER>')).toThrow(/fixed text between/);
    expect(() => compileTemplate('no address')).toThrow(/exactly one <HOST>/);
    expect(() => compileTemplate('<USER> <USER> <HOST>')).toThrow(/at most one <USER>/);
  });

  it('stays linear on hostile lines', () => {
    const tpl = compileTemplate('Failed <*> for <USER> from <HOST> port <*>');
    const msg = `Failed ${' for'.repeat(50_000)} from${' from'.repeat(50_000)} port`;
    // Correctness only (no timing assertion): it answers, and without a match.
    expect(matchTemplate(tpl, msg, { host: '', user: '' })).toBeNull();
  });
});
