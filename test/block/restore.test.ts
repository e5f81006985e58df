/**
 * Restoring saved blocks (BlockManager.fromJSON, the path of a daemon
 * restart): each saved prefix is parsed once and handed to the store with
 * its parsed form, so the canonical text, the first of a cidr saved twice,
 * and the nesting of blocks must come out as they did when each was parsed
 * on its own.
 */
import { describe, expect, it } from 'vitest';
import { BlockManager } from '../../src/actions/block/manager.js';
import { policyFromConfig } from '../../src/actions/block/policy.js';
import { defaultConfig } from '../../src/config/load.js';

const now = Date.parse('2026-12-06T12:00:00Z');
const opts = { backends: [], policy: policyFromConfig(defaultConfig()), guard: { check: () => null }, now: () => now };
const block = (cidr: string, reason: string, expiresAt: string | null = '2026-12-06T13:00:00.000Z') => ({ cidr, createdAt: '2026-12-06T11:00:00.000Z', expiresAt, reason, dl: 3, manual: false });

describe('restoring saved blocks', () => {
  it('canonicalizes, keeps the first of a cidr saved twice, nests blocks inside saved prefixes, drops expired and malformed ones', () => {
    const m = BlockManager.fromJSON(
      {
        version: 1,
        savedAt: '2026-12-06T11:59:00.000Z',
        blocks: [
          block('198.51.100.7', 'inside the /24'),
          block('2001:DB8:0:1:0:0:0:0/64', 'expanded IPv6'),
          block('198.51.100.7', 'saved twice'),
          block('198.51.100.0/24', 'the /24'),
          block('2001:db8:0:1::5', 'inside the /64'),
          block('203.0.113.9', 'expired', '2026-12-06T11:30:00.000Z'),
          block('not-an-address', 'malformed'),
        ],
        offenders: [],
      },
      opts,
    );
    const recs = m.records();
    expect(recs.map((r) => [r.cidr, r.reason, r.coveredBy])).toEqual([
      ['198.51.100.0/24', 'the /24', null],
      ['198.51.100.7', 'inside the /24', '198.51.100.0/24'],
      ['2001:db8:0:1::/64', 'expanded IPv6', null],
      ['2001:db8:0:1::5', 'inside the /64', '2001:db8:0:1::/64'],
    ]);
    expect(m.get('198.51.100.7')?.family).toBe(4);
    expect(m.get('2001:db8:0:1::/64')?.family).toBe(6);
  });
});
