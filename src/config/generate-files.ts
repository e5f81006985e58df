/**
 * `npm run gen:conf`: writes etc/tsad.conf and man/tsad.conf.5 from the key
 * registry. Tests fail when the shipped files differ from what this writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfig } from './render.js';
import { renderConfManPage } from './render-man.js';

const root = new URL('../../', import.meta.url);
writeFileSync(new URL('etc/tsad.conf', root), renderConfig());
writeFileSync(new URL('man/tsad.conf.5', root), renderConfManPage(readFileSync(new URL('man/tsad.conf.5.in', root), 'utf8')));
process.stdout.write('wrote etc/tsad.conf and man/tsad.conf.5\n');
