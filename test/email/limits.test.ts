/**
 * EMAIL_LIMIT, EMAIL_THROTTLE, EMAIL_RATE_LIMIT and EMAIL_DIGEST_MINUTES
 * against a real SMTP server: each must do what its documentation says.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mailer } from '../../src/actions/email/mailer.js';
import type { DangerLevel } from '../../src/model/report.js';
import { findPart, header } from './mime.js';
import { clock, smtpConfig, source, tempDir, TestSmtp, openMailEnv, closeMailEnv } from './helpers.js';

let smtp: TestSmtp;
let tmp: { dir: string; cleanup: () => void };
let mailers: Mailer[];

beforeEach(async () => {
  ({ smtp, tmp, mailers } = await openMailEnv('limits'));
});

afterEach(() => closeMailEnv({ smtp, tmp, mailers }));

function mailer(values: Record<string, string | number>, now: () => number, dir = 'q'): Mailer {
  const m = Mailer.create(smtpConfig(smtp.port, values), { queueDir: `${tmp.dir}/${dir}`, now, host: 'fw1.example.org', log: () => undefined });
  mailers.push(m);
  return m;
}

/** Reports the rises prev -> dl for `src`. */
function rise(m: Mailer, src: string, levels: number[]): string[] {
  const out: string[] = [];
  let prev = 0;
  for (const dl of levels) {
    out.push(m.alert(source({ src, dl: dl as DangerLevel }), { host: 'fw1', previousDl: prev }));
    prev = dl;
  }
  return out;
}

describe('EMAIL_LIMIT', () => {
  it('counts only alerts that were mailed, and sends one notice when reached', async () => {
    const c = clock();
    const m = mailer({ EMAIL_ALERT_DANGER_LEVEL: 3, EMAIL_LIMIT: 2, EMAIL_RATE_LIMIT: 0 }, c.now);
    // psad counted the DL1 and DL2 batches too (issue #61): here they do not count.
    for (let i = 0; i < 20; i++) m.alert(source({ dl: 1 }), { host: 'fw1', previousDl: 1 });
    expect(rise(m, '203.0.113.5', [1, 2, 3, 4, 5])).toEqual(['below-level', 'below-level', 'queued', 'queued', 'limit']);
    expect(rise(m, '198.51.100.20', [3])).toEqual(['queued']);
    await m.flush();
    expect(smtp.received.map((r) => r.subject)).toEqual([
      '[tsad-alert] DL3 203.0.113.5 (CN, AS4134) SYN scan 1000-1500/tcp by nmap on fw1',
      '[tsad-alert] DL4 203.0.113.5 (CN, AS4134) SYN scan 1000-1500/tcp by nmap on fw1',
      '[tsad-status] reached email message limit for 203.0.113.5 on fw1.example.org',
      '[tsad-alert] DL3 198.51.100.20 (CN, AS4134) SYN scan 1000-1500/tcp by nmap on fw1',
    ]);
    expect(findPart(smtp.received[2]!.mail, 'text/plain')!.body).toContain('mailed 2 alerts about 203.0.113.5 (EMAIL_LIMIT 2)');
    // The notice goes out once, not for every later alert.
    m.alert(source({ dl: 1 }), { host: 'fw1', previousDl: 5 });
    expect(rise(m, '203.0.113.5', [3])).toEqual(['limit']);
    await m.flush();
    expect(smtp.received).toHaveLength(4);
    expect(m.stats.suppressed.limit).toBe(2);
  });

  it('does not count a queued alert that was dropped unsent', async () => {
    const c = clock();
    await smtp.stop();
    const m = mailer({ EMAIL_LIMIT: 1, EMAIL_QUEUE_MAX_AGE: 1, EMAIL_RATE_LIMIT: 0 }, c.now);
    expect(rise(m, '203.0.113.5', [3])).toEqual(['queued']);
    // Queued but not sent yet: it counts against the limit while it may still go out.
    expect(rise(m, '203.0.113.5', [4]).at(-1)).toBe('limit');
    await m.flush();
    expect(m.stats.queued).toBe(2); // the alert and the limit notice
    c.advance(2 * 3_600_000);
    await smtp.start();
    await m.flush();
    expect(smtp.received).toHaveLength(0);
    expect(m.stats.dropped).toBe(2);
    m.alert(source({ dl: 1 }), { host: 'fw1', previousDl: 4 });
    expect(m.alert(source({ dl: 4 }), { host: 'fw1', previousDl: 1 })).toBe('queued');
    await m.flush();
    expect(smtp.received.map((r) => r.subject.slice(0, 16))).toEqual(['[tsad-alert] DL4']);
    expect(findPart(smtp.received[0]!.mail, 'text/plain')!.body).toContain('   Total email alerts: 1\n');
  });
});

