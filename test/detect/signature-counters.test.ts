/**
 * GlobalCounters finds a signature's counter through a small cache by sid
 * before its Map: sids that share a slot (64 apart), interleaved at random,
 * and counters replaced by importState() count as a plain tally does.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GlobalCounters } from '../../src/detect/global-counters.js';
import type { SignatureHit } from '../../src/model/signature.js';
import { pkt } from './packet-builder.js';

const hit = (sid: number): SignatureHit => ({ sid, msg: `rule ${sid}`, dl: 1 + (sid % 3), classtype: 'attempted-recon', role: 'level' } as SignatureHit);
const SIDS = [1, 65, 129, 2, 66, 120002, 120066, 0, 64];

describe('signature counters', () => {
  it('count hits and sources per sid as a tally does, through colliding sids and an import', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...SIDS), fc.integer({ min: 1, max: 40 }), fc.constantFrom(...SIDS)), { maxLength: 300 }), fc.nat({ max: 300 }), (list, cut) => {
        let c = new GlobalCounters();
        const hits = new Map<number, number>();
        const srcs = new Map<number, Set<string>>();
        list.forEach(([sid, host, other], i) => {
          if (i === cut) {
            // Counters replaced by a saved copy of themselves: later hits add to the copies.
            const saved = JSON.parse(JSON.stringify(c.exportState())) as unknown;
            c = new GlobalCounters();
            c.observe(pkt({ src: '192.0.2.250' }), [hit(sid)]);
            c.importState(saved);
          }
          const src = `192.0.2.${host}`;
          const hs = sid === other ? [hit(sid)] : [hit(sid), hit(other)];
          c.observe(pkt({ src }), hs);
          for (const h of hs) {
            hits.set(h.sid, (hits.get(h.sid) ?? 0) + 1);
            if (!srcs.has(h.sid)) srcs.set(h.sid, new Set());
            srcs.get(h.sid)?.add(src);
          }
        });
        const got = c.topSignatures(100);
        expect(new Map(got.map((s) => [s.sid, s.hits]))).toEqual(hits);
        expect(new Map(got.map((s) => [s.sid, s.sources]))).toEqual(new Map([...srcs].map(([k, v]) => [k, v.size])));
      }),
      { numRuns: 150 },
    );
  });
});
