/**
 * Where tsad's own read-only files are: package.json, signatures/,
 * etc/os-fingerprints and the npm packages that carry data (the GeoIP
 * database). Every such path is relative to one directory, the package root,
 * so the same relative path works in each way tsad is installed:
 *
 * - from npm (global install, or this repository): the package root is two
 *   levels above this module (dist/io/ or src/io/);
 * - as the Debian package's single executable (an esbuild bundle, in which
 *   import.meta.url is empty): PREFIX/share/tsad beside PREFIX/bin/tsad, i.e.
 *   /usr/share/tsad, which holds the same relative paths (packaging lists them).
 *
 * Never the working directory.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const moduleUrl: string | undefined = import.meta.url;

/** True in the Debian package's single-file bundle: no module of tsad's is a file of its own there. */
export const BUNDLED: boolean = moduleUrl === undefined;

/** The package root, with a trailing slash. */
export const PACKAGE_DIR: string = moduleUrl === undefined
  ? join(dirname(process.execPath), '..', 'share', 'tsad') + '/'
  : fileURLToPath(new URL('../../', moduleUrl));

/** A file or directory of the package, given relative to its root ('signatures/', 'etc/os-fingerprints'). */
export function packageFile(relative: string): string {
  return join(PACKAGE_DIR, relative);
}

/** Resolves a file inside one of tsad's npm dependencies ('pkg/file'), as Node would from the package root. */
export function dependencyFile(specifier: string): string {
  return createRequire(packageFile('package.json')).resolve(specifier);
}
