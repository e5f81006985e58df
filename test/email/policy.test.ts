/** Pure logic of the limits: AlertPolicy, RateWindow and the backoff schedule. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertPolicy } from '../../src/actions/email/alert-policy.js';
import { backoffMs } from '../../src/actions/email/delivery.js';
import { RateWindow } from '../../src/actions/email/rate-window.js';

const base = { level: 1, limit: 0, throttle: 0, limitNotice: true, maxSources: 100 };

describe('AlertPolicy', () => {
  it('alerts on reaching the level and on each rise only', () => {
    const p = new AlertPolicy({ ...base, level: 2 });
    const d = (dl: number, prev: number) => { const r = p.decide('a', dl, prev, 0); return r.send ? 'send' : r.reason; };
    expect([d(1, 0), d(2, 1), d(2, 2), d(3, 2), d(3, 2), d(5, 3), d(5, 5)]).toEqual(['below-level', 'send', 'unchanged', 'send', 'unchanged', 'send', 'unchanged']);
  });

  it('never mails more than EMAIL_LIMIT per source, counting sent and pending alerts', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.boolean()), { maxLength: 60 }), (limit, steps) => {
      const p = new AlertPolicy({ ...base, limit });
      let prev = 0;
      let pending = 0;
      let sent = 0;
      let notices = 0;
      for (const [dl, deliver] of steps) {
        const r = p.decide('a', dl, prev, pending);
        if (r.send) pending++;
        else if (r.limitNotice) notices++;
        if (deliver && pending > 0) { pending--; sent++; p.recordSent('a'); }
        prev = dl;
      }
      expect(sent + pending).toBeLessThanOrEqual(limit);
      expect(notices).toBeLessThanOrEqual(1);
    }));
  });

  it('EMAIL_THROTTLE N passes the first alert and then one in N', () => {
    for (const n of [2, 3, 5]) {
      const p = new AlertPolicy({ ...base, throttle: n });
      const sent: number[] = [];
      for (let i = 1; i <= 12; i++) {
        p.decide('a', 0, 5, 0); // the level falls: every rise below is a new opportunity
        if (p.decide('a', 1, 0, 0).send) sent.push(i);
      }
      expect(sent).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].filter((i) => (i - 1) % n === 0));
    }
  });

  it('survives a round trip through JSON and forgets the least recently used source first', () => {
    const p = new AlertPolicy({ ...base, maxSources: 2 });
    p.decide('a', 3, 0, 0);
    p.decide('b', 3, 0, 0);
    p.decide('a', 4, 3, 0);
    p.decide('c', 3, 0, 0);
    expect(Object.keys(p.toJSON())).toEqual(['a', 'c']);
    const q = new AlertPolicy(base, JSON.parse(JSON.stringify(p.toJSON())) as ReturnType<AlertPolicy['toJSON']>);
    expect(q.decide('a', 4, 3, 0)).toMatchObject({ send: false, reason: 'unchanged' });
    q.forget('a');
    expect(q.decide('a', 4, 3, 0).send).toBe(true);
  });
});

describe('RateWindow', () => {
  it('allows N per sliding hour', () => {
    const r = new RateWindow(3);
    const t0 = 1_000_000;
    for (const t of [t0, t0 + 10, t0 + 20]) { expect(r.allows(t)).toBe(true); r.record(t); }
    expect(r.allows(t0 + 30)).toBe(false);
    expect(r.nextSlot(t0 + 30)).toBe(t0 + 3_600_000);
    expect(r.allows(t0 + 3_600_000)).toBe(true);
    expect(new RateWindow(0).allows(0)).toBe(true);
    expect(new RateWindow(2, r.toJSON()).allows(t0 + 3_600_005)).toBe(false);
  });
});

describe('backoff', () => {
  it('doubles from 30 s up to one hour', () => {
    expect([1, 2, 3, 7, 8, 50].map(backoffMs)).toEqual([30_000, 60_000, 120_000, 1_920_000, 3_600_000, 3_600_000]);
  });
});
