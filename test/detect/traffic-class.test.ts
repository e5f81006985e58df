/**
 * Issue 13's rules for real traffic, on LOG lines as real hosts write them
 * (the issue's own lines, addresses kept or changed to documentation
 * ranges), through the whole analysis: parse, the packet filter and traffic
 * classifier, the shipped signatures, detection and the report. psad mode
 * (--psad-conf) must keep scoring them as psad did.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { applyPsadConf } from '../../src/config/psad-import.js';
import type { Config } from '../../src/config/keys/index.js';
import { buildAnalysis } from '../../src/daemon/analysis.js';
import { classify, ScanClass, TrafficClassifier } from '../../src/detect/index.js';
import type { Packet } from '../../src/model/packet.js';
import type { Report, SourceReport } from '../../src/model/report.js';
import { createParseContext, parseLine } from '../../src/parse/index.js';
import { cfgWith } from './packet-builder.js';

const MAC = 'MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00';

async function analyze(lines: string[], cfg: Config = defaultConfig()): Promise<Report> {
  const a = await buildAnalysis({ cfg, geoip: false, feeds: false, warn: () => undefined });
  const ctx = createParseContext({ year: 2026 });
  for (const l of lines) a.pipeline.line(l, ctx);
  return a.report(0);
}

function source(r: Report, src: string): SourceReport | undefined {
  return r.sources.find((s) => s.src === src);
}

function packet(line: string): Packet {
  const p = parseLine(line, createParseContext({ year: 2026 }));
  if (p === null || typeof p === 'string') throw new Error(`not a packet (${String(p)}): ${line}`);
  return p;
}

/** A kern.log line at second `s` past 10:00. */
const at = (s: number, rest: string): string => `Nov 21 10:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} host kernel: [${1000 + s}.000000] ${rest}`;

const PSAD_CONF = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'tsad-psadmode-'));
  writeFileSync(join(dir, 'psad.conf'), 'HOSTNAME test;\n');
  return applyPsadConf(join(dir, 'psad.conf')).cfg;
})();

describe('1. direction on forwarding and NAT hosts', () => {
  const hairpin = at(0, `[UFW BLOCK] IN=ens3 OUT=ens3 ${MAC} SRC=47.108.3.252 DST=158.247.9.34 LEN=40 TOS=0x00 PREC=0x00 TTL=45 ID=39900 PROTO=TCP SPT=39157 DPT=23 WINDOW=35557 RES=0x00 SYN URGP=0`);
  const irc = at(1, `[UFW BLOCK] IN=eth1 OUT=eth0 ${MAC} SRC=10.10.0.37 DST=192.0.2.66 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=1234 DF PROTO=TCP SPT=51000 DPT=6667 WINDOW=64240 RES=0x00 SYN URGP=0`);

  test('IN and OUT the same interface, public source: inbound from the internet, no egress rule', async () => {
    const r = await analyze([hairpin]);
    const s = source(r, '47.108.3.252');
    expect(s?.direction).toBe('inbound');
    expect(s?.localHost).toBe(false);
    expect(s?.signatures.map((x) => x.msg).filter((m) => m.startsWith('EGRESS'))).toEqual([]);
    expect(s?.dl).toBe(0);
  });

  test('a LAN host reaching IRC out through the router is a local host going out, and the egress rule fires', async () => {
    const s = source(await analyze([irc]), '10.10.0.37');
    expect(s?.direction).toBe('outbound');
    expect(s?.localHost).toBe(true);
    expect(s?.signatures.map((x) => x.msg)).toContain('EGRESS IRC connection attempt from inside');
    expect(s?.dl).toBe(3);
  });

  test('Docker: a container going out (IN=docker0) is outbound; a client reaching a published port is inbound', () => {
    const t = new TrafficClassifier(defaultConfig());
    const out = packet(at(2, `IN=docker0 OUT=eth0 PHYSIN=veth1a2b3c ${MAC} SRC=172.17.0.2 DST=192.0.2.80 LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=1 DF PROTO=TCP SPT=40000 DPT=25 WINDOW=64240 RES=0x00 SYN URGP=0`));
    t.classify(out);
    expect(out.dir).toBe('outbound');
    const inb = packet(at(3, `IN=eth0 OUT=docker0 ${MAC} SRC=203.0.113.9 DST=172.17.0.2 LEN=44 TOS=0x00 PREC=0x00 TTL=50 ID=2 PROTO=TCP SPT=40001 DPT=80 WINDOW=1024 RES=0x00 SYN URGP=0`));
    t.classify(inb);
    expect(inb.dir).toBe('inbound');
  });
});

