/** The shared wait: what it resolves with, and that a watched process's exit ends it at once with its log. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { waitFor } from './wait.js';

describe('waitFor', () => {
  it('resolves with the first value that is not null, undefined or false, and rejects when the probe throws', async () => {
    let n = 0;
    expect(await waitFor('a third look', () => (++n >= 3 ? `look ${n}` : n === 1 ? null : false), { every: 1 })).toBe('look 3');
    await expect(waitFor('a broken probe', () => { throw new Error('probe broke'); })).rejects.toThrow('probe broke');
  });

  it('fails at once when a watched process exits, with what it logged', async () => {
    const child = spawn(process.execPath, ['-e', 'console.error("cannot start: bad config"); process.exit(78)'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (log += d));
    const exited = new Promise((r) => child.once('close', r)); // 'close': after its stderr has been read
    await expect(waitFor('something the process never does', () => false, { watch: [null, { exited, log: () => log }] })).rejects.toThrow(/exited while waiting for something the process never does; its log:\ncannot start: bad config/);
  });
});
