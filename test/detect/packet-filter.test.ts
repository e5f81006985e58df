import { describe, expect, test } from 'vitest';
import { createPacketFilter, hasSnortSid, isConntrackLeftover, parseAutoDl } from '../../src/detect/index.js';
import { IP_DF, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/model/packet.js';
import { cfgWith, icmp, pkt } from './packet-builder.js';

describe('createPacketFilter', () => {
  test('defaults score ordinary scan packets', () => {
    const f = createPacketFilter(cfgWith());
    expect(f(pkt())).toBeNull();
    expect(f(icmp())).toBeNull();
    expect(f(pkt({ src: '2001:db8::1', dst: '2001:db8::2' }))).toBeNull();
  });

  test('IGNORE_LOG_PREFIXES (substring of the prefix)', () => {
    const f = createPacketFilter(cfgWith({ IGNORE_LOG_PREFIXES: '"UFW AUDIT", ALLOW' }));
    expect(f(pkt({ prefix: '[UFW AUDIT]' }))).toBe('ignored-prefix');
    expect(f(pkt({ prefix: '[UFW ALLOW]' }))).toBe('ignored-prefix');
    expect(f(pkt({ prefix: '[UFW BLOCK]' }))).toBeNull();
  });

  test('FW_SEARCH_ALL N: only prefixes containing a FW_MSG_SEARCH string; an fwsnort SID bypasses it', () => {
    const f = createPacketFilter(cfgWith({ FW_SEARCH_ALL: 'N', FW_MSG_SEARCH: 'BLOCK' }));
    expect(f(pkt({ prefix: '[UFW BLOCK]' }))).toBeNull();
    expect(f(pkt({ prefix: '[UFW AUDIT]' }))).toBe('not-matching-fw-msg-search');
    expect(f(pkt({ prefix: '' }))).toBe('not-matching-fw-msg-search');
    expect(f(pkt({ prefix: '[1] SID2003 ESTAB' }))).toBeNull();
  });

  test('IGNORE_INTERFACES matches the input interface, or the output one for local packets', () => {
    const f = createPacketFilter(cfgWith({ IGNORE_INTERFACES: 'lo, eth9' }));
    expect(f(pkt({ inIf: 'eth9' }))).toBe('ignored-interface');
    expect(f(pkt({ chain: 'OUTPUT', inIf: '', outIf: 'lo' }))).toBe('ignored-interface');
    expect(f(pkt({ inIf: 'eth0' }))).toBeNull();
  });

  test('ENABLE_IPV6_DETECTION N', () => {
    const f = createPacketFilter(cfgWith({ ENABLE_IPV6_DETECTION: 'N' }));
    expect(f(pkt({ src: '2001:db8::1', dst: '2001:db8::2' }))).toBe('ipv6-disabled');
    expect(f(pkt())).toBeNull();
  });

  test('IGNORE_PROTOCOLS by name or number', () => {
    const f = createPacketFilter(cfgWith({ IGNORE_PROTOCOLS: 'igmp, 47, icmp' }));
    expect(f(pkt({ proto: '2', protoNum: 2, tcpFlags: 0 }))).toBe('ignored-protocol');
    expect(f(pkt({ proto: '47', protoNum: 47, tcpFlags: 0 }))).toBe('ignored-protocol');
    expect(f(icmp())).toBe('ignored-protocol');
    expect(f(pkt())).toBeNull();
  });

  test('IGNORE_PORTS in psad syntax', () => {
    const f = createPacketFilter(cfgWith({ IGNORE_PORTS: 'tcp/61000-61356, udp/5353' }));
    expect(f(pkt({ dport: 61000 }))).toBe('ignored-port');
    expect(f(pkt({ dport: 61356 }))).toBe('ignored-port');
    expect(f(pkt({ dport: 61357 }))).toBeNull();
    expect(f(pkt({ proto: 'udp', dport: 5353 }))).toBe('ignored-port');
    expect(f(pkt({ dport: 5353 }))).toBeNull();
  });

  test('an auto_dl level 0 entry ignores the source (for its protocols only)', () => {
    const { autoDl } = parseAutoDl('198.51.100.0/24 0;\n203.0.113.7 0 udp;\n');
    const f = createPacketFilter(cfgWith(), { autoDl });
    expect(f(pkt({ src: '198.51.100.44' }))).toBe('auto-dl-ignore');
    expect(f(pkt({ proto: 'udp' }))).toBe('auto-dl-ignore');
    expect(f(pkt())).toBeNull();
  });
});

describe('IGNORE_CONNTRACK_BUG_PKTS', () => {
  const f = createPacketFilter(cfgWith());
  const leftover = { len: 52, ipFlags: IP_DF, window: 501, tcpOpts: '0101080A00000001000000002' };

  test('late ACK, RST, FIN ACK and PSH ACK of real connections are leftovers', () => {
    for (const tcpFlags of [TCP_ACK, TCP_RST, TCP_RST | TCP_ACK, TCP_FIN | TCP_ACK, TCP_PSH | TCP_ACK]) {
      expect(f(pkt({ tcpFlags, ...leftover }))).toBe('conntrack-leftover');
    }
    expect(f(pkt({ tcpFlags: TCP_ACK, len: 40, ipFlags: IP_DF, tcpOpts: '', window: 1024 }))).toBe('conntrack-leftover');
  });

  test('nmap ACK / Window and Maimon probes are scans, not leftovers (psad hid them)', () => {
    expect(f(pkt({ tcpFlags: TCP_ACK, len: 40, tcpOpts: '', window: 1024 }))).toBeNull();
    expect(f(pkt({ tcpFlags: TCP_ACK | TCP_FIN, len: 40, tcpOpts: '', window: 4096 }))).toBeNull();
    expect(f(pkt({ src: '2001:db8::1', dst: '2001:db8::2', tcpFlags: TCP_ACK, len: 60, tcpOpts: '', window: 1024 }))).toBeNull();
  });

  test('SYN, SYN ACK, FIN, NULL, XMAS are never leftovers; an fwsnort SID bypasses the rule', () => {
    for (const tcpFlags of [TCP_SYN, TCP_SYN | TCP_ACK, TCP_FIN, 0, 41]) expect(isConntrackLeftover(pkt({ tcpFlags }))).toBe(false);
    expect(f(pkt({ tcpFlags: TCP_ACK, prefix: '[3] SID1234 ESTAB', ...leftover }))).toBeNull();
  });

  test('N keeps every packet', () => {
    expect(createPacketFilter(cfgWith({ IGNORE_CONNTRACK_BUG_PKTS: 'N' }))(pkt({ tcpFlags: TCP_RST, ...leftover }))).toBeNull();
  });
});

test('hasSnortSid needs digits after the marker', () => {
  expect(hasSnortSid('[1] SID2003 ESTAB', 'SID')).toBe(true);
  expect(hasSnortSid('INSIDE DROP', 'SID')).toBe(false);
  expect(hasSnortSid('SIDE SID9', 'SID')).toBe(true);
  expect(hasSnortSid('SID2003', '')).toBe(false);
});
