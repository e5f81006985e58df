import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfManPage } from '../../src/config/render-man.js';
import { renderPsadKeysMan } from '../../src/config/psad-keys.js';

const MAN = new URL('../../man/', import.meta.url).pathname;
const pages = readdirSync(MAN).filter((f) => /\.[158]$/.test(f));

describe('man pages', () => {
  it('ship tsad(8), tsad.conf(5), tsad-signatures(5) and tsad-patterns(5), listed in package.json', () => {
    expect(pages).toEqual(expect.arrayContaining(['tsad.8', 'tsad.conf.5', 'tsad-signatures.5', 'tsad-patterns.5']));
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { man: string[] };
    for (const p of ['tsad.8', 'tsad.conf.5', 'tsad-signatures.5', 'tsad-patterns.5']) expect(pkg.man).toContain(`man/${p}`);
  });

  it.each(pages)('%s renders with no groff warnings', (page) => {
    if (!existsSync('/usr/bin/groff')) {
      if (process.env.CI === 'true') throw new Error('groff is missing (apt-get install groff-base)');
      return;
    }
    // -z discards the output; warnings and errors go to stderr.
    const r = spawnSync('groff', ['-man', '-ww', '-z', `${MAN}${page}`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('tsad.conf(5) documents every key as the registry says (npm run gen:conf)', () => {
    const template = readFileSync(`${MAN}tsad.conf.5.in`, 'utf8').replace('.\\" @PSADKEYS@', renderPsadKeysMan());
    expect(readFileSync(`${MAN}tsad.conf.5`, 'utf8')).toBe(renderConfManPage(template));
  });
});
