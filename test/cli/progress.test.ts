/**
 * Issue 15, progress: `tsad analyze` on a terminal shows on standard error
 * how far it is (bytes of the total, lines, rate, ETA) and what it read;
 * never when standard error is a pipe or with --quiet. The terminal is a real
 * pseudo-terminal (script(1)); standard output goes to a file, as when a
 * person runs `tsad analyze big.log > report.txt`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, runCli } from '../helpers/run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tsad-progress-'));
const BIG = join(dir, 'kern.log');
const GZ = join(dir, 'kern.log.1.gz');
const mb = (path: string): string => (statSync(path).size / 1024 ** 2).toFixed(1).replace('.', '\\.');

/** Runs `tsad ARGS > out` with stderr on a pseudo-terminal; returns what the terminal showed. */
function onTerminal(args: string[], out: string): string {
  const cmd = `${process.execPath} ${CLI} ${args.join(' ')} > ${out}`;
  return execFileSync('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, encoding: 'utf8' });
}

beforeAll(() => {
  // The shipped sample, 40 times (65,720 lines): long enough for the line to be drawn.
  const sample = readFileSync(join(ROOT, 'fixtures/sample/kern.log'), 'utf8');
  writeFileSync(BIG, sample.repeat(40));
  writeFileSync(GZ, gzipSync(sample.repeat(10)));
});

describe('analyze progress', () => {
  it('on a terminal: bytes of the total, lines, rate and ETA while reading, then what was read', () => {
    const shown = onTerminal(['analyze', BIG], join(dir, 'out.txt'));
    const frames = shown.split('\r').map((f) => f.replace(/\x1b\[K/g, '').trim()).filter((f) => f !== '');
    const during = frames.filter((f) => f.startsWith('tsad: reading '));
    expect(during.length).toBeGreaterThan(0);
    expect(during[0]).toMatch(new RegExp(`^tsad: reading ${BIG.replace(/[/.]/g, '\\$&')}: [\\d.]+ [KMG]?B of ${mb(BIG)} MB \\(\\d+%\\): [\\d,]+ lines, [\\d,]+ lines/s, ETA \\d+:\\d\\d$`));
    expect(frames.at(-1)).toMatch(new RegExp(`^tsad: read 65,720 lines \\(${mb(BIG)} MB\\) in [\\d.]+ s, [\\d,]+ lines/s$`));
    // The report itself went to the file, without any of it.
    const report = readFileSync(join(dir, 'out.txt'), 'utf8');
    expect(report).toMatch(/^\[\+\] Entering analysis mode/);
    expect(report).not.toContain('tsad: read');
  });

  it('knows the size of a gzip file from its trailer', () => {
    const shown = onTerminal(['analyze', GZ], join(dir, 'out-gz.txt'));
    // 4.1 MB once unpacked, from a 0.1 MB file: the total is the trailer's size, not the file's.
    expect(shown).toMatch(/tsad: read 16,430 lines \(4\.1 MB\) in /);
  });

  it('never when standard error is not a terminal, nor with --quiet', async () => {
    const piped = await runCli(['analyze', BIG]);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    const quiet = onTerminal(['analyze', '--quiet', BIG], join(dir, 'out-q.txt'));
    expect(quiet).not.toContain('tsad: read');
    expect(quiet).not.toContain('tsad: reading');
  });
});
