/**
 * Service events in the source's state: the per-service ladders over
 * SERVICE_WINDOW, one level with scan evidence, /64 aggregation, saved
 * state that survives a restart, and saved state that is refused whole.
 */
import { describe, expect, it } from 'vitest';
import { ScanTracker, sourceReport } from '../../src/detect/index.js';
import type { ServiceEvent } from '../../src/model/service.js';
import { parsePatternFile } from '../../src/parse/services/pattern-file.js';
import { ServiceMatcher } from '../../src/parse/services/service-matcher.js';
import { createParseContext } from '../../src/parse/index.js';
import { ConfigError } from '../../src/config/errors.js';
import { cfgWith, pkt, portScan, T0 } from '../detect/packet-builder.js';

const cfg = cfgWith({ SERVICE_DL_SSHD: '2, 4, 6, 8, 10', SERVICE_WINDOW: 600 });

function ev(over: Partial<ServiceEvent> = {}): ServiceEvent {
  return { ts: T0, host: 'fw', service: 'sshd', kind: 'failed-login', pattern: 'sshd-failed', src: '203.0.113.7', family: 4, user: 'root', count: 1, ...over };
}

function tracker(onChange?: (from: number, to: number, reason: string) => void): ScanTracker {
  return new ScanTracker(cfg, onChange ? { onLevelChange: (_s, from, to, reason) => onChange(from, to, reason) } : {});
}

describe('service evidence', () => {
  it('climbs the service ladder within the window, one alert-worthy change per level', () => {
    const changes: string[] = [];
    const t = tracker((from, to, reason) => changes.push(`${from}->${to}: ${reason}`));
    for (let i = 0; i < 10; i++) t.observeService(ev({ ts: T0 + i * 1000, user: `u${i % 3}` }));
    const s = t.get('203.0.113.7')!;
    expect(s.dl).toBe(5);
    expect(changes).toEqual([
      '0->1: 2 sshd failures within 10 min', '1->2: 4 sshd failures within 10 min', '2->3: 6 sshd failures within 10 min',
      '3->4: 8 sshd failures within 10 min', '4->5: 10 sshd failures within 10 min',
    ]);
    const r = sourceReport(s, cfg);
    expect(r.services).toEqual({ sshd: { events: 10, users: ['u0', 'u1', 'u2'], kinds: { 'failed-login': 10 }, first: new Date(T0).toISOString(), last: new Date(T0 + 9000).toISOString() } });
    expect(r.packets).toBe(0);
  });

  it('does not add up failures farther apart than SERVICE_WINDOW', () => {
    const t = tracker();
    for (let i = 0; i < 10; i++) t.observeService(ev({ ts: T0 + i * 601_000 }));
    expect(t.get('203.0.113.7')!.dl).toBe(0);
  });

  it('counts a repeated message as that many failures', () => {
    const t = tracker();
    t.observeService(ev({ count: 6 }));
    expect(t.get('203.0.113.7')!.dl).toBe(3);
  });

  it('gives scans and service abuse one level: the higher of the two', () => {
    const t = tracker();
    for (const p of portScan(20)) t.observe(p, null);
    const scanDl = t.get('203.0.113.7')!.dl;
    expect(scanDl).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 8; i++) t.observeService(ev({ ts: T0 + 30_000 + i }));
    expect(t.size).toBe(1);
    const s = t.get('203.0.113.7')!;
    expect(s.dl).toBe(Math.max(scanDl, 4));
    const r = sourceReport(s, cfg);
    expect(r.packets).toBe(20);
    expect(r.services?.sshd?.events).toBe(8);
  });

  it('aggregates IPv6 sources per /64 before the threshold', () => {
    const t = tracker();
    for (let i = 1; i <= 6; i++) t.observeService(ev({ src: `2001:db8:1:2::${i}`, family: 6 }));
    const s = t.get('2001:db8:1:2::/64')!;
    expect(s.dl).toBe(3);
    expect(s.addresses).toHaveLength(6);
  });

  it('keeps the first SERVICE_MAX_USERS user names and counts the others', () => {
    const t = new ScanTracker(cfgWith({ SERVICE_MAX_USERS: 2 }));
    for (const u of ['a', 'b', 'a', 'c', 'd', '']) t.observeService(ev({ user: u }));
    const r = sourceReport(t.get('203.0.113.7')!, cfg);
    expect(r.services?.sshd).toMatchObject({ users: ['a', 'b'], moreUsers: 2, events: 6 });
  });

  it('survives a save and restore: the window goes on counting', () => {
    const t = tracker();
    // Journal times carry microseconds: fractional milliseconds must save too.
    for (let i = 0; i < 5; i++) t.observeService(ev({ ts: T0 + i * 1000 + 0.123, user: 'x"\u001b[31m' }));
    const saved = JSON.parse(JSON.stringify(t.exportState())) as unknown;
    const t2 = tracker();
    t2.importState(saved);
    const s2 = t2.get('203.0.113.7')!;
    expect(sourceReport(s2, cfg).services).toEqual(sourceReport(t.get('203.0.113.7')!, cfg).services);
    expect(s2.dl).toBe(2);
    t2.observeService(ev({ ts: T0 + 6000 }));
    expect(s2.dl).toBe(3);
    expect(JSON.stringify(t2.exportState())).toContain('"sshd"');
  });

  it.each([
    ['events not a count', (e: unknown[]) => { e[1] = -1; }],
    ['users not text', (e: unknown[]) => { e[4] = [1]; }],
    ['a too long user', (e: unknown[]) => { e[4] = ['x'.repeat(65)]; }],
    ['last before first', (e: unknown[]) => { e[3] = (e[2] as number) - 1; }],
    ['recent not numbers', (e: unknown[]) => { e[7] = ['a']; }],
    ['missing fields', (e: unknown[]) => { e.length = 5; }],
  ])('refuses saved service evidence with %s, changing nothing', (_what, spoil) => {
    const t = tracker();
    for (let i = 0; i < 3; i++) t.observeService(ev({ ts: T0 + i }));
    const saved = JSON.parse(JSON.stringify(t.exportState())) as { sources: unknown[][] };
    const src = saved.sources[0] as unknown[];
    const rare = src[src.length - 1] as { services: unknown[][] };
    spoil(rare.services[0] as unknown[]);
    const other = tracker();
    other.observeService(ev({ src: '192.0.2.9' }));
    const before = JSON.stringify(other.exportState());
    expect(() => other.importState(saved)).toThrow(/services/);
    expect(JSON.stringify(other.exportState())).toBe(before);
  });

  it('does not confuse a packet-less source with a scan', () => {
    const t = tracker();
    t.observeService(ev());
    t.observe(pkt({ src: '203.0.113.7', ts: T0 + 1 }), null);
    const r = sourceReport(t.get('203.0.113.7')!, cfg);
    expect(r.scanTypes).toEqual([]);
    expect(r.dl).toBe(0);
  });
});

