/**
 * The first line of state.json (state-file.ts) is written in pieces, the
 * detect counters serialised in a piece of their own once the writer comes
 * to them: the line is byte for byte JSON.stringify's of the state as it was
 * before, whatever its values (null, absent, nested), and the counters are
 * not serialised in the caller's turn, while the rest is.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readState, statePath, writeState, type DaemonState } from '../../src/daemon/state-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tsad-state-head-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function state(over: Partial<DaemonState> & Record<string, unknown>): DaemonState {
  return {
    version: 1,
    savedAt: '2026-12-07T00:00:00.000Z',
    pid: 7,
    positions: { 'file:/var/log/kern.log': { path: '/var/log/kern.log', files: [{ dev: 1, ino: 2, offset: 3, tail: 'YQ==' }] } },
    pipeline: { lines: 5, firewallLines: 4, packets: 3, skipped: { 'no "SRC"': 1 }, firstSeen: null, lastSeen: 12 },
    counters: { format: 'tsad-global-counters', ports: [['tcp', 'AAAA']], signatures: [{ msg: 'a "quoted" \u2028 message' }] },
    extensions: { block: { records: [1, 2] } },
    lastFirewallLineAt: null,
    scan: { format: 'tsad-scan-state', version: 1, clock: 9, sources: [[1, 'a'], [2, 'b']] },
    ...over,
  } as DaemonState;
}

/** The first line as the one JSON.stringify of the whole state gave it (the layout's definition). */
function expectedHead(s: DaemonState): string {
  const { sources: _sources, ...head } = s.scan as { sources?: unknown[] };
  const top = JSON.stringify({ ...s, scan: head });
  return `${top.slice(0, -2)}${Object.keys(head).length > 0 ? ',' : ''}"sources":[`;
}

describe('state.json first line', () => {
  it.each([
    ['every field', {}],
    ['counters null', { counters: null }],
    ['counters and an extension absent', { counters: undefined, extensions: { gone: undefined, kept: 1 } }],
    ['scan head empty', { scan: { sources: [[3]] } }],
    ['counters first', { counters: { x: 1 }, version: 1 }],
  ])('is the same bytes as before the split (%s)', async (_name, over) => {
    const s = state(over as Partial<DaemonState>);
    await writeState(dir, s);
    const text = readFileSync(statePath(dir), 'utf8');
    expect(text.split('\n')[0]).toBe(expectedHead(s));
    expect(readState(dir).state).toEqual(JSON.parse(JSON.stringify(s)));
  });

  it('serialises the counters when the writer comes to them, the rest at once', async () => {
    const calls: string[] = [];
    const s = state({ counters: { toJSON: () => (calls.push('counters'), { n: 1 }) }, extensions: { e: { toJSON: () => (calls.push('extension'), 2) } } });
    const written = writeState(dir, s);
    expect(calls).toEqual(['extension']);
    await written;
    expect(calls).toEqual(['extension', 'counters']);
    expect(readFileSync(statePath(dir), 'utf8').split('\n')[0]).toContain('"counters":{"n":1},"extensions":{"e":2}');
  });
});