describe('2. replies and backscatter are never scored', () => {
  test('SYN-ACK backscatter from a cloud address: skipped as backscatter, no source', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => at(i, `IN=eth0 OUT= ${MAC} SRC=40.119.7.0 DST=10.0.0.4 LEN=72 TOS=0x00 PREC=0x00 TTL=114 ID=0 DF PROTO=TCP SPT=23456 DPT=${20000 + i * 7} WINDOW=17280 RES=0x00 ACK SYN URGP=0`));
    const r = await analyze(lines);
    expect(source(r, '40.119.7.0')).toBeUndefined();
    expect(r.summary.skipped.backscatter).toBe(200);
    // psad mode: IGNORE_CONNTRACK_BUG_PKTS ignores ACK packets as psad did, so no level either, but not as backscatter.
    const psad = await analyze(lines, PSAD_CONF);
    expect(psad.summary.skipped.backscatter).toBeUndefined();
  });

  test('nmap ACK and Maimon probes stay scans', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => at(i, `DROP IN=eth0 OUT= ${MAC} SRC=203.0.113.113 DST=198.51.100.20 LEN=40 TOS=0x00 PREC=0x00 TTL=41 ID=${100 + i} PROTO=TCP SPT=41000 DPT=${1000 + i} WINDOW=1024 RES=0x00 ACK URGP=0`));
    const s = source(await analyze(lines), '203.0.113.113');
    expect(s?.scanTypes).toEqual(['ACK', 'WINDOW']);
    expect(s?.dl).toBe(2);
  });
});

describe('3. payload is not TCP options', () => {
  const download = `[netfilter-INPUT] IN=enp0s3 OUT= ${MAC} SRC=198.18.4.192 DST=192.168.122.235 LEN=1328 TOS=0x00 PREC=0x00 TTL=63 ID=1435 PROTO=TCP SPT=443 DPT=43574 WINDOW=65535 RES=0x00 ACK PSH URGP=0`;

  test('a 1328-byte HTTPS segment is not an nmap OS-detection probe', () => {
    const p = packet(at(0, download));
    expect(classify(p)).toBe(ScanClass.Other);
  });

  test('an HTTPS download is never scored, whatever its length (skipped, not "DL4 nmap")', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => at(i % 3600, download.replace('ID=1435', `ID=${i}`)));
    const r = await analyze(lines);
    expect(source(r, '198.18.4.192')).toBeUndefined();
    // Even scored as psad would (no conntrack rule), it is no OS probe and no nmap.
    const loose = await analyze(lines, cfgWith({ IGNORE_REPLIES: 'N', IGNORE_CONNTRACK_BUG_PKTS: 'N' }));
    expect(source(loose, '198.18.4.192')?.tool).toBeNull();
    expect(source(loose, '198.18.4.192')?.osDetection).toBeFalsy();
  });
});

