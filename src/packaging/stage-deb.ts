/**
 * `node dist/packaging/stage-deb.js DESTDIR COPYRIGHT` (run by debian/rules):
 * lays out what debhelper then puts into the package:
 *
 *   DESTDIR/usr/bin/tsad          the single executable (Node.js + bundled tsad)
 *   DESTDIR/usr/share/tsad/...    ASSETS and EXTERNAL packages (contents.ts)
 *   COPYRIGHT                     the binary package's copyright file
 *
 * and checks that the staged executable runs and finds its files there.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_DIR } from '../io/package-files.js';
import { bundleCli, packageDirOf } from './bundle.js';
import { ASSETS, EXTERNAL, SUBSTITUTES } from './contents.js';
import { binaryCopyright } from './copyright.js';
import { makeExecutable } from './sea.js';

/** The directory of npm package `name` as Node would find it from `fromDir` (nearest node_modules upwards). */
export function findPackageDir(name: string, fromDir: string, root: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === dirname(dir)) throw new Error(`npm package ${name} (needed from ${relative(root, fromDir) || '.'}) is not installed; run npm ci`);
  }
}

/** `names` and every package they depend on (dependencies and installed optionalDependencies), as directories. */
export function dependencyClosure(names: readonly string[], root: string): string[] {
  const seen = new Set<string>();
  const visit = (name: string, from: string, optional: boolean): void => {
    let dir: string;
    try {
      dir = findPackageDir(name, from, root);
    } catch (err) {
      if (optional) return;
      throw err;
    }
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, true);
  };
  for (const name of names) visit(name, root, false);
  return [...seen].sort();
}

export async function stage(root: string, destDir: string, copyrightFile: string): Promise<void> {
  const share = join(destDir, 'usr/share/tsad');
  const work = mkdtempSync(join(tmpdir(), 'tsad-sea-'));
  try {
    mkdirSync(join(destDir, 'usr/bin'), { recursive: true });
    mkdirSync(share, { recursive: true });
    const bundle = await bundleCli(root, join(work, 'tsad.cjs'), EXTERNAL, SUBSTITUTES);
    await makeExecutable(join(work, 'tsad.cjs'), join(destDir, 'usr/bin/tsad'), work);

    for (const rel of ASSETS) {
      if (!existsSync(join(root, rel))) throw new Error(`asset ${rel} (src/packaging/contents.ts) does not exist`);
      cpSync(join(root, rel), join(share, rel), { recursive: true });
    }
    const external = dependencyClosure(EXTERNAL, root);
    for (const dir of external) {
      // Nested node_modules are copied as packages of their own, only when needed.
      cpSync(dir, join(share, relative(root, dir)), { recursive: true, filter: (src) => !relative(dir, src).split('/').includes('node_modules') });
    }

    // Each npm package inside the package once: bundled, shipped under /usr/share/tsad, or both.
    const where = new Map<string, string[]>();
    const add = (dir: string, text: string): void => void where.set(dir, [...(where.get(dir) ?? []), text]);
    for (const dir of bundle.packages) add(dir, 'bundled into /usr/bin/tsad');
    const assetPackages = ASSETS.map((a) => packageDirOf(a)).filter((d): d is string => d !== null).map((d) => join(root, d));
    for (const dir of new Set([...external, ...assetPackages])) add(dir, `files in /usr/share/tsad/${relative(root, dir)}`);
    const packages = [...where].sort(([a], [b]) => a.localeCompare(b)).map(([dir, texts]) => ({ dir, where: texts.join('; ') }));
    writeFileSync(copyrightFile, binaryCopyright(root, packages));

    const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const said = execFileSync(join(destDir, 'usr/bin/tsad'), ['--version'], { encoding: 'utf8', cwd: work, env: {} }).trim();
    if (said !== version) throw new Error(`the staged tsad says version ${JSON.stringify(said)}, package.json ${version}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dest, copyright] = process.argv.slice(2);
  if (dest === undefined || copyright === undefined) {
    process.stderr.write('usage: stage-deb.js DESTDIR COPYRIGHT\n');
    process.exit(2);
  }
  stage(PACKAGE_DIR, resolve(dest), resolve(copyright)).catch((err: unknown) => {
    process.stderr.write(`stage-deb: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