describe('EMAIL_THROTTLE', () => {
  it('mails the first alert and then one in N (psad skipped one in N instead)', async () => {
    const m = mailer({ EMAIL_THROTTLE: 2, EMAIL_RATE_LIMIT: 0 }, clock().now);
    expect(rise(m, '203.0.113.5', [1, 2, 3, 4, 5])).toEqual(['queued', 'throttle', 'queued', 'throttle', 'queued']);
    await m.flush();
    expect(smtp.received.map((r) => r.subject.slice(13, 16))).toEqual(['DL1', 'DL3', 'DL5']);
  });
});

describe('EMAIL_RATE_LIMIT', () => {
  it('mails up to the hourly limit and collects the rest into one digest when the hour has room', async () => {
    const c = clock();
    const m = mailer({ EMAIL_RATE_LIMIT: 2 }, c.now);
    const outcomes = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5'].map((s) => rise(m, s, [3])[0]);
    expect(outcomes).toEqual(['queued', 'queued', 'digest', 'digest', 'digest']);
    await m.flush();
    expect(smtp.received).toHaveLength(2);
    c.advance(30 * 60_000);
    await m.flush();
    expect(smtp.received).toHaveLength(2);
    c.advance(31 * 60_000);
    await m.flush();
    expect(smtp.received).toHaveLength(3);
    const digest = smtp.received[2]!;
    expect(digest.subject).toBe('[tsad-alert] digest: 3 alerts from 3 sources, max DL3 on fw1.example.org');
    expect(header(digest.mail, 'x-tsad-kind')).toBe('digest');
    const text = findPart(digest.mail, 'text/plain')!.body;
    for (const s of ['203.0.113.3', '203.0.113.4', '203.0.113.5']) {
      expect(text).toContain(`   DL3 ${s} (CN, AS4134) SYN scan 1000-1500/tcp by nmap on fw1`);
      expect(text).toContain(`               Source: ${s}`);
    }
    // The digest took one of the two slots of the new hour: one single alert fits, the next waits.
    expect(rise(m, '198.51.100.1', [3])).toEqual(['queued']);
    expect(rise(m, '198.51.100.2', [3])).toEqual(['digest']);
  });
});

describe('EMAIL_DIGEST_MINUTES', () => {
  it('mails all alerts of the period in one message with text and HTML', async () => {
    const c = clock();
    const m = mailer({ EMAIL_DIGEST_MINUTES: 10, EMAIL_RATE_LIMIT: 0 }, c.now);
    expect(rise(m, '203.0.113.5', [2, 4])).toEqual(['digest', 'digest']);
    c.advance(60_000);
    expect(rise(m, '2001:db8::7', [3])).toEqual(['digest']);
    await m.flush();
    c.advance(8 * 60_000);
    await m.flush();
    expect(smtp.received).toHaveLength(0);
    c.advance(60_000);
    await m.flush();
    expect(smtp.received).toHaveLength(1);
    const d = smtp.received[0]!;
    expect(d.subject).toBe('[tsad-alert] digest: 3 alerts from 2 sources, max DL4 on fw1.example.org');
    const text = findPart(d.mail, 'text/plain')!.body;
    expect(text).toContain('    tsad Alert digest: host fw1.example.org');
    expect(text).toContain('               Alerts: 3');
    expect(text).toContain('               Period: 2024-05-01T10:05:00.000Z to 2024-05-01T10:06:00.000Z');
    expect(text).toContain('[+] Alerts:\n   DL2 203.0.113.5');
    expect(text).toContain('         Danger level: [4] (out of 5)');
    expect(text).toContain('               Source: 2001:db8::7');
    const html = findPart(d.mail, 'text/html')!.body;
    expect(html.match(/<h2 /g)).toHaveLength(4);
    expect(html).toContain('DL3 2001:db8::7 (CN, AS4134) SYN scan 1000-1500/tcp by nmap</h2>');
    // Next period starts with the next alert.
    expect(rise(m, '198.51.100.9', [3])).toEqual(['digest']);
    await m.flush();
    expect(smtp.received).toHaveLength(1);
    c.advance(10 * 60_000);
    await m.flush();
    expect(smtp.received).toHaveLength(2);
    expect(smtp.received[1]!.subject).toBe('[tsad-alert] digest: 1 alert from 1 source, max DL3 on fw1.example.org');
  });

  it('counts digest alerts towards EMAIL_LIMIT', async () => {
    const c = clock();
    const m = mailer({ EMAIL_DIGEST_MINUTES: 1, EMAIL_LIMIT: 1, EMAIL_LIMIT_STATUS_MSG: 'N', EMAIL_RATE_LIMIT: 0 }, c.now);
    expect(rise(m, '203.0.113.5', [3, 4])).toEqual(['digest', 'limit']);
    c.advance(60_000);
    await m.flush();
    expect(smtp.received.map((r) => r.subject)).toEqual(['[tsad-alert] digest: 1 alert from 1 source, max DL3 on fw1.example.org']);
    m.alert(source({ dl: 1 }), { host: 'fw1', previousDl: 4 });
    expect(rise(m, '203.0.113.5', [5])).toEqual(['limit']);
  });
});
