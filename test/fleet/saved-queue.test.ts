/**
 * The fleet queue saved with the daemon state is read back with the same
 * checks as anything read from Redis: a state file edited by hand or torn
 * cannot smuggle a malformed decision or evidence into the fleet, and a
 * block that expired while the daemon was down is not shared any more.
 */
import { describe, expect, it } from 'vitest';
import { savedDecision, type FleetDecision } from '../../src/fleet/decision.js';
import { EvidenceQueue, savedEvidence } from '../../src/fleet/evidence-queue.js';

const NOW = Date.UTC(2026, 11, 1);
const block: FleetDecision = { id: 's1:abc:0123456789ab', op: 'block', cidr: '203.0.113.7', expiresAt: NOW + 3_600_000, dl: 5, reason: 'manual', by: 's1', at: NOW - 1000 };

describe('saved fleet decisions', () => {
  it('round-trips through JSON', () => {
    expect(savedDecision(JSON.parse(JSON.stringify(block)), NOW)).toEqual(block);
    const unblock: FleetDecision = { ...block, op: 'unblock', expiresAt: null, dl: null, reason: 'manual unblock' };
    expect(savedDecision(JSON.parse(JSON.stringify(unblock)), NOW)).toEqual(unblock);
    expect(savedDecision({ ...block, expiresAt: null }, NOW)?.expiresAt).toBeNull();
  });

  it('drops malformed and expired ones', () => {
    for (const bad of [null, 7, [], { ...block, cidr: '203.0.113.7/16' }, { ...block, cidr: '999.1.1.1' }, { ...block, op: 'wipe' }, { ...block, id: 'a b' }, { ...block, dl: 9 }, { ...block, by: '' }, { ...block, at: -1 }, { ...block, expiresAt: 1e30 }]) {
      expect(savedDecision(bad, NOW)).toBeNull();
    }
    expect(savedDecision({ ...block, expiresAt: NOW - 1 }, NOW)).toBeNull();
    expect(savedDecision({ ...block, reason: 'x\u001b[2Jy' }, NOW)?.reason).toBe('x[2Jy');
  });
});

describe('saved fleet evidence', () => {
  it('round-trips through a queue, and add() checks what the shape check lets through', () => {
    const q = new EvidenceQueue(100);
    q.add({ src: '203.0.113.7', dsts: ['198.51.100.1', '198.51.100.2'], ports: ['tcp/22'], packets: 5, dl: 1, destinations: 2, signatures: [{ sid: 100, hits: 2 }], lastSeen: NOW }, NOW);
    const saved = JSON.parse(JSON.stringify(q.items())) as unknown[];
    const back = new EvidenceQueue(100);
    for (const v of saved) {
      const item = savedEvidence(v);
      expect(item).not.toBeNull();
      if (item) back.add(item, NOW + 5000);
    }
    expect(back.items()).toEqual(q.items());
    expect(savedEvidence({ ...(saved[0] as object), dsts: 'nope' })).toBeNull();
    expect(savedEvidence({ ...(saved[0] as object), packets: -1 })).toBeNull();
    const hostile = savedEvidence({ ...(saved[0] as object), src: '203.0.113.7; rm', dsts: ['not an address'] });
    back.add(hostile!, NOW);
    expect(back.invalid).toBe(1);
    expect(back.size).toBe(1);
  });
});
