/**
 * `npm run package:deb [-- DIR]`: builds tsad_<version>_<arch>.deb in the
 * repository root (or DIR) with debhelper (debian/rules; the package layout is described there
 * and in src/packaging/contents.ts). Needs dpkg-dev, debhelper and binutils
 * (strip); no network. The version comes from package.json, and
 * debian/changelog must have an entry for it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PACKAGE_DIR } from '../io/package-files.js';

/** The version of the newest debian/changelog entry: "tsad (0.1.0) unstable; ..." */
function changelogVersion(text: string): string | null {
  return /^tsad \(([^)]+)\)/.exec(text)?.[1] ?? null;
}

function main(): void {
  const root = PACKAGE_DIR;
  const outDir = resolve(process.argv[2] ?? root);
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const logged = changelogVersion(readFileSync(join(root, 'debian/changelog'), 'utf8'));
  if (logged !== version) {
    throw new Error(`debian/changelog's newest entry is ${logged ?? '(none)'}, package.json says ${version}: add an entry (dch -v ${version}), see README Development`);
  }
  const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  const rules = (target: string): void => {
    execFileSync(join(root, 'debian/rules'), [target], { cwd: root, stdio: 'inherit', env: { ...process.env, NODE: process.execPath, TSAD_DEB_DIR: outDir } });
  };
  rules('clean');
  try {
    rules('binary');
  } finally {
    rules('clean');
  }
  const deb = join(outDir, `tsad_${version}_${arch}.deb`);
  process.stdout.write(`${deb} (${(statSync(deb).size / 1048576).toFixed(1)} MiB)\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`package:deb: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
