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
 * - SUBSTITUTES: an npm package bundled from another of its files than the one
 *   Node would load, when that one cannot become CommonJS (top-level await)
 *   and the other behaves the same for tsad.
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
  'node_modules/@resvg/resvg-wasm/index_bg.wasm',
  // Built by npm run build from the npm package @ip-location-db/asn (CC BY 4.0; debian/copyright).
  'data/asn.mmdb',
  'data/ASN-LICENSE',
];

export const EXTERNAL: readonly string[] = [];

export const SUBSTITUTES: Readonly<Record<string, string>> = {
  // Its Node build awaits import('canvas') at top level; tsad has no 'canvas' (the
  // charts are SVG, made PNG by resvg), and without it both builds return null.
  'vega-canvas': 'node_modules/vega-canvas/build/vega-canvas.browser.js',
};
