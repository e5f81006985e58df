/**
 * What goes into /usr/share/tsad of the Debian package besides the code (which
 * esbuild bundles into /usr/bin/tsad: every npm dependency the code imports is
 * included automatically). Adding to the package is one line here:
 *
 * - ASSETS: a file or directory that tsad reads at run time, as a path
 *   relative to the package root. The code finds it with packageFile() (or,
 *   inside an npm dependency, dependencyFile()) from src/io/package-files.ts,
 *   which resolves to the repository, the global npm install or /usr/share/tsad
 *   alike. An npm dependency's data file is listed as node_modules/PKG/FILE.
 *   For the npm tarball, the top-level folder must also be in package.json's
 *   "files" (dependencies' files are installed by npm anyway).
 * - EXTERNAL: an npm package that cannot be bundled (a native addon, or one
 *   that loads its own files relative to itself): copied whole, with the
 *   packages it depends on, to /usr/share/tsad/node_modules and loaded from
 *   there at run time.
 *
 * Configuration, the systemd unit, man pages and docs are listed in debian/
 * (tsad.install, tsad.manpages, tsad.docs, tsad.examples), as Debian expects.
 */
export const ASSETS: readonly string[] = [
  'package.json',
  'signatures',
  'etc/os-fingerprints',
  'node_modules/@ip-location-db/geo-whois-asn-country-mmdb/package.json',
  'node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb',
];

export const EXTERNAL: readonly string[] = [];
