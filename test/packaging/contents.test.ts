/**
 * The pieces of packaging that need no root: what goes into /usr/share/tsad
 * exists and is found through src/io/package-files.ts, the Debian changelog
 * names package.json's version, the generated copyright file quotes what it
 * should. install.test.ts builds and installs the real packages.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinCountryDbPath } from '../../src/enrich/geoip.js';
import { dependencyFile, PACKAGE_DIR, packageFile } from '../../src/io/package-files.js';
import { packageDirOf } from '../../src/packaging/bundle.js';
import { ASSETS, EXTERNAL, SUBSTITUTES } from '../../src/packaging/contents.js';
import { copyrightLines, nodeParagraphs, packageParagraph, withoutFullApacheText } from '../../src/packaging/copyright.js';
import { dependencyClosure } from '../../src/packaging/stage-deb.js';
import { shippedSignaturesDir } from '../../src/signatures/load.js';
import { shippedFingerprintsPath } from '../../src/detect/os-fingerprint.js';
import { ROOT } from '../helpers/run-cli.js';

describe('package files', () => {
  it('are found from the package root, which is the repository here', () => {
    expect(PACKAGE_DIR).toBe(ROOT);
    expect(shippedSignaturesDir()).toBe(join(ROOT, 'signatures/'));
    expect(shippedFingerprintsPath()).toBe(join(ROOT, 'etc/os-fingerprints'));
    expect(builtinCountryDbPath()).toBe(join(ROOT, 'node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb'));
    expect(dependencyFile('maxmind/package.json')).toBe(join(ROOT, 'node_modules/maxmind/package.json'));
  });

  it('every file the code reads at run time is listed for /usr/share/tsad, and every listed file exists', () => {
    const wasm = dependencyFile('@resvg/resvg-wasm/index_bg.wasm'); // read by src/report/html/png.ts
    for (const path of [shippedSignaturesDir(), shippedFingerprintsPath(), builtinCountryDbPath(), packageFile('package.json'), wasm]) {
      const rel = path.slice(ROOT.length).replace(/\/$/, '');
      expect(ASSETS).toContain(rel);
    }
    for (const a of ASSETS) expect(existsSync(join(ROOT, a)), a).toBe(true);
    for (const e of EXTERNAL) expect(existsSync(join(ROOT, 'node_modules', e, 'package.json')), e).toBe(true);
    for (const file of Object.values(SUBSTITUTES)) expect(existsSync(join(ROOT, file)), file).toBe(true);
  });

  it('debian/changelog has an entry for package.json\'s version', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(readFileSync(join(ROOT, 'debian/changelog'), 'utf8').split('\n')[0]).toMatch(new RegExp(`^tsad \\(${version.replace(/\./g, '\\.')}\\) `));
  });
});

describe('bundled packages', () => {
  it('package directories of bundled and shipped files', () => {
    expect(packageDirOf('node_modules/commander/lib/command.js')).toBe('node_modules/commander');
    expect(packageDirOf('node_modules/@colors/colors/lib/index.js')).toBe('node_modules/@colors/colors');
    expect(packageDirOf('node_modules/a/node_modules/b/x.js')).toBe('node_modules/a/node_modules/b');
    expect(packageDirOf('node_modules/@ip-location-db/geo-whois-asn-country-mmdb')).toBe('node_modules/@ip-location-db/geo-whois-asn-country-mmdb');
    expect(packageDirOf('src/cli/main.ts')).toBeNull();
    expect(packageDirOf('node_modules/@scope')).toBeNull();
  });

  it('an external package comes with everything it depends on', () => {
    const dirs = dependencyClosure(['maxmind'], ROOT).map((d) => d.slice(ROOT.length));
    expect(dirs).toEqual(['node_modules/maxmind', 'node_modules/mmdb-lib', 'node_modules/tiny-lru']);
    expect(() => dependencyClosure(['no-such-package-here'], ROOT)).toThrow(/no-such-package-here .*not installed/);
  });
});

describe('copyright file', () => {
  it('takes the holders from a licence text, not its wording', () => {
    const mit = 'MIT License\n\nCopyright (c) 2011 TJ Holowaychuk <tj@vision-media.ca>\n\nThe above copyright notice and this permission notice shall be\nTHE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE';
    expect(copyrightLines(mit)).toEqual(['2011 TJ Holowaychuk <tj@vision-media.ca>']);
    expect(copyrightLines(' - Copyright (c) Marak Squires\n - Copyright (c) DABH\n   Copyright [yyyy] [name of copyright owner]')).toEqual(['Marak Squires', 'DABH']);
  });

  it('a paragraph per package: DEP-5 fields, the licence quoted or referenced', () => {
    const commander = packageParagraph(ROOT, join(ROOT, 'node_modules/commander'), 'bundled into /usr/bin/tsad');
    expect(commander).toMatch(/^Files: node_modules\/commander\/\*\nCopyright: 2011 TJ Holowaychuk <tj@vision-media\.ca>\nLicense: Expat\n /);
    expect(commander).toMatch(/\n \.\n/); // empty lines of the licence text
    expect(commander).toMatch(/\nComment: commander \d+\.\d+\.\d+, bundled into \/usr\/bin\/tsad\.$/);
    const geo = packageParagraph(ROOT, join(ROOT, 'node_modules/@ip-location-db/geo-whois-asn-country-mmdb'), 'in /usr/share/tsad');
    expect(geo).toContain('License: CC0-1.0\n On Debian systems the full text is in /usr/share/common-licenses/CC0-1.0.');
  });

  it('quotes Node\'s licence, with Apache 2.0 terms pointing to Debian\'s copy', () => {
    const text = 'x\n   Apache License\n   Version 2.0, January 2004\n   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n   1. Definitions.\n   END OF TERMS AND CONDITIONS\n   APPENDIX';
    expect(withoutFullApacheText(text)).toBe('x\n   Apache License, Version 2.0: on Debian systems the full text is in\n   /usr/share/common-licenses/Apache-2.0.\n   APPENDIX');
    const node = nodeParagraphs();
    expect(node).toMatch(/^Files: usr\/bin\/tsad\n/);
    expect(node).toMatch(/\nLicense: Node\.js\n .*Node\.js is licensed for use as follows/);
    expect(node).not.toMatch(/TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION/);
  });
});
