/**
 * The Debian copyright file of the binary package (machine-readable format,
 * DEP-5): debian/copyright (tsad's own files) followed by one paragraph per npm
 * package that is inside the package (bundled into /usr/bin/tsad, or shipped
 * under /usr/share/tsad) and one for the embedded Node.js runtime. Generated
 * from the packages themselves, so a new dependency needs no edit here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/** SPDX identifiers as DEP-5 spells them; the ones in /usr/share/common-licenses are referenced, not copied. */
const DEP5_NAME: Record<string, string> = { MIT: 'Expat', 'BSD-2-Clause': 'BSD-2-clause', 'BSD-3-Clause': 'BSD-3-clause' };
const COMMON_LICENSES = new Set(['Apache-2.0', 'CC0-1.0', 'GPL-2', 'GPL-3', 'LGPL-2.1', 'LGPL-3', 'MPL-2.0']);

interface PackageJson {
  name: string;
  version: string;
  license?: string;
  author?: string | { name?: string; email?: string };
}

/** A DEP-5 field value: continuation lines start with a space, empty lines are " .". */
function continuation(text: string): string {
  return text
    .replace(/\r/g, '')
    .replace(/\t/g, '        ')
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ` ${l.trimEnd()}`))
    .join('\n')
    .replace(/^( \.\n)+/, '')
    .replace(/(\n \.)+$/, '');
}

function licenseFile(dir: string): string | null {
  const name = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt|markdown))?$/i.test(f) || /^licen[cs]e-mit(\.txt)?$/i.test(f));
  return name === undefined ? null : join(dir, name);
}

/** "Copyright (c) 2014 A <a@b>" lines of a licence text, without the licence's own wording about copyright. */
export function copyrightLines(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^[\s*-]*copyright\b\s*(?:\(c\)|©)?\s*(.+)$/i.exec(line);
    if (m === null) continue;
    const rest = (m[1] as string).trim();
    if (/^(notice|holders?|owners?|and|statement|law|\[yyyy\]|license)\b/i.test(rest) || rest.includes('[yyyy]')) continue;
    out.push(rest);
  }
  return [...new Set(out)];
}

function authorOf(pkg: PackageJson): string | null {
  const a = pkg.author;
  if (a === undefined) return null;
  if (typeof a === 'string') return a;
  return a.name === undefined ? null : a.email === undefined ? a.name : `${a.name} <${a.email}>`;
}

/** One Files paragraph for an npm package directory (`root`-relative in Files:). */
export function packageParagraph(root: string, dir: string, where: string): string {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  const spdx = pkg.license;
  if (spdx === undefined || /\b(OR|AND|WITH)\b|[()]/.test(spdx)) throw new Error(`${pkg.name}: licence ${JSON.stringify(spdx)} needs a hand-written paragraph in debian/copyright`);
  const name = DEP5_NAME[spdx] ?? spdx;
  const file = licenseFile(dir);
  const text = file === null ? '' : readFileSync(file, 'utf8');
  const holders = copyrightLines(text);
  if (holders.length === 0) holders.push(authorOf(pkg) ?? `the ${pkg.name} authors`);
  let license: string;
  if (COMMON_LICENSES.has(name)) {
    license = `${name}\n On Debian systems the full text is in /usr/share/common-licenses/${name}.`;
  } else if (file !== null) {
    license = `${name}\n${continuation(text)}`;
  } else {
    throw new Error(`${pkg.name} (${spdx}) has no licence file to quote; add its text to debian/copyright`);
  }
  return [
    `Files: ${relative(root, dir)}/*`,
    `Copyright: ${holders.join('\n ')}`,
    `License: ${license}`,
    `Comment: ${pkg.name} ${pkg.version}, ${where}.`,
  ].join('\n');
}

/** Node's LICENSE (its own and that of every library it bundles), wherever this node's package put it. */
export function nodeLicenseText(): string {
  const prefix = dirname(dirname(process.execPath));
  const candidates = ['/usr/share/doc/nodejs/LICENSE', join(prefix, 'share/doc/node/LICENSE'), join(prefix, 'LICENSE'), '/usr/share/doc/nodejs/copyright'];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) throw new Error(`the licence of the embedded Node.js was not found (looked at ${candidates.join(', ')})`);
  return withoutFullApacheText(readFileSync(found, 'utf8'));
}

/** Each quoted copy of the Apache License 2.0 terms becomes a pointer to Debian's copy (lintian: copyright-file-contains-full-apache-2-license). */
export function withoutFullApacheText(text: string): string {
  return text.replace(/^([ \t]*)Apache License\s*\n\s*Version 2\.0, January 2004[\s\S]*?END OF TERMS AND CONDITIONS[ \t]*$/gm, (_m, indent: string) => `${indent}Apache License, Version 2.0: on Debian systems the full text is in\n${indent}/usr/share/common-licenses/Apache-2.0.`);
}

export function nodeParagraphs(): string {
  return [
    [
      'Files: usr/bin/tsad',
      'Copyright: Node.js contributors, Joyent, Inc. and other Node contributors',
      'License: Node.js',
      `Comment: /usr/bin/tsad is the Node.js ${process.version} runtime with tsad's bundled code injected (a Node.js single executable application). Node.js bundles V8, libuv, OpenSSL, ICU, zlib and other libraries; the Node.js licence below lists each of them.`,
    ].join('\n'),
    `License: Node.js\n${continuation(nodeLicenseText())}`,
  ].join('\n\n');
}

/** debian/copyright, then the paragraphs of `packageDirs` (bundled or shipped npm packages) and of Node.js. */
export function binaryCopyright(root: string, packages: { dir: string; where: string }[]): string {
  const own = readFileSync(join(root, 'debian/copyright'), 'utf8').trimEnd();
  const paras = packages.map((p) => packageParagraph(root, p.dir, p.where));
  return `${[own, ...paras, nodeParagraphs()].join('\n\n')}\n`;
}
