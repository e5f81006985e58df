/**
 * The pipeline's module rules (shared/README.md): a stage never imports a
 * sibling stage; each npm dependency is used in one stage only.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../../src/', import.meta.url).pathname;
const STAGES = ['sources', 'parse', 'detect', 'signatures', 'enrich', 'actions', 'report'];
const SHARED = ['model', 'net', 'io', 'config', 'text'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  const statics = [...text.matchAll(/^\s*(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] as string);
  // import('x'): dependencies loaded on first use count too.
  const dynamic = [...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] as string);
  return [...statics, ...dynamic];
}

const all = files(SRC).map((f) => ({ file: relative(SRC, f), folder: relative(SRC, f).split('/')[0] as string, deps: imports(f) }));

describe('module boundaries', () => {
  it('stages import only shared modules, themselves and node:*', () => {
    const bad: string[] = [];
    for (const f of all.filter((x) => STAGES.includes(x.folder))) {
      for (const d of f.deps) {
        if (!d.startsWith('.')) continue;
        const target = relative(SRC, join(SRC, f.file, '..', d)).split('/')[0] as string;
        if (target !== f.folder && !SHARED.includes(target)) bad.push(`${f.file} -> ${d}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('shared modules import no stage', () => {
    const bad = all
      .filter((x) => SHARED.includes(x.folder))
      .flatMap((f) => f.deps.filter((d) => d.startsWith('.') && STAGES.includes(relative(SRC, join(SRC, f.file, '..', d)).split('/')[0] as string)).map((d) => `${f.file} -> ${d}`));
    expect(bad).toEqual([]);
  });

  it('model is types only', () => {
    const decl = /^\s*(export\s+)?(default\s+)?(async\s+)?(function|class)\b/m;
    const code = all.filter((x) => x.folder === 'model').flatMap((f) => (decl.test(readFileSync(join(SRC, f.file), 'utf8')) ? [f.file] : []));
    expect(code).toEqual([]);
  });

  it.each([
    ['split2', 'sources'],
    ['maxmind', 'enrich'],
    ['nodemailer', 'actions'],
    ['cli-table3', 'report'],
    ['commander', 'cli'],
    ['vega', 'report'],
    ['vega-lite', 'report'],
    ['@resvg/resvg-wasm', 'report'],
    ['esbuild', 'packaging'],
    ['postject', 'packaging'],
  ])('%s is used in %s only', (pkg, stage) => {
    const users = all.filter((f) => f.deps.includes(pkg)).map((f) => f.folder);
    expect(users.length).toBeGreaterThan(0);
    expect([...new Set(users)]).toEqual([stage]);
  });
});
