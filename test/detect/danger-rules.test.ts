import { describe, expect, test } from 'vitest';
import { dangerRules, destinationLevel, packetLadder, sweepLadder, isSweep } from '../../src/detect/danger-rules.js';
import { cfgWith } from './packet-builder.js';

const r = dangerRules(cfgWith());

describe('psad ladders with the default thresholds', () => {
  test('packet ladder: DANGER_LEVEL2..5 = 15, 150, 1500, 10000', () => {
    expect([1, 5, 14, 15, 149, 150, 1499, 1500, 9999, 10000, 1e6].map((n) => packetLadder(r, n))).toEqual([1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
  });

  test('sweep ladder: DL2..5_UNIQUE_HOSTS = 20, 50, 100, 500', () => {
    expect([1, 10, 19, 20, 49, 50, 99, 100, 499, 500].map((n) => sweepLadder(r, n))).toEqual([1, 1, 1, 2, 2, 3, 3, 4, 4, 5]);
  });
});

describe('destinationLevel follows assign_danger_level', () => {
  test('fewer than DANGER_LEVEL1 packets and fewer than DL1_UNIQUE_HOSTS destinations: nothing', () => {
    expect(destinationLevel(r, 4, 3, 1, 9)).toBe(0);
  });

  test('a port range of at least PORT_RANGE_SCAN_THRESHOLD qualifies', () => {
    expect(destinationLevel(r, 5, 1, 1, 1)).toBe(1);
    expect(destinationLevel(r, 15, 14, 1, 1)).toBe(2);
    expect(destinationLevel(r, 150, 100, 1, 1)).toBe(3);
  });

  test('PORT_RANGE_SCAN_THRESHOLD 1: one port never gets a level from packets alone', () => {
    expect(destinationLevel(r, 100000, 0, 1, 1)).toBe(0);
  });

  test('ICMP and other portless traffic: the spread is the packet count (5 pings reach DL1)', () => {
    // The caller passes portSpread(), which is the packet count when no port was seen.
    expect(destinationLevel(r, 5, 5, 1, 1)).toBe(1);
    expect(destinationLevel(r, 1, 1, 1, 1)).toBe(0);
  });

  test('PROTOCOL_SCAN_THRESHOLD protocols qualify without a port range', () => {
    expect(destinationLevel(r, 5, 0, 4, 1)).toBe(0);
    expect(destinationLevel(r, 5, 0, 5, 1)).toBe(1);
  });

  test('DL1_UNIQUE_HOSTS destinations qualify any destination and apply the sweep ladder', () => {
    expect(destinationLevel(r, 1, 0, 1, 10)).toBe(1);
    expect(destinationLevel(r, 1, 0, 1, 20)).toBe(2);
    expect(destinationLevel(r, 1, 0, 1, 500)).toBe(5);
    expect(destinationLevel(r, 200, 0, 1, 10)).toBe(3);
  });

  test('the higher of the two ladders wins', () => {
    expect(destinationLevel(r, 2000, 50, 1, 60)).toBe(4);
    expect(destinationLevel(r, 5, 50, 1, 120)).toBe(4);
  });
});

describe('DL1_UNIQUE_HOSTS 0 turns destination counting off (psad put every source at DL1)', () => {
  const off = dangerRules(cfgWith({ DL1_UNIQUE_HOSTS: 0 }));

  test('a two-packet source stays at level 0', () => {
    expect(destinationLevel(off, 2, 0, 1, 2)).toBe(0);
    expect(destinationLevel(off, 2, 1, 1, 2)).toBe(0);
  });

  test('many destinations no longer count; packet counts still do', () => {
    expect(destinationLevel(off, 1, 0, 1, 1000)).toBe(0);
    expect(destinationLevel(off, 150, 20, 1, 1000)).toBe(3);
  });
});

test('configured thresholds replace the defaults', () => {
  const c = dangerRules(cfgWith({ DANGER_LEVEL1: 2, DANGER_LEVEL2: 3, PORT_RANGE_SCAN_THRESHOLD: 0, DL1_UNIQUE_HOSTS: 3, DL2_UNIQUE_HOSTS: 4 }));
  expect(destinationLevel(c, 2, 0, 1, 1)).toBe(1);
  expect(destinationLevel(c, 3, 0, 1, 1)).toBe(2);
  expect(destinationLevel(c, 1, 0, 1, 4)).toBe(2);
});

test('isSweep needs SWEEP_MIN_DESTINATIONS destinations, mostly single-port or pinged', () => {
  expect(isSweep(r, 5, 5)).toBe(true);
  expect(isSweep(r, 4, 4)).toBe(false);
  expect(isSweep(r, 30, 14)).toBe(false);
  expect(isSweep(r, 30, 15)).toBe(true);
  expect(isSweep(dangerRules(cfgWith({ SWEEP_MIN_DESTINATIONS: 0 })), 100, 100)).toBe(false);
  expect(isSweep(dangerRules(cfgWith({ DL1_UNIQUE_HOSTS: 0 })), 100, 100)).toBe(true);
});
