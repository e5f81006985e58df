/**
 * The committed corpus is exactly what fixtures/realworld/lib/build.mjs makes
 * from the committed raw captures and the scene modules: nobody edited a log
 * line or an expectation by hand, and every source's class comes from the
 * schedule the capture ran.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CORPUS_DIR, ROOT } from '../../src/bench/realworld-judge.js';

const out = mkdtempSync(join(tmpdir(), 'tsad-realworld-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('real-world corpus build', () => {
  it('rebuilds from raw/ and scenes/, line for line and byte for byte', () => {
    execFileSync(process.execPath, [join(ROOT, 'fixtures/realworld/lib/build.mjs'), '--out', out], { stdio: 'pipe' });
    const committed = readdirSync(CORPUS_DIR).sort();
    expect(readdirSync(out).sort()).toEqual(committed);
    // Logs compared decompressed: another zlib may compress the same text to other bytes.
    const content = (dir: string, f: string) => (f.endsWith('.gz') ? gunzipSync(readFileSync(join(dir, f))) : readFileSync(join(dir, f)));
    for (const f of committed) {
      expect(content(out, f).equals(content(CORPUS_DIR, f)), f).toBe(true);
    }
  });
});
