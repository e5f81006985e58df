/**
 * The state saver's bookkeeping, with a write that the test completes or
 * fails by hand (pure logic; the daemon tests use the real disk): a burst
 * of save requests while a write runs gives one more snapshot, taken when
 * that write starts; a failed write rejects save() and is retried with
 * backoff, and nothing reports success that did not happen.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateSaver, type DaemonSnapshot } from '../../src/daemon/state-saver.js';
import type { DaemonState } from '../../src/daemon/state-file.js';
import { waitFor } from '../helpers/wait.js';

interface Pending {
  snap: DaemonSnapshot;
  done: () => void;
  fail: (e: Error) => void;
}

function harness(): { saver: StateSaver; writes: Pending[]; takes: () => number; logs: string[] } {
  const writes: Pending[] = [];
  const logs: string[] = [];
  let taken = 0;
  const take = (): DaemonSnapshot => ({ state: { savedAt: String(++taken) } as unknown as DaemonState, sources: null });
  const write = (snap: DaemonSnapshot): Promise<void> => new Promise((done, fail) => void writes.push({ snap, done, fail }));
  const saver = new StateSaver(join(tmpdir(), 'tsad-saver-unit-not-written'), take, (lvl, m) => void logs.push(`${lvl} ${m}`), write);
  return { saver, writes, takes: () => taken, logs };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('StateSaver', () => {
  it('coalesces a burst of requests during a write into one snapshot after it', async () => {
    const h = harness();
    const first = h.saver.save();
    expect(h.takes()).toBe(1);
    const later: Array<Promise<void>> = [];
    for (let i = 0; i < 100; i++) {
      h.saver.request();
      later.push(h.saver.save());
    }
    // Nothing more is snapshotted while the first write runs.
    expect(h.takes()).toBe(1);
    expect(h.writes).toHaveLength(1);
    h.writes[0]?.done();
    await first;
    await tick();
    expect(h.takes()).toBe(2);
    expect(h.writes).toHaveLength(2);
    h.writes[1]?.done();
    await Promise.all(later);
    await tick();
    expect(h.takes()).toBe(2);
    expect(h.saver.health()).toMatchObject({ saves: 2, failures: 0, failing: 0 });
  });

  it('rejects save() when the write fails, reports it, retries, and clears the warning once a write succeeds', async () => {
    const h = harness();
    const p = h.saver.save();
    h.writes[0]?.fail(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    await expect(p).rejects.toThrow(/ENOSPC/);
    expect(h.saver.health()).toMatchObject({ saves: 0, failures: 1, failing: 1, lastError: 'ENOSPC: no space left on device, write' });
    expect(h.saver.warning()).toMatch(/state\.json NOT saved since start \(1 failed attempt\(s\): ENOSPC: no space left on device, write\); retrying in 1 s/);
    expect(h.logs.join('\n')).toMatch(/^error cannot save .*state\.json: ENOSPC.*retrying in 1 s$/m);
    // While failing, background requests wait for the retry instead of hammering the disk.
    h.saver.request();
    h.saver.request();
    expect(h.writes).toHaveLength(1);
    // The retry (after 1 s) takes a fresh snapshot.
    await waitFor('the retry\'s write', () => h.writes.length >= 2);
    expect(h.writes).toHaveLength(2);
    expect(h.takes()).toBe(2);
    h.writes[1]?.done();
    await tick();
    expect(h.saver.warning()).toBeNull();
    expect(h.saver.health()).toMatchObject({ saves: 1, failures: 1, failing: 0 });
    expect(h.logs.join('\n')).toMatch(/saved again after 1 failed attempt/);
    h.saver.cancel();
  });

  it('backs off: the second failure waits 2 s, the third 4 s', async () => {
    const h = harness();
    const fail = (i: number): void => h.writes[i]?.fail(new Error('EROFS: read-only file system'));
    const p = h.saver.save();
    fail(0);
    await expect(p).rejects.toThrow(/EROFS/);
    const q = h.saver.save(); // an explicit save goes ahead at once
    expect(h.writes).toHaveLength(2);
    fail(1);
    await expect(q).rejects.toThrow(/EROFS/);
    expect(h.saver.warning()).toMatch(/2 failed attempt\(s\).*retrying in 2 s/);
    const r = h.saver.save();
    fail(2);
    await expect(r).rejects.toThrow();
    expect(h.saver.warning()).toMatch(/retrying in 4 s/);
    h.saver.cancel();
  });
});