describe('4. replies to the host\'s own traffic', () => {
  const query = (s: number, port: number): string => at(s, `[netfilter-OUTPUT] IN= OUT=enp0s3 SRC=192.168.122.235 DST=192.0.2.53 LEN=71 TOS=0x00 PREC=0x00 TTL=64 ID=${s} DF PROTO=UDP SPT=${port} DPT=53 LEN=51`);
  const answer = (s: number, port: number): string => at(s, `[netfilter-INPUT] IN=enp0s3 OUT= ${MAC} SRC=192.0.2.53 DST=192.168.122.235 LEN=135 TOS=0x00 PREC=0x00 TTL=63 ID=${s} PROTO=UDP SPT=53 DPT=${port} LEN=115`);

  test('a resolver\'s answers to the host\'s queries are replies, however many ports', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 300; i++) lines.push(query(i * 10, 33000 + i * 97), answer(i * 10, 33000 + i * 97));
    const r = await analyze(lines);
    expect(source(r, '192.0.2.53')).toBeUndefined();
    expect(r.summary.skipped.reply).toBe(300);
    expect(r.summary.skipped['own-traffic']).toBe(300);
  });

  test('NTP answers 123 -> 123 and ICMP echo replies are replies', async () => {
    const r = await analyze([
      at(0, `IN=eth0 OUT= ${MAC} SRC=192.0.2.123 DST=198.51.100.10 LEN=76 TOS=0x00 PREC=0x00 TTL=55 ID=1 DF PROTO=UDP SPT=123 DPT=123 LEN=56`),
      at(1, `IN=eth0 OUT= ${MAC} SRC=192.0.2.1 DST=198.51.100.10 LEN=84 TOS=0x00 PREC=0x00 TTL=60 ID=2 PROTO=ICMP TYPE=0 CODE=0 ID=77 SEQ=1`),
    ]);
    expect(r.sources).toEqual([]);
    expect(r.summary.skipped.reply).toBe(2);
  });

  test('source port 53 does not hide a UDP scan: more than a few ports a minute are probes', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => at(i, `IN=eth0 OUT= ${MAC} SRC=203.0.113.53 DST=198.51.100.10 LEN=28 TOS=0x00 PREC=0x00 TTL=44 ID=${i} PROTO=UDP SPT=53 DPT=${1024 + i} LEN=8`));
    const s = source(await analyze(lines), '203.0.113.53');
    expect(s?.dl).toBeGreaterThanOrEqual(2);
  });
});

describe('5. the host\'s own client traffic is not a sweep', () => {
  const syn = (s: number, dst: string, dport: number): string =>
    at(s, `[netfilter-OUTPUT] IN= OUT=enp0s3 SRC=192.168.122.235 DST=${dst} LEN=60 TOS=0x00 PREC=0x00 TTL=64 ID=${s} DF PROTO=TCP SPT=${40000 + s} DPT=${dport} WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080A0000000100000000010303070)`);

  test('browsing 60 sites over HTTPS: own traffic, no level', async () => {
    const r = await analyze(Array.from({ length: 60 }, (_, i) => syn(i, `192.0.2.${i + 1}`, 443)));
    expect(source(r, '192.168.122.235')).toBeUndefined();
    expect(r.summary.skipped['own-traffic']).toBe(60);
  });

  test('telnet to 60 addresses is worm egress and still scored', async () => {
    const s = source(await analyze(Array.from({ length: 60 }, (_, i) => syn(i, `192.0.2.${i + 1}`, 23))), '192.168.122.235');
    expect(s?.direction).toBe('outbound');
    expect(s?.localHost).toBe(true);
    expect(s?.dl).toBeGreaterThanOrEqual(3);
  });
});

