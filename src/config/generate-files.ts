/**
 * `npm run gen:conf`: writes etc/tsad.conf and man/tsad.conf.5 from the key
 * registry. Tests fail when the shipped files differ from what this writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfig } from './render.js';
import { renderConfManPage } from './render-man.js';
import { renderPsadKeysMan, renderPsadKeysMarkdown } from './psad-keys.js';

const root = new URL('../../', import.meta.url);
writeFileSync(new URL('etc/tsad.conf', root), renderConfig());
const manTemplate = readFileSync(new URL('man/tsad.conf.5.in', root), 'utf8').replace('.\\" @PSADKEYS@', renderPsadKeysMan());
writeFileSync(new URL('man/tsad.conf.5', root), renderConfManPage(manTemplate));
// The README's psad table sits between two markers.
const readme = readFileSync(new URL('README.md', root), 'utf8');
const start = '<!-- psad-keys:start -->';
const stop = '<!-- psad-keys:end -->';
if (readme.includes(start) && readme.includes(stop)) {
  const next = `${readme.slice(0, readme.indexOf(start) + start.length)}\n${renderPsadKeysMarkdown()}\n${readme.slice(readme.indexOf(stop))}`;
  writeFileSync(new URL('README.md', root), next);
}
process.stdout.write('wrote etc/tsad.conf, man/tsad.conf.5 and the README psad table\n');
