/**
 * A Node.js single executable application (SEA): a copy of the node binary
 * that runs, with the injected blob, the bundled tsad instead of its REPL. The
 * node that runs this build is the one embedded (Node 20's SEA: the blob is
 * made by `node --experimental-sea-config` and injected with postject).
 * The copy is stripped before the injection: stripping afterwards could lose
 * the injected note, and the NodeSource binary carries 13 MB of debug info.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'postject';

/** The fuse string Node looks for to know a blob was injected (documented in Node's SEA docs). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

export async function makeExecutable(bundleFile: string, outFile: string, workDir: string): Promise<void> {
  const blob = join(workDir, 'sea-prep.blob');
  const config = join(workDir, 'sea-config.json');
  writeFileSync(config, JSON.stringify({ main: bundleFile, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  copyFileSync(process.execPath, outFile);
  chmodSync(outFile, 0o755);
  execFileSync('strip', ['--strip-all', outFile], { stdio: 'inherit' });
  await inject(outFile, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
}
