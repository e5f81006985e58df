/**
 * Alert mails through a real SMTP server on loopback: what arrives (headers,
 * text part in psad's layout, HTML part), when a second alert is due, and
 * hostile values that must neither add headers nor markup.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mailer } from '../../src/actions/email/mailer.js';
import { findPart, header } from './mime.js';
import { clock, smtpConfig, source, tempDir, TestSmtp, openMailEnv, closeMailEnv } from './helpers.js';

let smtp: TestSmtp;
let tmp: { dir: string; cleanup: () => void };
let mailers: Mailer[];
let logs: string[];

beforeEach(async () => {
  ({ smtp, tmp, mailers, logs } = await openMailEnv('alert'));
});

afterEach(() => closeMailEnv({ smtp, tmp, mailers }));

function mailer(values: Record<string, string | number> = {}, now = clock().now): Mailer {
  const m = Mailer.create(smtpConfig(smtp.port, values), { queueDir: `${tmp.dir}/q`, now, host: 'fw1.example.org', log: (s) => logs.push(s) });
  mailers.push(m);
  return m;
}

const extra = {
  host: 'fw1',
  previousDl: 0,
  rdns: 'scanner.example.net',
  samples: ['May  1 10:00:01 fw1 kernel: DROP IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.1 LEN=44 PROTO=TCP SPT=40000 DPT=1000 SYN'],
  destinations: ['198.51.100.1', '198.51.100.2'],
};

describe('alert mail content', () => {
  it('arrives with the subject, headers, text and HTML parts an admin expects', async () => {
    const m = mailer();
    expect(m.alert(source(), extra)).toBe('queued');
    const r = await m.flush();
    expect(r).toMatchObject({ sent: 1, queued: 0, handedOff: false });
    expect(smtp.received).toHaveLength(1);
    const got = smtp.received[0]!;
    expect(got.subject).toBe('[tsad-alert] DL3 203.0.113.5 (CN, AS4134) SYN scan 1000-1500/tcp by nmap on fw1');
    expect(got.from).toBe('tsad@fw1.example.org');
    expect(got.to).toEqual(['admin@example.org']);
    expect(header(got.mail, 'from')).toBe('tsad@fw1.example.org');
    expect(header(got.mail, 'to')).toBe('admin@example.org');
    expect(header(got.mail, 'message-id')).toMatch(/^<[0-9a-f-]{36}@fw1\.example\.org>$/);
    expect(header(got.mail, 'auto-submitted')).toBe('auto-generated');
    expect(header(got.mail, 'x-tsad-kind')).toBe('alert');
    expect(header(got.mail, 'x-tsad-source')).toBe('203.0.113.5');
    expect(header(got.mail, 'date')).toContain('1 May 2024 10:05:00');

    const text = findPart(got.mail, 'text/plain')!.body;
    for (const line of [
      '           tsad Alert: host fw1',
      '         Danger level: [3] (out of 5) Multi-Protocol',
      '       Previous level: [0]',
      '           Scan types: SYN',
      '        Scanning tool: nmap',
      ' Scanned destinations: 2 (198.51.100.1, 198.51.100.2)',
      '    Scanned TCP ports: [1000-1500: 1002 packets, 501 ports]',
      '            TCP flags: [SYN: 1000 packets]',
      '            TCP flags: [CWR ECE SYN: 2 packets]',
      '         ICMP packets: [4]',
      '   Total email alerts: 1',
      '               Source: 203.0.113.5',
      '                  DNS: scanner.example.net',
      '              Country: CN',
      '                  ASN: AS4134',
      "      Reputation feed: 'spamhaus-drop' (DL 5)",
      '             OS guess: Linux:3.11 and newer',
      '        Blocked until: 2024-05-01T11:05:00.000Z',
      '           First seen: 2024-05-01T10:00:00.000Z',
      '            Last seen: 2024-05-01T10:05:00.000Z',
      '[+] Signature matches:',
      '   "MISC Microsoft SQL Server communication attempt" sid: 100205, DL: 2, packets: 2',
      '[+] Log samples:',
      `   ${extra.samples[0]}`,
    ]) expect(text.split('\n')).toContain(line);
    expect(text.startsWith('=-=-=-=-=-=-=-=-=-=-=-= 2024-05-01 10:05:00 UTC =-=-=-=-=-=-=-=-=-=-=-=\n')).toBe(true);

    const html = findPart(got.mail, 'text/html')!.body;
    expect(html).toContain('<!DOCTYPE html>');
    expect(html).toMatch(/<th[^>]*>Danger level<\/th><td[^>]*>\[3\] \(out of 5\) Multi-Protocol<\/td>/);
    expect(html).toMatch(/<th[^>]*>Country<\/th><td[^>]*>CN<\/td>/);
    expect(html).toContain('&quot;MISC Microsoft SQL Server communication attempt&quot; sid: 100205');
    expect(html).toContain('SRC=203.0.113.5 DST=198.51.100.1');
  });

  it('mails again when the level rises, not when it stays, and again after it fell and rose', async () => {
    const m = mailer();
    expect(m.alert(source({ dl: 2 }), { ...extra, previousDl: 0 })).toBe('queued');
    expect(m.alert(source({ dl: 2 }), { ...extra, previousDl: 2 })).toBe('unchanged');
    expect(m.alert(source({ dl: 4 }), { ...extra, previousDl: 2 })).toBe('queued');
    // The same rise reported twice is one alert.
    expect(m.alert(source({ dl: 4 }), { ...extra, previousDl: 2 })).toBe('unchanged');
    expect(m.alert(source({ dl: 4 }), { ...extra, previousDl: 4 })).toBe('unchanged');
    await m.flush();
    expect(smtp.received.map((r) => r.subject.slice(0, 18))).toEqual(['[tsad-alert] DL2 2', '[tsad-alert] DL4 2']);
    expect(findPart(smtp.received[1]!.mail, 'text/plain')!.body).toContain('   Total email alerts: 2');

    // Level decays to 1 (below the mailed 4), then a new incident rises to 3.
    expect(m.alert(source({ dl: 1 }), { ...extra, previousDl: 4 })).toBe('unchanged');
    expect(m.alert(source({ dl: 3 }), { ...extra, previousDl: 1 })).toBe('queued');
    await m.flush();
    expect(smtp.received).toHaveLength(3);
    expect(m.stats.suppressed.unchanged).toBe(4);
  });

  it('stays quiet below EMAIL_ALERT_DANGER_LEVEL and with ALERTING_METHODS noemail', async () => {
    const m = mailer({ EMAIL_ALERT_DANGER_LEVEL: 3 });
    expect(m.alert(source({ dl: 2 }), extra)).toBe('below-level');
    expect(m.alert(source({ dl: 3 }), { ...extra, previousDl: 2 })).toBe('queued');
    await m.flush();
    expect(smtp.received.map((r) => r.subject.slice(0, 16))).toEqual(['[tsad-alert] DL3']);

    const quiet = Mailer.create(smtpConfig(smtp.port, { ALERTING_METHODS: 'noemail' }), { queueDir: `${tmp.dir}/q2`, host: 'fw1' });
    mailers.push(quiet);
    expect(quiet.alert(source({ src: '198.51.100.77' }), extra)).toBe('disabled');
    quiet.report('still reports', 'reports go out with noemail');
    await quiet.flush();
    expect(smtp.received.map((r) => r.subject)).toEqual(['[tsad-alert] DL3 203.0.113.5 (CN, AS4134) SYN scan 1000-1500/tcp by nmap on fw1', '[tsad-status] still reports']);
  });

  it('shows a prefix, several protocols and an unblocked source in the subject and body', async () => {
    const m = mailer({ MAIL_ALERT_PREFIX: '"[fw1 alert]"' });
    m.alert(source({
      src: '2001:db8:1:2::/64', addresses: ['2001:db8:1:2::5', '2001:db8:1:2::6'], country: null, asn: null, tool: null,
      scanTypes: ['SYN', 'UDP'], blocked: null,
      protocols: { udp: { packets: 10, portRange: [53, 53], ports: 1 }, tcp: { packets: 5, portRange: [22, 25], ports: 4, flags: { SYN: 5 } } },
    }), { ...extra, rdns: null, samples: [], destinations: undefined });
    await m.flush();
    const got = smtp.received[0]!;
    expect(got.subject).toBe('[fw1 alert] DL3 2001:db8:1:2::/64 SYN+UDP scan 22-25/tcp 53/udp on fw1');
    const text = findPart(got.mail, 'text/plain')!.body;
    expect(text).toContain('            Addresses: 2001:db8:1:2::5, 2001:db8:1:2::6');
    expect(text).toContain('                  DNS: [No reverse dns info available]');
    expect(text).toContain('        Blocked until: [not blocked]');
    expect(text).toContain('              Country: [unknown]');
    expect(text).toContain(' Scanned destinations: 2\n');
    expect(text).not.toContain('[+] Log samples:');
    expect(text.indexOf('Scanned TCP ports')).toBeLessThan(text.indexOf('Scanned UDP ports'));
  });
});

describe('hostile values', () => {
  const CRLF_BCC = '\r\nBcc: victim@example.com\r\n';

  it('never add headers, recipients or markup', async () => {
    const m = mailer();
    const long = `A${'x'.repeat(20_000)}`;
    m.alert(source({
      tool: `nmap${CRLF_BCC}`,
      country: `C${CRLF_BCC}N`,
      os: '<img src=x onerror=alert(1)>',
      scanTypes: ['SYN', `EVIL${CRLF_BCC}` as never],
      signatures: [{ msg: `</pre><script>alert("sig")</script>${CRLF_BCC}`, sid: 1, dl: 2, hits: 1 }],
      reputation: [{ feed: `feed${CRLF_BCC}<b>`, dl: 3 }],
      protocols: { tcp: { packets: 3, portRange: [1, 3], ports: 3, flags: { [`<script>SYN${CRLF_BCC}`]: 3 } }, [`tcp${CRLF_BCC}`]: { packets: 1 } },
      invalidIcmp: ['type 99\u202e<script>'],
    }), {
      host: `fw1${CRLF_BCC}<script>alert("host")</script>`,
      previousDl: 0,
      rdns: `evil.example${CRLF_BCC}\r\n\r\n<script>alert("rdns")</script>${long}`,
      samples: [`DROP[${CRLF_BCC}] <script>alert("log")</script> \x00\x1b[31m SRC=203.0.113.5`, long],
      destinations: [`198.51.100.1${CRLF_BCC}`, '<script>'],
    });
    m.alert(source({ src: `203.0.113.9${CRLF_BCC}`, dl: 4 }), { host: 'fw1', previousDl: 0 });
    m.report(`report${CRLF_BCC}Subject: forged`, `text${CRLF_BCC}`);
    await m.flush();
    expect(smtp.received).toHaveLength(3);

    const allowed = new Set(['content-type', 'content-transfer-encoding', 'from', 'to', 'subject', 'message-id', 'date', 'mime-version', 'auto-submitted', 'x-tsad-kind', 'x-tsad-source']);
    for (const got of smtp.received) {
      expect(got.to).toEqual(['admin@example.org']);
      for (const name of got.mail.headers.keys()) expect(allowed.has(name)).toBe(true);
      const head = got.raw.slice(0, got.raw.indexOf('\r\n\r\n'));
      const names = head.split('\r\n').filter((l) => /^[^ \t]/.test(l)).map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
      expect(names.filter((n) => n === 'subject' || n === 'to')).toEqual(['to', 'subject']);
      if (got.subject.startsWith('[tsad-alert]')) expect(head).not.toMatch(/victim|script|^Bcc:/im);
      const html = findPart(got.mail, 'text/html')?.body ?? '';
      expect(html).not.toMatch(/<script|<img|<b>|<\/pre><script/i);
      const text = findPart(got.mail, 'text/plain')!.body;
      expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/);
      for (const line of text.split('\n')) expect(line.length).toBeLessThan(700);
      // Alert bodies are built line by line from neutralised values; a report body keeps the caller's lines.
      if (got.subject.startsWith('[tsad-alert]')) expect(text.split('\n').filter((l) => /^\s*Bcc:/i.test(l))).toEqual([]);
    }
    const [first, second] = smtp.received as [typeof smtp.received[0], typeof smtp.received[0]];
    expect(first.subject).toBe('[tsad-alert] DL3 203.0.113.5 (AS4134) SYN scan 1-3/tcp');
    const html = findPart(first.mail, 'text/html')!.body;
    expect(html).toContain('&lt;script&gt;alert(&quot;log&quot;)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    const text = findPart(first.mail, 'text/plain')!.body;
    expect(text).toContain('DROP[\\x0d\\x0aBcc: victim@example.com\\x0d\\x0a] <script>');
    expect(text).toContain('\\x00\\x1b[31m');
    expect(text).toMatch(/ {18}DNS: evil\.example\\x0d\\x0aBcc: .*\.\.\.\n/);
    expect(text).toContain('           tsad Alert: host fw1\\x0d\\x0aBcc');

    expect(smtp.received[2]!.subject).toBe('[tsad-status] report Bcc: victim@example.com Subject: forged');
    expect(second.subject).toBe('[tsad-alert] DL4 (invalid source) (CN, AS4134) SYN scan 1000-1500/tcp by nmap on fw1');
    expect(header(second.mail, 'x-tsad-source')).toBeUndefined();
  });
});