describe('users\' pattern files', () => {
  const text = [
    '# vsftpd',
    '[vsftpd-login]',
    'service = vsftpd',
    'kind = failed-login',
    'program = vsftpd',
    'match = [pid <*>] [<USER>] FAIL LOGIN: Client "<HOST>"',
    '',
  ].join('\n');

  it('defines patterns that the matcher uses', () => {
    const pats = parsePatternFile('/etc/tsad/patterns.d/ftp.conf', text, new Set());
    expect(pats.map((p) => [p.name, p.service, p.origin])).toEqual([['vsftpd-login', 'vsftpd', '/etc/tsad/patterns.d/ftp.conf:2']]);
    const m = new ServiceMatcher(pats);
    const r = m.match('Dec  6 20:00:01 ftp vsftpd[99]: x [pid 100] [guest] FAIL LOGIN: Client "::ffff:192.0.2.50"', createParseContext({ year: 2026 }));
    expect(r).toBeNull(); // the template must start the message
    const r2 = m.match('Dec  6 20:00:01 ftp vsftpd[99]: [pid 100] [guest] FAIL LOGIN: Client "::ffff:192.0.2.50"', createParseContext({ year: 2026 }));
    expect(r2).toMatchObject({ src: '192.0.2.50', user: 'guest', service: 'vsftpd', pattern: 'vsftpd-login' });
  });

  it.each([
    ['[a]\nservice = x\nmatch = no host here\n', 3, 'match', /exactly one <HOST>/],
    ['[a]\nservice = x\nprogram = bad tag!\nmatch = <HOST>x\n', 3, 'program', /not a syslog tag/],
    ['[a]\nmatch = x <HOST>\n', 1, 'service', /no "service ="/],
    ['[a]\nservice = x\nmatch = x <HOST>\n[a]\n', 4, '', /defined twice/],
    ['[sshd-failed]\n', 1, '', /names a shipped pattern/],
    ['service = x\n', 1, 'service', /before the first/],
    ['[a]\nservice = x\ncolour = red\n', 3, 'colour', /unknown key/],
    ['[a]\nservice = X Y\n', 2, 'service', /not a service name/],
    ['[a]\nservice = x\n', 1, 'match', /no "match ="/],
  ])('names file, line and key of a bad file: %j', (body, line, key, why) => {
    let err: unknown;
    try {
      parsePatternFile('/p/x.conf', body, new Set(['sshd-failed']));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const c = err as ConfigError;
    expect([c.file, c.line, c.key]).toEqual(['/p/x.conf', line, key]);
    expect(c.reason).toMatch(why);
  });
});