describe('6. LAN chatter is not a scan', () => {
  const lan = (s: number, rest: string): string => at(s, `[UFW BLOCK] IN=wlp2s0 OUT= ${rest}`);
  const chatter = [
    lan(0, 'MAC=01:00:5e:00:00:fb:a4:83:e7:11:22:33:08:00 SRC=192.168.1.20 DST=224.0.0.251 LEN=101 TOS=0x00 PREC=0x00 TTL=255 ID=0 DF PROTO=UDP SPT=5353 DPT=5353 LEN=81'),
    lan(1, 'MAC=01:00:5e:7f:ff:fa:a4:83:e7:11:22:33:08:00 SRC=192.168.1.30 DST=239.255.255.250 LEN=203 TOS=0x00 PREC=0x00 TTL=4 ID=1 DF PROTO=UDP SPT=50000 DPT=1900 LEN=183'),
    lan(2, 'MAC=ff:ff:ff:ff:ff:ff:a4:83:e7:11:22:44:08:00 SRC=192.168.1.40 DST=192.168.1.255 LEN=78 TOS=0x00 PREC=0x00 TTL=128 ID=2 PROTO=UDP SPT=137 DPT=137 LEN=58'),
    lan(3, 'MAC=01:00:5e:00:00:16:a4:83:e7:11:22:55:08:00 SRC=192.168.1.50 DST=224.0.0.22 LEN=40 TOS=0x00 PREC=0xC0 TTL=1 ID=0 DF OPT (94040000) PROTO=2'),
    lan(4, 'MAC=52:54:00:12:34:56:a4:83:e7:11:22:66:08:00 SRC=192.168.1.1 DST=192.168.1.5 LEN=330 TOS=0x00 PREC=0x00 TTL=64 ID=3 DF PROTO=UDP SPT=1900 DPT=51234 LEN=310'),
    lan(5, 'MAC=33:33:ff:00:00:01:a4:83:e7:11:22:77:86:dd SRC=fe80:0000:0000:0000:0000:0000:0000:0002 DST=ff02:0000:0000:0000:0000:0001:ff00:0001 LEN=72 TC=0 HOPLIMIT=255 FLOWLBL=0 PROTO=ICMPv6 TYPE=135 CODE=0'),
  ];

  test('mDNS, SSDP, NetBIOS broadcast, IGMP, unicast SSDP replies and NDP: counted as lan-discovery, no source, no "from outside" rule', async () => {
    const r = await analyze(chatter);
    expect(r.sources).toEqual([]);
    expect(r.summary.skipped['lan-discovery']).toBe(chatter.length);
    expect(r.topSignatures).toEqual([]);
  });

  test('psad mode scores them as psad did', async () => {
    const r = await analyze(chatter, PSAD_CONF);
    expect(r.summary.skipped['lan-discovery']).toBeUndefined();
    expect(r.sources.length).toBeGreaterThan(0);
  });

  test('a LAN host answering on a few ephemeral ports is replying; one probing many is scanning', async () => {
    const answers = Array.from({ length: 6 }, (_, i) => lan(i, `${MAC} SRC=192.168.1.1 DST=192.168.1.5 LEN=100 TOS=0x00 PREC=0x00 TTL=64 ID=${i} PROTO=UDP SPT=40000 DPT=${50000 + i} LEN=80`));
    expect((await analyze(answers)).sources).toEqual([]);
    const scan = Array.from({ length: 60 }, (_, i) => lan(i, `${MAC} SRC=192.168.1.66 DST=192.168.1.5 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=${i} PROTO=UDP SPT=40000 DPT=${50000 + i} LEN=8`));
    expect(source(await analyze(scan), '192.168.1.66')?.dl).toBeGreaterThanOrEqual(2);
  });
});

describe('7. link-local IPv6 is per address', () => {
  test('two fe80:: hosts and two ULA hosts of one /64 are four sources', async () => {
    const line = (s: number, src: string): string => at(s, `DROP IN=eth0 OUT= ${MAC} SRC=${src} DST=fd00:0000:0000:0000:0000:0000:0000:0001 LEN=60 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=TCP SPT=40000 DPT=22 WINDOW=64800 RES=0x00 SYN URGP=0`);
    const r = await analyze([
      line(0, 'fe80:0000:0000:0000:0000:0000:0000:0001'), line(1, 'fe80:0000:0000:0000:0000:0000:0000:0002'),
      line(2, 'fd00:0000:0000:0000:0000:0000:0000:0003'), line(3, 'fd00:0000:0000:0000:0000:0000:0000:0004'),
    ]);
    expect(r.sources.map((s) => s.src).sort()).toEqual(['fd00::3', 'fd00::4', 'fe80::1', 'fe80::2']);
  });
});

