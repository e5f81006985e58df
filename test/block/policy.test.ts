/** decideBlock() and the blocking keys: pure logic. */
import { describe, expect, it } from 'vitest';
import { decideBlock, escalatedTimeout, policyFromConfig, type BlockSnapshot } from '../../src/actions/block/policy.js';
import { renderConfig } from '../../src/config/render.js';
import { buildConfig, parseConfigText, defaultConfig } from '../../src/config/load.js';
import { cfg } from './helpers.js';
import { keys as blockingKeys } from '../../src/config/keys/blocking.js';

const snap = (over: Partial<BlockSnapshot> = {}): BlockSnapshot => ({ now: 1_000_000, blocksLastMinute: 0, liveBlocks: 0, priorOffenses: 0, current: undefined, protectedReason: null, ...over });

describe('blocking policy', () => {
  it("defaults: off, DL 3 (psad: 5, see tsad.conf(5)), DL1-4 = AUTO_BLOCK_TIMEOUT, DL5 until removed as in psad", () => {
    const p = policyFromConfig(defaultConfig());
    expect(p.enabled).toBe(false);
    expect(p.minDl).toBe(3);
    expect(p.timeouts).toEqual([3600, 3600, 3600, 3600, 0]);
    const q = policyFromConfig(cfg({ AUTO_BLOCK_TIMEOUT: '600', AUTO_BLOCK_DL2_TIMEOUT: '60', AUTO_BLOCK_DL5_TIMEOUT: 'INHERIT' }));
    expect(q.timeouts).toEqual([600, 60, 600, 600, 600]);
  });

  it('accepts psad.conf lines written with $AUTO_BLOCK_TIMEOUT', () => {
    const text = 'AUTO_BLOCK_TIMEOUT 7200;\nAUTO_BLOCK_DL3_TIMEOUT $AUTO_BLOCK_TIMEOUT;\nENABLE_AUTO_IDS Y;\nAUTO_IDS_DANGER_LEVEL 3;\n';
    const p = policyFromConfig(buildConfig(parseConfigText(text, 'psad.conf'), 'psad.conf'));
    expect(p.timeouts[2]).toBe(7200);
    expect(p.minDl).toBe(3);
  });

  it('renders INHERIT so the shipped file and the defaults agree', () => {
    const text = renderConfig();
    expect(text).toContain('AUTO_BLOCK_DL1_TIMEOUT    INHERIT;');
    const back = buildConfig(parseConfigText(text, 'tsad.conf'), 'tsad.conf') as Record<string, unknown>;
    const defs = defaultConfig() as Record<string, unknown>;
    for (const k of Object.keys(blockingKeys)) expect(back[k], k).toEqual(defs[k]);
  });

  it('blocks at or above AUTO_IDS_DANGER_LEVEL with the per-level timeout', () => {
    const p = policyFromConfig(cfg({ ENABLE_AUTO_IDS: 'Y', AUTO_IDS_DANGER_LEVEL: '3', AUTO_BLOCK_DL3_TIMEOUT: '120' }));
    expect(decideBlock({ src: '198.51.100.7', dl: 2 }, p, snap())).toMatchObject({ block: false, code: 'below-level' });
    expect(decideBlock({ src: '198.51.100.7', dl: 3 }, p, snap())).toEqual({ block: true, cidr: '198.51.100.7', family: 4, timeoutSec: 120, reason: 'danger level 3' });
    expect(decideBlock({ src: '198.51.100.7', dl: 5 }, p, snap())).toMatchObject({ block: true, timeoutSec: 0 });
    expect(decideBlock({ src: '2001:DB8:1:2:0:0:0:0/64', dl: 4 }, p, snap())).toMatchObject({ block: true, cidr: '2001:db8:1:2::/64', family: 6 });
    expect(decideBlock({ src: 'nonsense', dl: 5 }, p, snap())).toMatchObject({ block: false, code: 'invalid' });
    expect(decideBlock({ src: '198.51.100.7', dl: 5 }, policyFromConfig(defaultConfig()), snap())).toMatchObject({ block: false, code: 'disabled' });
  });

  it('honours protection, caps, existing blocks and AUTO_BLOCK_REGEX', () => {
    const p = policyFromConfig(cfg({ ENABLE_AUTO_IDS: 'Y', AUTO_BLOCK_MAX_PER_MINUTE: '2', AUTO_BLOCK_MAX_TOTAL: '10', AUTO_BLOCK_DL5_TIMEOUT: '100' }));
    const c = { src: '198.51.100.7', dl: 5 };
    expect(decideBlock(c, p, snap({ protectedReason: 'default gateway (198.51.100.7)' }))).toMatchObject({ block: false, code: 'protected', reason: 'default gateway (198.51.100.7)' });
    expect(decideBlock(c, p, snap({ blocksLastMinute: 2 }))).toMatchObject({ block: false, code: 'rate' });
    expect(decideBlock(c, p, snap({ liveBlocks: 10 }))).toMatchObject({ block: false, code: 'total' });
    expect(decideBlock(c, p, snap({ current: { expiresAt: null } }))).toMatchObject({ block: false, code: 'already' });
    expect(decideBlock(c, p, snap({ current: { expiresAt: 1_000_000 + 200_000 } }))).toMatchObject({ block: false, code: 'already' });
    // Extending a shorter block is allowed even at the caps.
    expect(decideBlock(c, p, snap({ current: { expiresAt: 1_000_000 + 50_000 }, liveBlocks: 10, blocksLastMinute: 2 }))).toMatchObject({ block: true, timeoutSec: 100 });
    const r = policyFromConfig(cfg({ ENABLE_AUTO_IDS: 'Y', ENABLE_AUTO_IDS_REGEX: 'Y', AUTO_BLOCK_REGEX: '^FWSNORT' }));
    expect(decideBlock({ ...c, logPrefixes: ['DROP'] }, r, snap())).toMatchObject({ block: false, code: 'regex' });
    expect(decideBlock({ ...c, logPrefixes: ['DROP', 'FWSNORT_ESTAB'] }, r, snap())).toMatchObject({ block: true });
  });

  it('escalates repeat offenders up to the cap; permanent stays permanent', () => {
    const esc = { escalationFactor: 2, escalationMaxSec: 10_000 };
    expect(escalatedTimeout(3600, 0, esc)).toBe(3600);
    expect(escalatedTimeout(3600, 1, esc)).toBe(7200);
    expect(escalatedTimeout(3600, 2, esc)).toBe(10_000);
    expect(escalatedTimeout(0, 5, esc)).toBe(0);
    expect(escalatedTimeout(3600, 3, { escalationFactor: 1, escalationMaxSec: 0 })).toBe(3600);
    expect(escalatedTimeout(3600, 64, { escalationFactor: 100, escalationMaxSec: 0 })).toBe(0);
    const p = policyFromConfig(cfg({ ENABLE_AUTO_IDS: 'Y', AUTO_BLOCK_DL5_TIMEOUT: '60', AUTO_BLOCK_ESCALATION_FACTOR: '3' }));
    expect(decideBlock({ src: '198.51.100.7', dl: 5 }, p, snap({ priorOffenses: 2 }))).toMatchObject({ block: true, timeoutSec: 540, reason: 'danger level 5, repeat offender (2 earlier)' });
  });

  it('rejects bad values with the key named', () => {
    expect(() => cfg({ BLOCK_BACKEND: 'pf' })).toThrow(/BLOCK_BACKEND.*unknown backend "pf"/);
    expect(() => cfg({ BLOCK_WHITELIST: '198.51.100.0/33' })).toThrow(/BLOCK_WHITELIST/);
    expect(() => cfg({ AUTO_BLOCK_DL1_TIMEOUT: '-1' })).toThrow(/AUTO_BLOCK_DL1_TIMEOUT/);
    expect(() => cfg({ AUTO_BLOCK_REGEX: '(' })).toThrow(/regular expression/);
    expect(() => cfg({ XT_RECENT_NAME: 'a/b' })).toThrow(/XT_RECENT_NAME/);
  });
});