describe('8. labels are not levels', () => {
  test('ZMap probes and 1024-window SYNs to single ports name the tool, no level; a telnet SYN names the service', async () => {
    const r = await analyze([
      at(0, `DROP IN=eth0 OUT= ${MAC} SRC=203.0.113.21 DST=198.51.100.10 LEN=40 TOS=0x00 PREC=0x00 TTL=244 ID=54321 PROTO=TCP SPT=51853 DPT=8443 WINDOW=65535 RES=0x00 SYN URGP=0`),
      at(1, `DROP IN=eth0 OUT= ${MAC} SRC=203.0.113.22 DST=198.51.100.10 LEN=44 TOS=0x00 PREC=0x00 TTL=49 ID=7 PROTO=TCP SPT=41000 DPT=3389 WINDOW=1024 RES=0x00 SYN URGP=0`),
      at(2, `DROP IN=eth0 OUT= ${MAC} SRC=203.0.113.23 DST=198.51.100.10 LEN=40 TOS=0x00 PREC=0x00 TTL=49 ID=8 PROTO=TCP SPT=41000 DPT=23 WINDOW=5840 RES=0x00 SYN URGP=0`),
    ]);
    expect(source(r, '203.0.113.21')).toMatchObject({ dl: 0, tool: 'zmap' });
    expect(source(r, '203.0.113.22')?.dl).toBe(0);
    expect(source(r, '203.0.113.23')?.dl).toBe(0);
    expect(r.topSignatures.map((t) => t.msg)).toEqual(expect.arrayContaining(['SCAN ZMap probe (IP ID 54321)', 'TELNET connection attempt']));
  });

  test('a single NULL packet is level 1; nmap\'s NULL scan keeps its level', async () => {
    const one = await analyze([at(0, `DROP IN=eth0 OUT= ${MAC} SRC=203.0.113.31 DST=198.51.100.10 LEN=40 TOS=0x00 PREC=0x00 TTL=49 ID=9 DF PROTO=TCP SPT=41000 DPT=80 WINDOW=29200 RES=0x00 URGP=0`)]);
    expect(source(one, '203.0.113.31')?.dl).toBe(1);
    const nmap = await analyze([at(0, `DROP IN=eth0 OUT= ${MAC} SRC=203.0.113.32 DST=198.51.100.10 LEN=40 TOS=0x00 PREC=0x00 TTL=49 ID=9 PROTO=TCP SPT=41000 DPT=80 WINDOW=1024 RES=0x00 URGP=0`)]);
    expect(source(nmap, '203.0.113.32')?.dl).toBe(3);
  });

  test('psad mode: every match sets its level', async () => {
    const r = await analyze([at(2, `DROP IN=eth0 OUT= ${MAC} SRC=203.0.113.23 DST=198.51.100.10 LEN=40 TOS=0x00 PREC=0x00 TTL=49 ID=8 PROTO=TCP SPT=41000 DPT=23 WINDOW=5840 RES=0x00 SYN URGP=0`)], PSAD_CONF);
    expect(source(r, '203.0.113.23')?.dl).toBe(2);
  });
});

describe('10. OS guesses run in analyze', () => {
  test('a Linux connect() SYN with options gets an OS guess', async () => {
    const r = await analyze([at(0, `DROP IN=eth0 OUT= ${MAC} SRC=203.0.113.41 DST=198.51.100.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=1 DF PROTO=TCP SPT=41000 DPT=8080 WINDOW=64240 RES=0x00 SYN URGP=0 OPT (020405B40402080A9C0A2F3B0000000001030307)`)]);
    expect(source(r, '203.0.113.41')?.os).toMatch(/Linux/);
  });
});
